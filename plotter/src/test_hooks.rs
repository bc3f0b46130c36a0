//! Test hooks of the plotter, compiled in only with the cargo feature `test-hooks` (the CLI turns
//! it on for `MASSPOC_PLOT_STOP_AT`, documented in docs/plot-format.md; the plotter's own tests
//! turn it on through its dev-dependency on itself).

use crate::plotter::{PlotRequest, StopAt};

/// What a test may ask of one plotting run besides the request itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg(feature = "test-hooks")]
pub struct TestHooks {
    /// Stop (as if killed) after this checkpoint.
    pub stop_at: Option<StopAt>,
    /// Take the path of large k even where it is not needed: P items in 128 bits and round
    /// outputs indexed per bin of 4 superblocks (must be the same when resuming).
    pub large_k_path: bool,
}

impl PlotRequest {
    /// Where a test asked the run to stop; never, without the `test-hooks` feature.
    pub(crate) fn stop_at(&self) -> Option<StopAt> {
        #[cfg(feature = "test-hooks")]
        return self.hooks.stop_at;
        #[cfg(not(feature = "test-hooks"))]
        None
    }

    /// Whether a test asked for the large-k path at a small k.
    pub(crate) fn large_k_path(&self) -> bool {
        #[cfg(feature = "test-hooks")]
        return self.hooks.large_k_path;
        #[cfg(not(feature = "test-hooks"))]
        false
    }
}
