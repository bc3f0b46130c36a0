//! `masspoc bench farm --plots N --chains M [--json]`: challenge-to-best-proof latency (p50, p99)
//! across N plots for M chains at once, beside the same-run bound of what a lookup cannot avoid
//! (one probe hash per plot; per passing plot its reads and the window's quality hashes), and
//! their ratio. Measuring logic: `masspoc_farmer::bench`. With `--harvesters N`, the same plots
//! across N harvester processes beside local rounds (`farm_harvesters`).

use crate::output::print_json;
use anyhow::Context;
use masspoc_farmer::bench::{run_farm_bench, BenchPlots, FarmBenchOptions, FarmBenchReport};
use masspoc_plotter::{plot, NoProgress, PlotRequest};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Options of the farm benchmark.
#[derive(clap::Args)]
pub struct Args {
    /// Plots to farm (made on the first run, reused after).
    #[arg(long, default_value_t = 100)]
    plots: usize,
    /// Chains served at once, each with its own challenges.
    #[arg(long, default_value_t = 1)]
    chains: usize,
    /// Plot size parameter of the benchmark plots.
    #[arg(long, default_value_t = 18)]
    k: u8,
    /// Directory of the benchmark plots [default: <temp dir>/masspoc-bench-farm-k<K>].
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Challenges per chain.
    #[arg(long, default_value_t = 300)]
    rounds: usize,
    /// Mean milliseconds between two challenges of one chain (exponential).
    #[arg(long, default_value_t = 20)]
    interval_ms: u64,
    #[command(flatten)]
    bits: crate::bits_arg::ChallengeBits,
    /// Split the plots over this many `masspoc harvester` processes on loopback and measure
    /// rounds across them beside rounds over the same plots read locally, in one run (one chain).
    #[arg(long, default_value_t = 0)]
    harvesters: usize,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

impl Args {
    /// Runs the benchmark.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        anyhow::ensure!(
            self.plots > 0 && self.chains > 0 && self.rounds > 0,
            "--plots, --chains and --rounds must be at least 1"
        );
        let dir = self.dir.clone().unwrap_or_else(|| {
            std::env::temp_dir().join(format!("masspoc-bench-farm-k{}", self.k))
        });
        let opts = FarmBenchOptions {
            plots: self.plots,
            chains: self.chains,
            k: self.k,
            dir: dir.clone(),
            rounds: self.rounds,
            interval: Duration::from_millis(self.interval_ms),
            filter_bits: self.bits.filter_bits,
            probe_bits: self.bits.probe_bits,
            raw_samples: 20_000,
            warmup_rounds: 1000,
        };
        let quiet = self.json;
        let make_plot = |dir: &std::path::Path, pk, k, seed| {
            Ok(plot(&PlotRequest::new(pk, k, seed, dir), &NoProgress)?.path)
        };
        let progress = |done: usize, total: usize| {
            if !quiet && (done == total || done.is_multiple_of(10)) {
                eprintln!("plots ready: {done}/{total} in {}", dir.display());
            }
        };
        if self.harvesters > 0 {
            let plots = BenchPlots::open(&dir, self.k, self.plots, &make_plot, &progress)
                .with_context(|| format!("the benchmark plots in {}", dir.display()))?;
            let report = super::farm_harvesters::run(
                &plots,
                &dir,
                self.harvesters,
                self.rounds,
                self.bits.filter_bits,
                self.bits.probe_bits,
            )?;
            if self.json {
                print_json(&report)?;
            } else {
                super::farm_harvesters::print_table(&report);
            }
            return Ok(ExitCode::SUCCESS);
        }
        let report = run_farm_bench(&opts, &make_plot, &progress).with_context(|| {
            format!(
                "farm benchmark over {} plots in {}",
                self.plots,
                dir.display()
            )
        })?;
        if self.json {
            print_json(&report)?;
        } else {
            print_table(&report);
        }
        Ok(ExitCode::SUCCESS)
    }
}

fn print_table(r: &FarmBenchReport) {
    println!(
        "farm benchmark: {} plots of k={}, {} chain(s), filter {} bits, probe {} bits, {} challenges",
        r.plots, r.k, r.chains, r.filter_bits, r.probe_bits, r.rounds
    );
    println!("  plots passing per challenge   {:>10.1}", r.passing_mean);
    println!("  challenge → best proof p50    {:>10.1} µs", r.p50_us);
    println!("  challenge → best proof p99    {:>10.1} µs", r.p99_us);
    println!(
        "  one random 64-byte pread      {:>10.2} µs (median, warm cache)",
        r.raw_read_us
    );
    println!(
        "  one plot lookup, one thread   {:>10.2} µs (median)",
        r.lookup_us
    );
    println!("  reads per lookup              {:>10}", r.reads_per_lookup);
    println!(
        "  reads (passing×reads×read)    {:>10.1} µs",
        r.raw_bound_us
    );
    println!(
        "  one quality/probe hash        {:>10.3} µs ({} pairs per window on average)",
        r.hash_us, r.window_pairs_mean
    );
    println!(
        "  bound (probes + reads + window hashes) {:>10.1} µs",
        r.bound_us
    );
    println!(
        "  ratio p99 / bound             {:>10.2} (target ≤ 3)",
        r.ratio
    );
    println!(
        "  challenges with a proof       {:>10}",
        r.rounds_with_proof
    );
    println!("  plot bytes                    {:>10}", r.plot_bytes);
    println!(
        "  RSS anon (KiB) before/after open/after run  {} / {} / {}",
        r.rss_before_open.anon_kib, r.rss_after_open.anon_kib, r.rss_after.anon_kib
    );
    println!(
        "  RSS total (KiB) after run     {:>10} (file pages: {})",
        r.rss_after.rss_kib, r.rss_after.file_kib
    );
    println!("  open file descriptors         {:>10}", r.open_fds);
}
