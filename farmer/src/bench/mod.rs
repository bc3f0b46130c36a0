//! `masspoc bench farm`: challenge-to-best-proof latency over N plots for M chains at once,
//! beside the latency of one random read of the same plot files measured in the same run.
//!
//! Each chain is a task that issues challenges at exponentially distributed intervals (mean
//! `interval`), as independent chains do, and times [`run_round`] from challenge to best proof.
//! The raw bound of one challenge is `plots passing × reads per lookup × one random read`; the
//! ratio is p99 over that bound.

mod memory;
mod raw_read;

pub use memory::{open_fds, rss, Rss};
pub use raw_read::{median_pread_us, warm, RAW_READ_LEN};

use crate::lookup::run_round;
use crate::plots::{PlotSet, ReaderOpener, READS_PER_LOOKUP};
use masspoc_plotter::{plot, NoProgress, PlotRequest};
use masspoc_proof::{Challenge, FarmerPublicKey, PlotSeed, K};
use rand::Rng;
use serde::Serialize;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Why the benchmark could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BenchError {
    /// Plotting failed.
    #[error("plotting failed: {0}")]
    Plot(#[from] masspoc_plotter::PlotError),
    /// Reading the plot files failed.
    #[error("reading plots failed: {0}")]
    Io(#[from] std::io::Error),
    /// A plot made for the benchmark could not be opened.
    #[error("plots could not be opened: {0}")]
    Open(String),
    /// The async runtime could not start.
    #[error("cannot start the runtime: {0}")]
    Runtime(String),
}

/// What to measure.
#[derive(Debug, Clone)]
pub struct FarmBenchOptions {
    /// Number of plots.
    pub plots: usize,
    /// Chains served at once.
    pub chains: usize,
    /// Plot size parameter.
    pub k: u8,
    /// Where the plots are made or found.
    pub dir: PathBuf,
    /// Challenges per chain.
    pub rounds: usize,
    /// Mean time between two challenges of one chain.
    pub interval: Duration,
    /// Filter bits (0: every plot is looked up for every challenge).
    pub filter_bits: u32,
    /// Random reads sampled for the raw-read yardstick.
    pub raw_samples: usize,
    /// Untimed challenges first (every plot looked up), to warm the mappings.
    pub warmup_rounds: usize,
}

/// The benchmark's figures.
#[derive(Debug, Clone, Serialize)]
pub struct FarmBenchReport {
    /// Plots farmed.
    pub plots: usize,
    /// Chains served at once.
    pub chains: usize,
    /// Plot size parameter.
    pub k: u8,
    /// Filter bits.
    pub filter_bits: u32,
    /// Challenges timed (all chains).
    pub rounds: usize,
    /// Mean plots passing the filter per challenge.
    pub passing_mean: f64,
    /// Median challenge-to-best-proof latency, µs.
    pub p50_us: f64,
    /// 99th percentile, µs.
    pub p99_us: f64,
    /// Median latency of one random 64-byte pread of the plot files, µs.
    pub raw_read_us: f64,
    /// Random reads one plot lookup makes.
    pub reads_per_lookup: u32,
    /// `passing_mean × reads_per_lookup × raw_read_us`.
    pub raw_bound_us: f64,
    /// `p99_us / raw_bound_us` (target: at most 3).
    pub ratio: f64,
    /// Challenges that found at least one proof.
    pub rounds_with_proof: usize,
    /// Total bytes of the plot files.
    pub plot_bytes: u64,
    /// Memory before the plots were opened.
    pub rss_before_open: Rss,
    /// Memory after the plots were opened (before any lookup).
    pub rss_after_open: Rss,
    /// Memory after all lookups.
    pub rss_after: Rss,
    /// Open file descriptors with every plot open.
    pub open_fds: u64,
}

/// The fixed farmer key of benchmark plots.
pub const BENCH_FARMER: FarmerPublicKey = FarmerPublicKey([0xbe; 32]);

/// Makes (or finds, from an earlier run) plot `i` of the benchmark set.
pub fn ensure_plot(dir: &std::path::Path, k: K, i: usize) -> Result<PathBuf, BenchError> {
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&(i as u64).to_le_bytes());
    let req = PlotRequest::new(BENCH_FARMER, k, PlotSeed(seed), dir);
    Ok(plot(&req, &NoProgress)?.path)
}

/// Runs the benchmark (blocking; starts its own runtime with two worker threads).
pub fn run_farm_bench(
    opts: &FarmBenchOptions,
    progress: &dyn Fn(usize, usize),
) -> Result<FarmBenchReport, BenchError> {
    let k = K::new(opts.k).map_err(|e| BenchError::Open(e.to_string()))?;
    let mut paths = Vec::with_capacity(opts.plots);
    for i in 0..opts.plots {
        paths.push(ensure_plot(&opts.dir, k, i)?);
        progress(i + 1, opts.plots);
    }
    let refs: Vec<&std::path::Path> = paths.iter().map(PathBuf::as_path).collect();
    let plot_bytes = warm(&refs)?;
    let rss_before_open = rss();
    let set = PlotSet::new(
        std::slice::from_ref(&opts.dir),
        Arc::new(ReaderOpener {
            farmer_pk: Some(BENCH_FARMER),
        }),
    );
    // One "plot added" line per plot is noise here.
    let scan =
        tracing::subscriber::with_default(tracing::subscriber::NoSubscriber::default(), || {
            set.rescan_blocking()
        });
    let snapshot = set.snapshot();
    let ours: Vec<_> = snapshot
        .iter()
        .filter(|e| paths.contains(&e.path))
        .cloned()
        .collect();
    if ours.len() != opts.plots {
        return Err(BenchError::Open(format!(
            "{} of {} plots opened: {:?}",
            ours.len(),
            opts.plots,
            scan.skipped
        )));
    }
    let snapshot = Arc::new(ours);
    let rss_after_open = rss();
    let fds = open_fds();
    let raw_read_us = median_pread_us(&refs, opts.raw_samples.max(1))?;

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| BenchError::Runtime(e.to_string()))?;
    let samples = rt.block_on(async {
        // Warm-up: fault the plots' pages into the mappings (steady state of a running farmer).
        for r in 0..opts.warmup_rounds as u64 {
            let _ = run_round(
                &snapshot,
                set.dirs(),
                challenge(u64::MAX, r),
                0,
                Duration::from_secs(10),
            )
            .await;
        }
        let mut tasks = Vec::new();
        for c in 0..opts.chains {
            let (snapshot, set) = (Arc::clone(&snapshot), Arc::clone(&set));
            let (rounds, interval, filter_bits) = (opts.rounds, opts.interval, opts.filter_bits);
            tasks.push(tokio::spawn(async move {
                let mut out = Vec::with_capacity(rounds);
                for r in 0..rounds {
                    let pause = exp_sample(interval);
                    tokio::time::sleep(pause).await;
                    let ch = challenge(c as u64, r as u64);
                    let t = Instant::now();
                    let o = run_round(
                        &snapshot,
                        set.dirs(),
                        ch,
                        filter_bits,
                        Duration::from_secs(10),
                    )
                    .await;
                    out.push((t.elapsed(), o.passing, o.best.is_some()));
                }
                out
            }));
        }
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await.unwrap_or_default());
        }
        all
    });
    let rss_after = rss();
    let mut lat: Vec<f64> = samples
        .iter()
        .map(|s| s.0.as_nanos() as f64 / 1000.0)
        .collect();
    lat.sort_by(f64::total_cmp);
    let pct = |q: f64| {
        lat.get(((lat.len() as f64 - 1.0) * q).round() as usize)
            .copied()
            .unwrap_or(0.0)
    };
    let passing_mean =
        samples.iter().map(|s| s.1 as f64).sum::<f64>() / samples.len().max(1) as f64;
    let raw_bound_us = passing_mean * f64::from(READS_PER_LOOKUP) * raw_read_us;
    let p99_us = pct(0.99);
    Ok(FarmBenchReport {
        plots: opts.plots,
        chains: opts.chains,
        k: opts.k,
        filter_bits: opts.filter_bits,
        rounds: samples.len(),
        passing_mean,
        p50_us: pct(0.5),
        p99_us,
        raw_read_us,
        reads_per_lookup: READS_PER_LOOKUP,
        raw_bound_us,
        ratio: if raw_bound_us > 0.0 {
            p99_us / raw_bound_us
        } else {
            0.0
        },
        rounds_with_proof: samples.iter().filter(|s| s.2).count(),
        plot_bytes,
        rss_before_open,
        rss_after_open,
        rss_after,
        open_fds: fds,
    })
}

fn challenge(chain: u64, round: u64) -> Challenge {
    let mut m = [0u8; 16];
    m[..8].copy_from_slice(&chain.to_le_bytes());
    m[8..].copy_from_slice(&round.to_le_bytes());
    let mut h = [0u8; 32];
    h[..16].copy_from_slice(&m);
    // Spread the bits: the proof crate's probe hashes the challenge anyway, any distinct bytes do.
    h[16..24].copy_from_slice(&chain.wrapping_mul(0x9e37_79b9_7f4a_7c15).to_le_bytes());
    h[24..32].copy_from_slice(&round.wrapping_mul(0xc2b2_ae3d_27d4_eb4f).to_le_bytes());
    Challenge(h)
}

fn exp_sample(mean: Duration) -> Duration {
    let u: f64 = rand::thread_rng().gen_range(f64::EPSILON..1.0);
    mean.mul_f64(-u.ln()).min(mean * 20)
}
