//! `masspoc bench forge`: the time to answer one challenge for a plot without storing it (the
//! [`Forger`] on all cores) beside the time to look it up in the stored plot, in the same run,
//! and what that means for a chain: the space one core fakes per target interval.

use crate::error::PlotError;
use crate::forge::Forger;
use crate::plotter::{plot, PlotRequest, Progress};
use masspoc_plot::reading::{read_candidates, FoundProof, PairIndex, PlotIdentity};
use masspoc_plot::PlotReader;
use masspoc_proof::forge::{fake_capacity, forge_ps, F_PS_PER_PAIR, MATCH_PS_PER_X, P_PS_PER_X};
use masspoc_proof::{Challenge, FilterBits, ProbeBits};
use serde::Serialize;
use std::time::Instant;

/// What to measure.
#[derive(Debug, Clone, Copy)]
pub struct ForgeBenchOptions {
    /// Challenges answered by recomputation (the median is reported).
    pub forge_challenges: usize,
    /// Challenges answered from the stored plot (the median is reported).
    pub lookup_challenges: usize,
    /// The probe window of the challenges.
    pub probe_bits: ProbeBits,
    /// The chain's filter bits (used only in the conversion: every lookup here passes).
    pub filter_bits: FilterBits,
    /// The chain's target interval, ms (used only in the conversion).
    pub target_interval_ms: u64,
}

/// The measured figures.
#[derive(Debug, Clone, Serialize)]
pub struct ForgeBenchReport {
    /// Plot size parameter.
    pub k: u8,
    /// Worker threads the forger used (all cores).
    pub threads: usize,
    /// Probe bits of the challenges.
    pub probe_bits: ProbeBits,
    /// Filter bits of the conversion.
    pub filter_bits: FilterBits,
    /// Target interval of the conversion, ms.
    pub target_interval_ms: u64,
    /// Median wall time to answer one challenge by recomputing the plot on all cores.
    pub forge_s: f64,
    /// Its stages (the median run's): all P, the matching, all F with the window.
    pub forge_stages_s: [f64; 3],
    /// Median wall time to answer one challenge from the stored plot (warm page cache).
    pub lookup_s: f64,
    /// `forge_s / lookup_s`.
    pub forge_over_lookup: f64,
    /// The stored plot's size.
    pub plot_bytes: u64,
    /// Pairs the forger found (all valid pairs; equal to the stored plot's count).
    pub pairs: u64,
    /// One core's recomputation time: `forge_s × threads`.
    pub forge_core_s: f64,
    /// `T · 2^f / forge_core_s × plot_bytes`, in GiB: the space one core keeps answering by
    /// recomputation at this k.
    pub fake_gib_per_core_per_interval: f64,
    /// Measured per-core rates, ns: P per x, matching per x, F per pair.
    pub measured_ns: [f64; 3],
    /// The cost model's constants (`masspoc_proof::forge`), ns: P per x, matching per x, F per
    /// pair. Each should stay at or below the measured rate (the model favours the faker).
    pub model_ns: [f64; 3],
    /// The model's one-core recomputation time at this k, s.
    pub model_forge_core_s: f64,
    /// The model's fake GiB per core per interval with this k as `min_k` (at min_k, then the
    /// faker's best k).
    pub model_fake_gib_per_core_per_interval: [f64; 2],
    /// Every forged answer equalled the stored plot's (same pairs, same best proof).
    pub answers_match: bool,
}

