//! `masspoc bench plot --k K`: plotting wall time beside the machine's lower bound measured in
//! the same run (every P and F evaluation on all cores, plus writing the plot's bytes once).
//!
//! What is timed is a whole `masspoc plot` process (this binary, started as a child with the same
//! key, seed, k, memory and threads), from its start to its exit, so the figure is what a user
//! waits for; its CPU time and page faults come from `getrusage(RUSAGE_CHILDREN)`.

use crate::commands::proofs::parse_size;
use crate::output::print_json;
use anyhow::Context;
use clap::Args as ClapArgs;
use masspoc_plotter::bench::{measure_bound, report, Timed};
use masspoc_plotter::{CpuUsage, PlotRequest, PlotSummary};
use masspoc_proof::{FarmerPublicKey, PlotSeed, K};
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

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
        let run = time_plot_command(&req)?;
        let _ = std::fs::remove_file(&run.summary.path);
        let bound = measure_bound(&req, run.summary.bytes).context("measuring the bound")?;
        let r = report(&req, &run, &bound);
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
                "masspoc plot  {:>8.3} s  ({:.1} MB/s, {} bytes, {} pairs, {} round(s){}; plotter {:.3} s)",
                r.wall_s,
                r.mb_per_s,
                r.bytes,
                r.pairs,
                r.rounds,
                if r.runs_on_disk { ", run files" } else { "" },
                r.plot_s
            );
            println!(
                "lower bound   {:>8.3} s  (P {:.3} s + F {:.3} s + write {:.3} s)",
                r.bound_s, r.p_s, r.f_s, r.write_s
            );
            println!("ratio         {:>8.2}    (target <= 2.5)", r.ratio);
            println!(
                "CPU           {:>8.3} s user, {:.3} s system ({:.0}% of user), {} minor faults",
                r.cpu.user_s,
                r.cpu.sys_s,
                100.0 * r.sys_over_user,
                r.cpu.minor_faults
            );
            for (name, (s, c)) in ["matching", "writing", "finishing"]
                .iter()
                .zip(r.phase_seconds.iter().zip(&r.phase_cpu))
            {
                println!(
                    "  {name:<11} {s:>8.3} s  ({:.3} s user, {:.3} s system, {} faults)",
                    c.user_s, c.sys_s, c.minor_faults
                );
            }
            println!("peak RSS      {:>8} MiB", r.peak_rss_bytes >> 20);
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// Runs `masspoc plot` for `req` as a child process and times it from its start to its exit.
fn time_plot_command(req: &PlotRequest) -> anyhow::Result<Timed> {
    let _ = std::fs::remove_file(req.final_path());
    let exe = std::env::current_exe().context("finding this program")?;
    let mut cmd = Command::new(&exe);
    cmd.args(["plot", "--log", "warn", "--json", "--k"])
        .arg(req.k.get().to_string())
        .arg("--farmer-pk")
        .arg(req.farmer_pk.to_string())
        .arg("--seed")
        .arg(req.plot_seed.to_string())
        .arg("--out")
        .arg(&req.out_dir)
        .arg("--memory")
        .arg(req.memory.to_string())
        .arg("--threads")
        .arg(req.threads.to_string())
        .stdin(Stdio::null())
        .stderr(Stdio::inherit());
    let before = CpuUsage::of_children();
    let start = Instant::now();
    let out = cmd
        .output()
        .with_context(|| format!("starting {}", exe.display()))?;
    let wall_s = start.elapsed().as_secs_f64();
    let cpu = CpuUsage::of_children().since(&before);
    if !out.status.success() {
        anyhow::bail!("masspoc plot failed ({})", out.status);
    }
    #[derive(serde::Deserialize)]
    struct Plots {
        plots: Vec<PlotSummary>,
    }
    let mut plots: Plots =
        serde_json::from_slice(&out.stdout).context("reading masspoc plot's JSON summary")?;
    let summary = plots.plots.pop().context("masspoc plot reported no plot")?;
    Ok(Timed {
        timed: "command",
        wall_s,
        cpu,
        peak_rss_bytes: masspoc_plotter::usage::children_peak_rss_bytes(),
        summary,
    })
}
