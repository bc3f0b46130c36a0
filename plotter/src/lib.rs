//! masspoc-plotter: writes capacity plots and reads them.
//!
//! A plot stores every valid pair of `shared/DESIGN.md` section 1, sorted by `(z, x, x')` and
//! indexed so that a lookup of `z` costs three reads whatever `k` is (`docs/plot-format.md`).
//! Writing ([`plot`]) keeps memory under a bound by cutting the work into rounds and spilling
//! their output to run files; it checkpoints a journal so an interrupted run resumes, and its
//! bytes depend only on the farmer key, k and seed. Reading ([`PlotReader`]) memory-maps the file,
//! validates the header and never panics on damaged input; the map is guarded
//! ([`guarded_map`]), so a file truncated in place or a failing disk gives read errors naming the
//! file instead of a SIGBUS that ends the process.

const _: () = assert!(usize::BITS >= 64, "plots need 64-bit offsets");

pub mod bench;
pub mod bits;
pub mod checksum;
pub mod disk;
pub mod error;
pub mod format;
pub mod guarded_map;
pub mod journal;
pub mod layout_writer;
pub mod matching;
pub mod memory;
pub mod partition;
pub mod plan;
pub mod plotter;
pub mod reader;
pub mod runs;
pub mod scan;
pub mod source;
pub mod write_phase;

pub use error::{PlotError, ReadError};
pub use format::{expected_plot_len, Header, Layout, Section};
pub use guarded_map::{GuardedMap, MapPoisoned};
pub use plan::Plan;
pub use plotter::{plot, NoProgress, Phase, PlotRequest, PlotSummary, Progress, StopAt};
pub use reader::{FoundProof, PlotReader};
pub use source::ReadAt;
