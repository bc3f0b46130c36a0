//! What the farmer needs from one open plot, as a small trait so the farming loop, the tests and
//! the benchmark can run on the plot crate's memory-mapped reader, an in-memory table or a
//! reader with injected faults alike.

pub use masspoc_plot::{FoundProof, ReadError};
use masspoc_proof::{Challenge, FarmerPublicKey, FilterBits, PlotId, ProbeBits, K};
use std::path::Path;
use std::sync::Arc;

/// The identity of an open plot, read from its validated header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlotInfo {
    /// The plot id.
    pub plot_id: PlotId,
    /// The size parameter.
    pub k: K,
    /// The farmer key the plot was made for.
    pub farmer_pk: FarmerPublicKey,
}

/// One open plot that answers challenges.
///
/// `prove` is blocking (it reads the plot) and is only ever called from the lookup pool, never
/// on the async runtime.
pub trait PlotLookup: Send + Sync + 'static {
    /// The plot's identity.
    fn info(&self) -> PlotInfo;

    /// The proofs the plot holds for `challenge`: `None` when the plot does not pass the filter,
    /// otherwise every stored pair of the challenge's window (possibly none) with its quality
    /// and score (the plot crate's [`masspoc_plot::read_candidates`]). Lookups confirm each
    /// pair's F; the full proof check is left to the caller, who runs it on the best proof only
    /// ([`crate::lookup::run_round`]). An error means the plot could not be read.
    fn prove(
        &self,
        challenge: &Challenge,
        filter_bits: FilterBits,
        probe_bits: ProbeBits,
    ) -> Result<Option<Vec<FoundProof>>, ReadError>;

    /// How many random reads of the plot one lookup makes (for the benchmark's raw-read bound).
    fn reads_per_lookup(&self) -> u32;

    /// Whether this open plot can no longer be read at all (its memory map took a SIGBUS: the
    /// file shrank or its disk failed while mapped). Every lookup then fails; the next rescan
    /// drops this handle and opens the file again, even if the file looks unchanged.
    fn is_broken(&self) -> bool {
        false
    }
}

/// Why a plot file is not farmed (shown to the user with its path, through
/// [`masspoc_report::Report`]).
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The file cannot be read as a plot: unreadable, truncated, a bad header, corrupt bytes.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The plot was made for another farmer key: its proofs could not be signed.
    #[error("plot belongs to farmer key {got}, not this farmer's key {expected}")]
    OtherFarmer {
        /// The key in the plot's header.
        got: FarmerPublicKey,
        /// This farmer's key.
        expected: FarmerPublicKey,
    },
}

/// Opens plot files: validates the header and refuses plots of another farmer key.
pub trait PlotOpener: Send + Sync + 'static {
    /// Opens one plot file; the error is the reason it is skipped, shown to the user with the
    /// path.
    fn open(&self, path: &Path) -> Result<Arc<dyn PlotLookup>, OpenError>;

    /// Whether a directory entry names a plot file this opener should try (by file name).
    fn is_plot_name(&self, file_name: &str) -> bool;
}
