//! masspoc-plotter: writes capacity plots.
//!
//! A plot stores every valid pair of `shared/DESIGN.md` section 1, sorted by `(z, x, x')` and
//! indexed so that a lookup costs three reads whatever `k` is; the format and the reader live in
//! `masspoc-plot` (`docs/plot-format.md`). Writing ([`plot`]) keeps memory under a bound by
//! cutting the work into rounds and spilling their output to run files; it checkpoints a journal
//! so an interrupted run resumes, and its bytes depend only on the farmer key, k and seed.

const _: () = assert!(usize::BITS >= 64, "plots need 64-bit offsets");

pub mod bench;
pub mod disk;
pub mod error;
pub mod estimate;
pub mod forge;
pub mod forge_bench;
pub(crate) mod layout_writer;
pub(crate) mod matching;
pub(crate) mod memory;
pub(crate) mod partition;
pub mod plan;
pub mod plotter;
mod test_hooks;
#[cfg(feature = "test-hooks")]
pub use test_hooks::TestHooks;
pub(crate) mod runs;
pub mod usage;
pub(crate) mod write_phase;

pub use error::PlotError;
pub use masspoc_plot::expected_plot_len;
pub use plan::Plan;
pub use plotter::{plot, NoProgress, Phase, PlotRequest, PlotSummary, Progress, StopAt};
pub use usage::CpuUsage;
