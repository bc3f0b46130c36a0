//! masspoc-plot: the plot file format and its reader, shared by the plotter (which writes plots)
//! and the farmer (which reads them).
//!
//! A plot stores every valid pair of `shared/DESIGN.md` section 1, sorted by `(z, x, x')` and
//! indexed so that a challenge's window of indexes costs three reads whatever `k` and the probe
//! bits are (`docs/plot-format.md`). [`PlotReader`] memory-maps a file, validates the header and
//! never panics on damaged input; the map is guarded ([`guarded_map`]), so a file truncated in
//! place or a failing disk gives read errors naming the file instead of a SIGBUS that ends the
//! process. [`reading::read_candidates`] is the one path from a challenge to its candidate
//! proofs (probe, filter, window lookup, quality, score): the reader, the farmer and the
//! verifier's in-memory test plots all call it.

#![warn(clippy::undocumented_unsafe_blocks)]

const _: () = assert!(usize::BITS >= 64, "plots need 64-bit offsets");

pub mod bits;
pub mod checksum;
pub mod error;
pub mod format;
pub mod guarded_map;
pub mod journal;
mod reader;
pub mod reading;
pub mod scan;
mod source;

pub use error::{HeaderError, JournalError, ReadError};
pub use format::{expected_plot_len, Header, Layout, Section};
pub use guarded_map::{GuardedMap, MapPoisoned};
pub use reader::{PlotReader, READS_PER_LOOKUP};
pub use reading::{read_candidates, FoundProof, PairIndex, PlotIdentity};
pub use source::ReadAt;
