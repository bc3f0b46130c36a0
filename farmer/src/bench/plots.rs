//! The benchmark's plot set: N plots of one farmer key made once (reused by later runs), read
//! once so the page cache is warm, and opened through the farmer's own [`PlotSet`]. The farmer
//! does not link the plotter: whoever runs the benchmark passes the function that makes a plot.

use super::memory::{open_fds, rss, Rss};
use super::raw_read::warm;
use super::BenchError;
use crate::plots::{PlotDir, PlotSet, PlotSnapshot, ReaderOpener};
use masspoc_proof::{FarmerPublicKey, PlotSeed, K};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The fixed farmer key of benchmark plots.
pub const BENCH_FARMER: FarmerPublicKey = FarmerPublicKey([0xbe; 32]);

/// Makes (or finds, from an earlier run) the plot of [`BENCH_FARMER`], a k and a seed in a
/// directory, and returns its path (`masspoc_plotter::plot` behind a closure).
pub type MakePlot<'a> = &'a dyn Fn(
    &Path,
    FarmerPublicKey,
    K,
    PlotSeed,
) -> Result<PathBuf, Box<dyn std::error::Error + Send + Sync>>;

/// The seed of plot `i` of the benchmark set.
#[must_use]
pub fn bench_seed(i: usize) -> PlotSeed {
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&(i as u64).to_le_bytes());
    PlotSeed(seed)
}

/// The benchmark's plots, open and warm.
pub struct BenchPlots {
    /// The plot files.
    pub paths: Vec<PathBuf>,
    /// The plot set they were opened through.
    pub set: Arc<PlotSet>,
    /// Exactly the benchmark's plots (other `*.plot` files in the directory are left out).
    pub snapshot: PlotSnapshot,
    /// Total bytes of the plot files.
    pub plot_bytes: u64,
    /// Memory before the plots were opened.
    pub rss_before_open: Rss,
    /// Memory after the plots were opened (before any lookup).
    pub rss_after_open: Rss,
    /// Open file descriptors with every plot open.
    pub open_fds: u64,
}

impl BenchPlots {
    /// Makes (with `make_plot`) or reuses `n` plots of parameter `k` in `dir`, reads them once
    /// (warm page cache) and opens them; `progress(done, n)` is called after each plot is ready.
    pub fn open(
        dir: &Path,
        k: u8,
        n: usize,
        make_plot: MakePlot<'_>,
        progress: &dyn Fn(usize, usize),
    ) -> Result<Self, BenchError> {
        let k = K::new(k).map_err(|e| BenchError::Open(e.to_string()))?;
        let mut paths = Vec::with_capacity(n);
        for i in 0..n {
            let path = make_plot(dir, BENCH_FARMER, k, bench_seed(i)).map_err(BenchError::Plot)?;
            paths.push(path);
            progress(i + 1, n);
        }
        let plot_bytes = warm(&paths)?;
        let rss_before_open = rss();
        let set = PlotSet::new(
            &[dir.to_path_buf()],
            Arc::new(ReaderOpener {
                farmer_pk: Some(BENCH_FARMER),
            }),
        );
        // One "plot added" line per plot is noise here.
        let scan =
            tracing::subscriber::with_default(tracing::subscriber::NoSubscriber::default(), || {
                set.rescan_blocking()
            });
        let wanted: HashSet<&Path> = paths.iter().map(PathBuf::as_path).collect();
        let ours: Vec<_> = set
            .snapshot()
            .iter()
            .filter(|e| wanted.contains(e.path.as_path()))
            .cloned()
            .collect();
        if ours.len() != n {
            return Err(BenchError::Open(format!(
                "{} of {n} plots opened: {:?}",
                ours.len(),
                scan.skipped
            )));
        }
        Ok(BenchPlots {
            paths,
            set,
            snapshot: Arc::new(ours),
            plot_bytes,
            rss_before_open,
            rss_after_open: rss(),
            open_fds: open_fds(),
        })
    }

    /// The plot directories (`PlotEntry::dir_index` indexes this).
    #[must_use]
    pub fn dirs(&self) -> &[Arc<PlotDir>] {
        self.set.dirs()
    }
}
