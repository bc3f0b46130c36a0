//! Plots: the trait the farmer reads plots through, directory scanning and the rescanned plot set.

mod reader;
mod scan;
mod set;
mod source;

/// A proof found in a plot, with its quality and score (the plot crate's type).
pub use masspoc_plot::FoundProof;
/// Random reads one lookup makes (the plot crate's figure).
pub use masspoc_plot::READS_PER_LOOKUP;
pub use reader::{is_plot_file_name, ReaderOpener};
pub use scan::{FileKey, PlotEntry};
pub use set::{PlotDir, PlotSet, PlotSnapshot, ScanReport};
pub use source::{OpenError, PlotInfo, PlotLookup, PlotOpener, ReadError};
