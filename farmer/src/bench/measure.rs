//! The measurements shared by `masspoc bench farm` and `cargo bench -p masspoc-farmer`: one plot
//! lookup, one round over every plot, and the raw-read yardstick they are compared with.

use super::plots::BenchPlots;
use super::raw_read::RawReads;
use super::BenchError;
use crate::lookup::{run_round, RoundOutcome};
use crate::plots::{PlotEntry, READS_PER_LOOKUP};
use masspoc_proof::{Challenge, FilterBits, ProbeBits};
use serde::Serialize;
use std::time::{Duration, Instant};

/// Budget of a benchmark round: far above any lookup, so no round ends early.
pub const ROUND_BUDGET: Duration = Duration::from_secs(10);

/// The challenge of round `round` of chain `chain` (distinct for distinct pairs).
#[must_use]
pub fn bench_challenge(chain: u64, round: u64) -> Challenge {
    let mut h = [0u8; 32];
    h[..8].copy_from_slice(&chain.to_le_bytes());
    h[8..16].copy_from_slice(&round.to_le_bytes());
    // Spread the bits: the proof crate's probe hashes the challenge anyway, any distinct bytes do.
    h[16..24].copy_from_slice(&chain.wrapping_mul(0x9e37_79b9_7f4a_7c15).to_le_bytes());
    h[24..32].copy_from_slice(&round.wrapping_mul(0xc2b2_ae3d_27d4_eb4f).to_le_bytes());
    Challenge(h)
}

/// The runtime the benchmark runs rounds on: two worker threads, as a small farmer.
pub fn bench_runtime() -> Result<tokio::runtime::Runtime, BenchError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| BenchError::Runtime(e.to_string()))
}

/// One plot lookup as a round makes it (probe, filter, the plot's reads, F check, quality and
/// score), on the calling thread; returns the proofs found (an unreadable plot counts none).
pub fn lookup_one(
    entry: &PlotEntry,
    challenge: &Challenge,
    filter_bits: FilterBits,
    probe_bits: ProbeBits,
) -> usize {
    match entry.plot.prove(challenge, filter_bits, probe_bits) {
        Ok(Some(found)) => found.len(),
        Ok(None) | Err(_) => 0,
    }
}

/// One round over every benchmark plot, as the farmer runs it ([`run_round`]).
pub async fn round(
    plots: &BenchPlots,
    challenge: Challenge,
    filter_bits: FilterBits,
    probe_bits: ProbeBits,
) -> RoundOutcome {
    run_round(
        &plots.snapshot,
        plots.dirs(),
        challenge,
        filter_bits,
        probe_bits,
        ROUND_BUDGET,
    )
    .await
}

/// Rounds with every plot looked up (filter 0, single index), untimed: faults the plots' pages
/// into the mappings, the steady state of a running farmer.
pub fn warm_mappings(rt: &tokio::runtime::Runtime, plots: &BenchPlots, rounds: usize) {
    rt.block_on(async {
        for r in 0..rounds as u64 {
            let ch = bench_challenge(u64::MAX, r);
            std::hint::black_box(round(plots, ch, FilterBits::NONE, ProbeBits::NONE).await);
        }
    });
}

/// The median of `v` (sorted in place); 0 when empty.
#[must_use]
pub fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

/// Median time (µs) of one quality hash (`KH(plot_id, "Q" || challenge || x || x')`, one BLAKE3
/// block; the probe hash costs the same), timed in batches of 64 on the calling thread: the
/// hashing a lookup cannot avoid is one probe per plot and one quality hash per pair of the
/// window.
#[must_use]
pub fn median_hash_us(samples: usize) -> f64 {
    const BATCH: u64 = 64;
    let plot_id = masspoc_proof::PlotId([0x5a; 32]);
    let mut v: Vec<f64> = (0..samples.div_ceil(BATCH as usize).max(1) as u64)
        .map(|i| {
            let c = bench_challenge(u64::MAX, i);
            let t = Instant::now();
            for x in 0..BATCH {
                std::hint::black_box(masspoc_proof::quality(&plot_id, &c, i * BATCH + x, x));
            }
            t.elapsed().as_secs_f64() * 1e6 / BATCH as f64
        })
        .collect();
    median(&mut v)
}

/// Median latency (µs) of one plot lookup, each timed alone, going round the plots with a new
/// challenge each time (so each lookup reads a different place, as in a farm).
#[must_use]
pub fn median_lookup_us(
    plots: &BenchPlots,
    samples: usize,
    filter_bits: FilterBits,
    probe_bits: ProbeBits,
) -> f64 {
    let snap = &plots.snapshot;
    if snap.is_empty() {
        return 0.0;
    }
    let mut times = Vec::with_capacity(samples);
    for s in 0..samples {
        let ch = bench_challenge(u64::MAX - 1, s as u64);
        let e = &snap[s % snap.len()];
        let t = Instant::now();
        std::hint::black_box(lookup_one(e, &ch, filter_bits, probe_bits));
        times.push(t.elapsed().as_nanos() as f64 / 1000.0);
    }
    median(&mut times)
}

/// Median latency (µs) of one round over every plot, rounds back to back on `rt`.
#[must_use]
pub fn median_round_us(
    rt: &tokio::runtime::Runtime,
    plots: &BenchPlots,
    samples: usize,
    filter_bits: FilterBits,
    probe_bits: ProbeBits,
) -> f64 {
    let mut times = rt.block_on(async {
        let mut times = Vec::with_capacity(samples);
        for s in 0..samples {
            let ch = bench_challenge(u64::MAX - 2, s as u64);
            let t = Instant::now();
            std::hint::black_box(round(plots, ch, filter_bits, probe_bits).await);
            times.push(t.elapsed().as_nanos() as f64 / 1000.0);
        }
        times
    });
    median(&mut times)
}

/// One plot lookup and one round beside the raw reads they are made of, measured together.
#[derive(Debug, Clone, Serialize)]
pub struct Yardstick {
    /// Plots in a round (all pass: filter 0).
    pub plots: usize,
    /// Median of one plot lookup on one thread, µs.
    pub lookup_us: f64,
    /// Median of one round over every plot (back to back, 2 runtime workers), µs.
    pub round_us: f64,
    /// Median of one random 64-byte `pread` of the same files, µs.
    pub raw_read_us: f64,
    /// Random reads one plot lookup makes.
    pub reads_per_lookup: u32,
    /// `lookup_us / (reads_per_lookup × raw_read_us)`.
    pub lookup_ratio: f64,
    /// `round_us / (plots × reads_per_lookup × raw_read_us)`.
    pub round_ratio: f64,
}

/// Measures a [`Yardstick`]: `samples` lookups, `samples / 10` rounds and `samples` raw reads.
pub fn measure_yardstick(
    rt: &tokio::runtime::Runtime,
    plots: &BenchPlots,
    samples: usize,
) -> Result<Yardstick, BenchError> {
    let (f, b) = (FilterBits::NONE, ProbeBits::NONE);
    let lookup_us = median_lookup_us(plots, samples, f, b);
    let round_us = median_round_us(rt, plots, (samples / 10).max(1), f, b);
    let raw_read_us = RawReads::open(&plots.paths)?.median_us(samples)?;
    let read = f64::from(READS_PER_LOOKUP) * raw_read_us;
    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
    Ok(Yardstick {
        plots: plots.snapshot.len(),
        lookup_us,
        round_us,
        raw_read_us,
        reads_per_lookup: READS_PER_LOOKUP,
        lookup_ratio: ratio(lookup_us, read),
        round_ratio: ratio(round_us, plots.snapshot.len() as f64 * read),
    })
}
