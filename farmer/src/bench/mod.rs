//! `masspoc bench farm`: challenge-to-best-proof latency over N plots for M chains at once,
//! beside the latency of one random read of the same plot files measured in the same run.
//!
//! Each chain is a task that issues challenges at exponentially distributed intervals (mean
//! `interval`), as independent chains do, and times [`crate::lookup::run_round`] from challenge to best proof.
//! The bound of one challenge is what a lookup cannot avoid, measured in the same run: one probe
//! hash per plot, and per passing plot its reads (`reads per lookup × one random read`) and one
//! quality hash per pair of the window (`2^(b−1)` on average); the ratio is p99 over that bound.

mod measure;
mod memory;
mod plots;
mod raw_read;

pub use measure::{
    bench_challenge, bench_runtime, lookup_one, measure_yardstick, median, median_hash_us,
    median_lookup_us, median_round_us, round, warm_mappings, Yardstick, ROUND_BUDGET,
};
pub use memory::{open_fds, rss, Rss};
pub use plots::{bench_seed, BenchPlots, MakePlot, BENCH_FARMER};
pub use raw_read::{median_pread_us, warm, RawReads, RAW_READ_LEN};

use crate::plots::READS_PER_LOOKUP;
use masspoc_proof::{FilterBits, ProbeBits};
use rand::Rng;
use serde::Serialize;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Why the benchmark could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BenchError {
    /// Plotting failed (the plot maker's error).
    #[error("plotting failed")]
    Plot(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Reading the plot files failed.
    #[error("reading plots failed")]
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
    pub filter_bits: FilterBits,
    /// Probe bits (0: one index per plot and challenge).
    pub probe_bits: ProbeBits,
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
    pub filter_bits: FilterBits,
    /// Probe bits.
    pub probe_bits: ProbeBits,
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
    /// Median latency of one plot lookup alone (probe, reads, F check, quality, score; filter 0)
    /// on one thread, µs: what a round spends per passing plot before any scheduling.
    pub lookup_us: f64,
    /// Random reads one plot lookup makes.
    pub reads_per_lookup: u32,
    /// `passing_mean × reads_per_lookup × raw_read_us`: the reads alone.
    pub raw_bound_us: f64,
    /// Median time of one quality (or probe) hash, µs.
    pub hash_us: f64,
    /// Pairs in a window on average, `2^(probe_bits − 1)`: quality hashes per passing plot.
    pub window_pairs_mean: f64,
    /// The same-run bound: `plots × hash_us + passing_mean × (reads_per_lookup × raw_read_us +
    /// window_pairs_mean × hash_us)`.
    pub bound_us: f64,
    /// `p99_us / bound_us` (target: at most 3).
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

/// Runs the benchmark (blocking; starts its own runtime with two worker threads); `make_plot`
/// makes the plots the directory does not hold yet.
pub fn run_farm_bench(
    opts: &FarmBenchOptions,
    make_plot: MakePlot<'_>,
    progress: &dyn Fn(usize, usize),
) -> Result<FarmBenchReport, BenchError> {
    let plots = Arc::new(BenchPlots::open(
        &opts.dir, opts.k, opts.plots, make_plot, progress,
    )?);
    let raw_read_us = median_pread_us(&plots.paths, opts.raw_samples.max(1))?;
    let rt = bench_runtime()?;
    // Warm-up: fault the plots' pages into the mappings (steady state of a running farmer).
    warm_mappings(&rt, &plots, opts.warmup_rounds);
    let lookup_us = median_lookup_us(
        &plots,
        opts.raw_samples.max(1),
        FilterBits::NONE,
        opts.probe_bits,
    );
    let samples = rt.block_on(async {
        let mut tasks = Vec::new();
        for c in 0..opts.chains {
            let plots = Arc::clone(&plots);
            let (rounds, interval) = (opts.rounds, opts.interval);
            let (filter_bits, probe_bits) = (opts.filter_bits, opts.probe_bits);
            tasks.push(tokio::spawn(async move {
                let mut out = Vec::with_capacity(rounds);
                for r in 0..rounds {
                    let pause = exp_sample(interval);
                    tokio::time::sleep(pause).await;
                    let ch = bench_challenge(c as u64, r as u64);
                    let t = Instant::now();
                    let o = round(&plots, ch, filter_bits, probe_bits).await;
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
    let hash_us = median_hash_us(opts.raw_samples.max(64));
    let window_pairs_mean = f64::from(1u32 << opts.probe_bits.get()) / 2.0;
    let bound_us =
        opts.plots as f64 * hash_us + raw_bound_us + passing_mean * window_pairs_mean * hash_us;
    let p99_us = pct(0.99);
    Ok(FarmBenchReport {
        plots: opts.plots,
        chains: opts.chains,
        k: opts.k,
        filter_bits: opts.filter_bits,
        probe_bits: opts.probe_bits,
        rounds: samples.len(),
        passing_mean,
        p50_us: pct(0.5),
        p99_us,
        raw_read_us,
        lookup_us,
        reads_per_lookup: READS_PER_LOOKUP,
        raw_bound_us,
        hash_us,
        window_pairs_mean,
        bound_us,
        ratio: if bound_us > 0.0 {
            p99_us / bound_us
        } else {
            0.0
        },
        rounds_with_proof: samples.iter().filter(|s| s.2).count(),
        plot_bytes: plots.plot_bytes,
        rss_before_open: plots.rss_before_open,
        rss_after_open: plots.rss_after_open,
        rss_after,
        open_fds: plots.open_fds,
    })
}

fn exp_sample(mean: Duration) -> Duration {
    let u: f64 = rand::thread_rng().gen_range(f64::EPSILON..1.0);
    mean.mul_f64(-u.ln()).min(mean * 20)
}