/// Why the benchmark could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ForgeBenchError {
    /// Plotting the reference plot failed.
    #[error("plotting the stored plot failed")]
    Plot(#[from] PlotError),
    /// Reading the stored plot failed.
    #[error("reading the stored plot failed")]
    Read(#[from] masspoc_plot::ReadError),
    /// The forged answer differs from the stored one (a bug in the forger).
    #[error("the forged answer to challenge {0} differs from the stored plot's")]
    Mismatch(usize),
}

fn challenge(i: usize) -> Challenge {
    let mut h = blake3::Hasher::new();
    h.update(b"masspoc/bench/forge");
    h.update(&(i as u64).to_le_bytes());
    Challenge(*h.finalize().as_bytes())
}

fn answer<I: PairIndex>(
    index: &I,
    id: &PlotIdentity,
    c: &Challenge,
    probe_bits: ProbeBits,
) -> Result<Vec<FoundProof>, masspoc_plot::ReadError> {
    Ok(read_candidates(index, id, c, FilterBits::NONE, probe_bits)?.unwrap_or_default())
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

/// Plots `req` (removed afterwards), then times forged and stored answers to the same challenges
/// and checks that they agree.
pub fn bench_forge(
    req: &PlotRequest,
    opts: &ForgeBenchOptions,
    progress: &dyn Progress,
) -> Result<ForgeBenchReport, ForgeBenchError> {
    let _ = std::fs::remove_file(req.final_path());
    let summary = plot(req, progress)?;
    let result = measure(opts, &summary.path, summary.bytes);
    let _ = std::fs::remove_file(&summary.path);
    result
}

fn measure(
    opts: &ForgeBenchOptions,
    path: &std::path::Path,
    plot_bytes: u64,
) -> Result<ForgeBenchReport, ForgeBenchError> {
    let reader = PlotReader::open(path)?;
    let id = *reader.identity();
    let k = id.k;
    let lookups = opts.lookup_challenges.max(1);
    // Warm the page cache: a farmer's plots are read often.
    for i in 0..lookups {
        std::hint::black_box(answer(&reader, &id, &challenge(i), opts.probe_bits)?);
    }
    let mut lookup = Vec::with_capacity(lookups);
    for i in 0..lookups {
        let t = Instant::now();
        std::hint::black_box(answer(&reader, &id, &challenge(i), opts.probe_bits)?);
        lookup.push(t.elapsed().as_secs_f64());
    }
    let forger = Forger::new(id.plot_id, k);
    let threads = rayon::current_num_threads();
    let mut runs = Vec::new();
    for i in 0..opts.forge_challenges.max(1) {
        let c = challenge(i);
        let t = Instant::now();
        let forged = answer(&forger, &id, &c, opts.probe_bits)?;
        let s = t.elapsed().as_secs_f64();
        if forged != answer(&reader, &id, &c, opts.probe_bits)? {
            return Err(ForgeBenchError::Mismatch(i));
        }
        runs.push((s, forger.last_times()));
    }
    runs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (forge_s, times) = runs[runs.len() / 2];
    let lookup_s = median(&mut lookup);
    let n = k.domain() as f64;
    let cores = threads as f64;
    let forge_core_s = forge_s * cores;
    let t_s = opts.target_interval_ms as f64 / 1000.0;
    let gib = |bytes: f64| bytes / f64::from(1u32 << 30);
    let fake =
        gib(t_s * f64::from(opts.filter_bits.get()).exp2() / forge_core_s * plot_bytes as f64);
    let model = fake_capacity(k, opts.filter_bits.get(), opts.target_interval_ms);
    Ok(ForgeBenchReport {
        k: k.get(),
        threads,
        probe_bits: opts.probe_bits,
        filter_bits: opts.filter_bits,
        target_interval_ms: opts.target_interval_ms,
        forge_s,
        forge_stages_s: [times.p_s, times.match_s, times.f_s],
        lookup_s,
        forge_over_lookup: forge_s / lookup_s.max(1e-12),
        plot_bytes,
        pairs: times.pairs,
        forge_core_s,
        fake_gib_per_core_per_interval: fake,
        measured_ns: [
            times.p_s * cores / n * 1e9,
            times.match_s * cores / n * 1e9,
            times.f_s * cores / (times.pairs.max(1) as f64) * 1e9,
        ],
        model_ns: [
            P_PS_PER_X as f64 / 1000.0,
            MATCH_PS_PER_X as f64 / 1000.0,
            F_PS_PER_PAIR as f64 / 1000.0,
        ],
        model_forge_core_s: forge_ps(k) as f64 / 1e12,
        model_fake_gib_per_core_per_interval: [
            gib(model.bytes_at_min_k as f64),
            gib(model.bytes as f64),
        ],
        answers_match: true,
    })
}
