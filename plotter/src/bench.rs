//! `masspoc bench plot` and `cargo bench`: plotting wall time against the machine's lower bound
//! measured in the same run (every P and F evaluation on all cores at this build's best rate,
//! plus writing the plot's bytes once sequentially).

use crate::error::{IoContext, PlotError};
use crate::plotter::{plot, PlotRequest, PlotSummary, Progress};
use crate::usage::CpuUsage;
use masspoc_proof::{f_many, p_fill, PlotId, F_BATCH, K};
use rayon::prelude::*;
use serde::Serialize;
use std::io::Write;
use std::path::Path;
use std::time::Instant;

/// The measured figures.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    /// Plot size parameter.
    pub k: u8,
    /// Worker threads.
    pub threads: usize,
    /// Memory bound given to the plotter.
    pub memory_bytes: u64,
    /// What `wall_s` times: `"command"` (a whole `masspoc plot` process, from its start to its
    /// exit) or `"in-process"` (the plotting function only).
    pub timed: &'static str,
    /// Plotting wall time (of what `timed` says).
    pub wall_s: f64,
    /// The plotter's own wall time (from inside the plotting function).
    pub plot_s: f64,
    /// Lower bound: `p_s + f_s + write_s`.
    pub bound_s: f64,
    /// All `2^k` P values on all cores.
    pub p_s: f64,
    /// All `2^(k-1)` F values on all cores.
    pub f_s: f64,
    /// Writing the plot's bytes once, sequentially, with fsync.
    pub write_s: f64,
    /// `wall_s / bound_s`.
    pub ratio: f64,
    /// Plot bytes per second of wall time, in MB (10^6 bytes).
    pub mb_per_s: f64,
    /// Peak resident set size of the plotting process (getrusage).
    pub peak_rss_bytes: u64,
    /// CPU time and minor faults of the plotting (the whole command when `timed` is
    /// `"command"`).
    pub cpu: CpuUsage,
    /// `cpu.sys_s / cpu.user_s`.
    pub sys_over_user: f64,
    /// Plot file size.
    pub bytes: u64,
    /// Pairs stored.
    pub pairs: u64,
    /// Whether round outputs were spilled to run files.
    pub runs_on_disk: bool,
    /// Number of matching rounds.
    pub rounds: u64,
    /// Plotter seconds per phase: matching, writing, finishing.
    pub phase_seconds: [f64; 3],
    /// CPU time and minor faults per phase.
    pub phase_cpu: [CpuUsage; 3],
}

/// The machine's lower bound for plotting a plot, measured now.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Bound {
    /// All `2^k` P values on all cores (best of two).
    pub p_s: f64,
    /// All `2^(k-1)` F values on all cores (best of two).
    pub f_s: f64,
    /// Writing the plot's bytes once, sequentially, with fsync.
    pub write_s: f64,
}

impl Bound {
    /// `p_s + f_s + write_s`.
    #[must_use]
    pub fn total(&self) -> f64 {
        self.p_s + self.f_s + self.write_s
    }
}

/// Measures the bound of plotting `req` (a plot of `bytes` bytes) on `req.threads` threads.
pub fn measure_bound(req: &PlotRequest, bytes: u64) -> Result<Bound, PlotError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(req.threads.max(1))
        .build()?;
    let plot_id = req.plot_id();
    let p_s = pool.install(|| time_p(&plot_id, req.k).min(time_p(&plot_id, req.k)));
    let f_s = pool.install(|| time_f(&plot_id, req.k).min(time_f(&plot_id, req.k)));
    let write_s = time_write(&req.out_dir, bytes)?;
    Ok(Bound { p_s, f_s, write_s })
}

/// How one plotting run went, as [`report`] needs it.
#[derive(Debug, Clone)]
pub struct Timed {
    /// What was timed (`"command"` or `"in-process"`).
    pub timed: &'static str,
    /// Its wall time.
    pub wall_s: f64,
    /// Its CPU time and faults.
    pub cpu: CpuUsage,
    /// Its peak RSS.
    pub peak_rss_bytes: u64,
    /// The plotter's summary.
    pub summary: PlotSummary,
}

