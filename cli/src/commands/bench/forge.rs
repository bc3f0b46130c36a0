//! `masspoc bench forge --k K [--json]`: on all cores, the time to answer one challenge for a
//! plot of parameter k without storing it (all P, the matching, all F, the window) beside the time
//! to look it up in the stored plot, and the space one core fakes per target interval; the
//! measured per-core rates are printed beside the cost model's constants
//! (`masspoc_proof::forge`). Measuring logic: `masspoc_plotter::forge_bench`.

use crate::output::print_json;
use anyhow::Context;
use masspoc_plotter::forge_bench::{bench_forge, ForgeBenchOptions};
use masspoc_plotter::{NoProgress, PlotRequest};
use masspoc_proof::{FarmerPublicKey, FilterBits, PlotSeed, ProbeBits, K};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `bench forge`.
#[derive(clap::Args)]
pub struct Args {
    /// Plot size parameter (at most 31).
    #[arg(long, default_value_t = 20)]
    k: u8,
    /// Directory for the stored plot (deleted afterwards).
    #[arg(long, value_name = "DIR", default_value = ".")]
    dir: PathBuf,
    /// Challenges answered by recomputation (median reported).
    #[arg(long, default_value_t = 5)]
    forges: usize,
    /// Challenges answered from the stored plot (median reported).
    #[arg(long, default_value_t = 2000)]
    lookups: usize,
    /// Probe bits of the challenges.
    #[arg(long, default_value_t = ProbeBits::new(6).expect("6 <= 16"), value_parser = crate::bits_arg::probe_bits)]
    probe_bits: ProbeBits,
    /// Filter bits of the chain the figure is for (the faker answers 1 in 2^f challenges).
    #[arg(long, default_value_t = FilterBits::NONE, value_parser = crate::bits_arg::filter_bits)]
    filter_bits: FilterBits,
    /// Target interval of the chain the figure is for, ms.
    #[arg(long, default_value_t = 10_000)]
    target_ms: u64,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

impl Args {
    /// Runs the benchmark.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let k = K::new(self.k).context("--k")?;
        anyhow::ensure!(
            k.get() <= masspoc_plotter::forge::MAX_FORGE_K,
            "--k: the forger handles k <= 31"
        );
        anyhow::ensure!(self.target_ms > 0, "--target-ms must be at least 1");
        let req = PlotRequest::new(
            FarmerPublicKey([0x42; 32]),
            k,
            PlotSeed([0x29; 32]),
            &self.dir,
        );
        let opts = ForgeBenchOptions {
            forge_challenges: self.forges,
            lookup_challenges: self.lookups,
            probe_bits: self.probe_bits,
            filter_bits: self.filter_bits,
            target_interval_ms: self.target_ms,
        };
        let r = bench_forge(&req, &opts, &NoProgress).context("forge benchmark")?;
        if self.json {
            print_json(&r)?;
            return Ok(ExitCode::SUCCESS);
        }
        println!(
            "k={} threads={} probe bits {}, chain: filter {} bits, target {} ms",
            r.k, r.threads, r.probe_bits, r.filter_bits, r.target_interval_ms
        );
        println!(
            "forge (recompute, all cores) {:>10.4} s  (P {:.4} s, matching {:.4} s, F + window {:.4} s; {} pairs)",
            r.forge_s, r.forge_stages_s[0], r.forge_stages_s[1], r.forge_stages_s[2], r.pairs
        );
        println!(
            "lookup (stored plot)         {:>10.6} s  (forge / lookup {:.0}×)",
            r.lookup_s, r.forge_over_lookup
        );
        println!(
            "one core fakes               {:>10.3} GiB per target interval ({} plot bytes, {:.3} s per recomputation on one core)",
            r.fake_gib_per_core_per_interval, r.plot_bytes, r.forge_core_s
        );
        println!(
            "per core, ns (measured / model): P per x {:.2} / {:.2}, matching per x {:.2} / {:.2}, F per pair {:.2} / {:.2}",
            r.measured_ns[0], r.model_ns[0], r.measured_ns[1], r.model_ns[1], r.measured_ns[2], r.model_ns[2]
        );
        println!(
            "model: {:.4} s per recomputation on one core; fakes {:.3} GiB at min_k = {} ({:.3} GiB at the faker's best k)",
            r.model_forge_core_s,
            r.model_fake_gib_per_core_per_interval[0],
            r.k,
            r.model_fake_gib_per_core_per_interval[1]
        );
        Ok(ExitCode::SUCCESS)
    }
}
