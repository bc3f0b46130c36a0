//! `masspoc bench plot --k K`: plotting wall time beside the machine's lower bound measured in
//! the same run (every P and F evaluation on all cores, plus writing the plot's bytes once).

use crate::commands::proofs::parse_size;
use crate::output::print_json;
use anyhow::Context;
use clap::Args as ClapArgs;
use masspoc_plotter::bench::bench_plot;
use masspoc_plotter::{NoProgress, PlotRequest};
use masspoc_proof::{FarmerPublicKey, PlotSeed, K};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `bench plot`.
#[derive(ClapArgs)]
pub struct Args {
    /// Plot size parameter.
    #[arg(long, default_value_t = 24)]
    k: u8,
    /// Directory for the plot (deleted afterwards) and the write test.
    #[arg(long, value_name = "DIR", default_value = ".")]
    dir: PathBuf,
    /// Memory bound (default: as `plot`).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    memory: Option<u64>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

impl Args {
    /// Runs the benchmark.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let k = K::new(self.k).context("--k")?;
        let mut req = PlotRequest::new(
            FarmerPublicKey([0x42; 32]),
            k,
            PlotSeed([0x17; 32]),
            &self.dir,
        );
        if let Some(m) = self.memory {
            req.memory = m;
        }
        if let Some(t) = self.threads {
            req.threads = t.max(1);
        }
        let r = bench_plot(&req, &NoProgress).context("plotting benchmark")?;
        if self.json {
            print_json(&r)?;
        } else {
            println!(
                "k={} threads={} memory={} MiB",
                r.k,
                r.threads,
                r.memory_bytes >> 20
            );
            println!(
                "plotting      {:>8.3} s  ({:.1} MB/s, {} bytes, {} pairs, {} round(s){})",
                r.wall_s,
                r.mb_per_s,
                r.bytes,
                r.pairs,
                r.rounds,
                if r.runs_on_disk { ", run files" } else { "" }
            );
            println!(
                "lower bound   {:>8.3} s  (P {:.3} s + F {:.3} s + write {:.3} s)",
                r.bound_s, r.p_s, r.f_s, r.write_s
            );
            println!("ratio         {:>8.2}    (target <= 4)", r.ratio);
            println!("peak RSS      {:>8} MiB", r.peak_rss_bytes >> 20);
        }
        Ok(ExitCode::SUCCESS)
    }
}