/// The report of a timed plotting run against its bound.
#[must_use]
pub fn report(req: &PlotRequest, run: &Timed, bound: &Bound) -> BenchReport {
    let s = &run.summary;
    BenchReport {
        k: req.k.get(),
        threads: req.threads,
        memory_bytes: req.memory,
        timed: run.timed,
        wall_s: run.wall_s,
        plot_s: s.seconds,
        bound_s: bound.total(),
        p_s: bound.p_s,
        f_s: bound.f_s,
        write_s: bound.write_s,
        ratio: run.wall_s / bound.total(),
        mb_per_s: s.bytes as f64 / 1e6 / run.wall_s,
        peak_rss_bytes: run.peak_rss_bytes,
        cpu: run.cpu,
        sys_over_user: run.cpu.sys_over_user(),
        bytes: s.bytes,
        pairs: s.pairs,
        runs_on_disk: s.plan.runs_on_disk,
        rounds: 1 << s.plan.rounds_log2,
        phase_seconds: s.phase_seconds,
        phase_cpu: s.phase_cpu,
    }
}

/// Seconds to compute all `2^k` P values on the current rayon pool.
#[must_use]
pub fn time_p(plot_id: &PlotId, k: K) -> f64 {
    let block = 1u64 << 16.min(k.get());
    let start = Instant::now();
    let sink: u64 = (0..k.domain() / block)
        .into_par_iter()
        .map_init(
            || (vec![0u64; block as usize], Vec::new()),
            |(out, scratch), b| {
                p_fill(plot_id, k, b * block, out, scratch);
                out.iter().fold(0, |a, &v| a ^ v)
            },
        )
        .reduce(|| 0, |a, b| a ^ b);
    std::hint::black_box(sink);
    start.elapsed().as_secs_f64()
}

/// Seconds to compute `2^(k-1)` F values (pairs `(i, i + 1)`) on the current rayon pool.
#[must_use]
pub fn time_f(plot_id: &PlotId, k: K) -> f64 {
    let n = k.half();
    let batch = F_BATCH as u64 * 16;
    let start = Instant::now();
    let sink: u64 = (0..n.div_ceil(batch))
        .into_par_iter()
        .map_init(
            || {
                (
                    Vec::with_capacity(batch as usize),
                    vec![0u64; batch as usize],
                )
            },
            |(pairs, zs), b| {
                pairs.clear();
                let lo = b * batch;
                pairs.extend((lo..(lo + batch).min(n)).map(|i| (i, i + 1)));
                f_many(plot_id, k, pairs, zs);
                zs[..pairs.len()].iter().fold(0, |a, &v| a ^ v)
            },
        )
        .reduce(|| 0, |a, b| a ^ b);
    std::hint::black_box(sink);
    start.elapsed().as_secs_f64()
}

/// Seconds to write `bytes` bytes sequentially into a new file in `dir` and fsync it.
pub fn time_write(dir: &Path, bytes: u64) -> Result<f64, PlotError> {
    let path = dir.join("masspoc-bench-write.tmp");
    let buf = vec![0x5Au8; 8 << 20];
    let start = Instant::now();
    let mut f = std::fs::File::create(&path).at(&path)?;
    let mut left = bytes;
    while left > 0 {
        let n = left.min(buf.len() as u64) as usize;
        f.write_all(&buf[..n]).at(&path)?;
        left -= n as u64;
    }
    f.sync_all().at(&path)?;
    let t = start.elapsed().as_secs_f64();
    drop(f);
    let _ = std::fs::remove_file(&path);
    Ok(t)
}

/// Plots `req` in this process (into its directories, removing the plot afterwards) and
/// measures the bound. `masspoc bench plot` times a whole `masspoc plot` process instead.
pub fn bench_plot(req: &PlotRequest, progress: &dyn Progress) -> Result<BenchReport, PlotError> {
    let _ = std::fs::remove_file(req.final_path());
    let cpu = CpuUsage::of_self();
    let summary = plot(req, progress)?;
    let run = Timed {
        timed: "in-process",
        wall_s: summary.seconds,
        cpu: CpuUsage::of_self().since(&cpu),
        peak_rss_bytes: crate::memory::peak_rss_bytes(),
        summary,
    };
    let _ = std::fs::remove_file(&run.summary.path);
    let bound = measure_bound(req, run.summary.bytes)?;
    Ok(report(req, &run, &bound))
}
