//! `masspoc plot`: make complete plots in a directory, resuming unfinished ones first.

use super::parse_size;
use super::progress::{human_duration, Bar};
use crate::output::print_json;
use anyhow::{bail, Context};
use clap::ArgGroup;
use masspoc_plot::journal::Journal;
use masspoc_plot::scan::unfinished;
use masspoc_plotter::estimate::{estimate, Estimate, Eta};
use masspoc_plotter::{expected_plot_len, plot, PlotRequest, PlotSummary, StopAt};
use masspoc_proof::{FarmerPublicKey, PlotSeed, K};
use serde_json::json;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `masspoc plot`.
#[derive(clap::Args)]
#[command(group(ArgGroup::new("who").required(true).args(["farmer_pk", "key"])))]
#[command(group(ArgGroup::new("how_many").args(["count", "fill"])))]
pub struct Args {
    /// The farmer public key, 64 hex digits.
    #[arg(long, value_name = "HEX")]
    farmer_pk: Option<String>,
    /// A farmer key file (only its public key is read; no passphrase needed).
    #[arg(long, value_name = "FILE")]
    key: Option<PathBuf>,
    /// Plot size parameter (16..=40).
    #[arg(long)]
    k: u8,
    /// Directory for the finished plots. It must exist (a missing mount point must not fill the
    /// root disk) unless --create is given.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Directory for temporary run files (default: the output directory); it must exist unless
    /// --create is given.
    #[arg(long, value_name = "DIR")]
    tmp: Option<PathBuf>,
    /// Create the output (and --tmp) directory if it is missing.
    #[arg(long)]
    create: bool,
    /// Memory bound, e.g. 1GiB or 512M (default: half the RAM, at most 16 GiB).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    memory: Option<u64>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Number of plots to make.
    #[arg(long, default_value_t = 1)]
    count: u64,
    /// Keep making plots while the next one fits in the output directory's free space with
    /// --reserve still left free; says why it stopped.
    #[arg(long)]
    fill: bool,
    /// With --fill: free space left on the output file system for everything else (the file
    /// system's own needs, logs, other writers), e.g. 64MiB or 10GiB.
    #[arg(long, value_name = "SIZE", value_parser = parse_size, default_value = "64MiB")]
    reserve: u64,
    /// The plot seed (64 hex digits) for reproducible plots; plot i > 0 of a run uses
    /// BLAKE3("masspoc/v1/seed" || seed || u64le(i)).
    #[arg(long, value_name = "HEX")]
    seed: Option<String>,
    /// Print a JSON summary.
    #[arg(long)]
    json: bool,
}

impl Args {
    /// Runs the command.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let farmer_pk = match (&self.farmer_pk, &self.key) {
            (Some(h), _) => FarmerPublicKey::from_hex(h).context("--farmer-pk")?,
            (None, Some(path)) => masspoc_farmer::keys::read_public_key(path)
                .with_context(|| format!("reading the public key of {}", path.display()))?,
            (None, None) => bail!("give --farmer-pk or --key"),
        };
        let k = K::new(self.k).context("--k")?;
        let base_seed = self
            .seed
            .as_deref()
            .map(PlotSeed::from_hex)
            .transpose()
            .context("--seed")?;
        self.ensure_dirs()?;
        let mut done: Vec<PlotSummary> = Vec::new();
        let mut resumable = self.report_unfinished(&farmer_pk, k);
        let mut i = 0u64;
        let mut stopped = None;
        loop {
            if !self.fill && i >= self.count {
                break;
            }
            let seed = match (base_seed, resumable.pop()) {
                (Some(base), _) => derive_seed(&base, i),
                (None, Some(j)) => j.plot_seed,
                (None, None) => random_seed()?,
            };
            let req = self.request(farmer_pk, k, seed)?;
            if self.fill && !req.tmp_path().exists() && !req.final_path().exists() {
                let free = masspoc_plotter::disk::free_space(&self.out)
                    .with_context(|| format!("free space of {}", self.out.display()))?;
                let need = expected_plot_len(k);
                if free < need.saturating_add(self.reserve) {
                    let why =
                        format!(
                        "--fill: {} {}: {} free, a k={} plot needs {} and --reserve keeps {} free",
                        if done.is_empty() { "nothing plotted in" } else { "stopped filling" },
                        self.out.display(),
                        mib(free),
                        k.get(),
                        mib(need),
                        mib(self.reserve)
                    );
                    eprintln!("{why}");
                    stopped = Some(why);
                    break;
                }
            }
            let name = req.final_path();
            let mut bar = Bar::new(&name.file_name().unwrap_or_default().to_string_lossy());
            let estimated = estimate_before(&req, &name);
            if let Some(e) = estimated {
                bar = bar.with_eta(Eta::new(e));
            }
            let result = plot(&req, &bar);
            bar.finish();
            let summary = result.with_context(|| format!("plotting {}", name.display()))?;
            if let Some(e) = estimated {
                tracing::info!(
                    plot = %name.display(),
                    took = %human_duration(summary.seconds),
                    estimated = %human_duration(e.total_s()),
                    "plot done"
                );
            }
            if !self.json {
                println!(
                    "{} k={} pairs={} bytes={} {:.1}s{}",
                    summary.path.display(),
                    summary.k,
                    summary.pairs,
                    summary.bytes,
                    summary.seconds,
                    if summary.already_complete {
                        " (already complete)"
                    } else if summary.resumed {
                        " (resumed)"
                    } else {
                        ""
                    }
                );
            }
            done.push(summary);
            i += 1;
        }
        if self.json {
            print_json(&json!({ "plots": done, "fill_stopped": stopped }))?;
        }
        Ok(ExitCode::SUCCESS)
    }

    /// Refuses a missing output or temporary directory unless `--create` (then makes them).
    fn ensure_dirs(&self) -> anyhow::Result<()> {
        for dir in std::iter::once(&self.out).chain(self.tmp.as_ref()) {
            if dir.is_dir() {
                continue;
            }
            if dir.exists() {
                bail!("{} is not a directory", dir.display());
            }
            if !self.create {
                bail!(
                    "plot directory {} does not exist; is its disk mounted? (pass --create to \
                     create it)",
                    dir.display()
                );
            }
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        Ok(())
    }

    fn request(
        &self,
        farmer_pk: FarmerPublicKey,
        k: K,
        seed: PlotSeed,
    ) -> anyhow::Result<PlotRequest> {
        let mut req = PlotRequest::new(farmer_pk, k, seed, &self.out);
        if let Some(t) = &self.tmp {
            req.tmp_dir = t.clone();
        }
        if let Some(m) = self.memory {
            req.memory = m;
        }
        if let Some(t) = self.threads {
            req.threads = t.max(1);
        }
        // Test hooks (documented in docs/plot-format.md): checkpoint granularity and a stop.
        if let Ok(v) = std::env::var("MASSPOC_PLOT_CHECKPOINT_BYTES") {
            req.checkpoint_bytes = v.parse().context("MASSPOC_PLOT_CHECKPOINT_BYTES")?;
        }
        if let Ok(v) = std::env::var("MASSPOC_PLOT_STOP_AT") {
            req.hooks.stop_at = Some(parse_stop(&v)?);
        }
        Ok(req)
    }

    /// Reports unfinished plots of other keys or k as stale; returns the journals of ours.
    fn report_unfinished(&self, farmer_pk: &FarmerPublicKey, k: K) -> Vec<Journal> {
        let mut ours = Vec::new();
        for (path, journal) in unfinished(&self.out) {
            match journal {
                Some(j) if j.farmer_pk == *farmer_pk && j.k == k.get() => ours.push(j),
                _ => eprintln!(
                    "warning: stale unfinished plot {} (another key or k, or no journal); \
                     rerun its plot command to resume it, or delete it",
                    path.display()
                ),
            }
        }
        ours
    }
}

fn parse_stop(v: &str) -> anyhow::Result<StopAt> {
    let (what, n) = v
        .split_once(':')
        .context("MASSPOC_PLOT_STOP_AT is WHAT:N")?;
    let n: u64 = n.parse().context("MASSPOC_PLOT_STOP_AT count")?;
    match what {
        "round" => Ok(StopAt::Round(n)),
        "superblocks" => Ok(StopAt::Superblocks(n)),
        _ => bail!("MASSPOC_PLOT_STOP_AT must be round:N or superblocks:N"),
    }
}

/// A byte count in MiB, for messages.
fn mib(bytes: u64) -> String {
    format!("{} MiB", bytes >> 20)
}

/// Plot `i` of a run with an explicit seed.
fn derive_seed(base: &PlotSeed, i: u64) -> PlotSeed {
    if i == 0 {
        return *base;
    }
    let mut h = blake3::Hasher::new();
    h.update(b"masspoc/v1/seed");
    h.update(base.as_bytes());
    h.update(&i.to_le_bytes());
    PlotSeed(*h.finalize().as_bytes())
}

fn random_seed() -> anyhow::Result<PlotSeed> {
    let path = Path::new("/dev/urandom");
    let mut seed = [0u8; 32];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut seed))
        .context("reading /dev/urandom")?;
    Ok(PlotSeed(seed))
}

/// Plots from this k on are estimated before they start (smaller ones take seconds).
const ESTIMATE_FROM_K: u8 = 26;

/// The time a new plot of `req` will take, measured on this machine and logged before it starts;
/// `None` for small or already finished plots, or when the measurement fails (logged).
fn estimate_before(req: &PlotRequest, name: &Path) -> Option<Estimate> {
    if req.k.get() < ESTIMATE_FROM_K || req.final_path().exists() {
        return None;
    }
    let plan = req.plan();
    match estimate(req, &plan) {
        Ok(e) => {
            tracing::info!(
                plot = %name.display(),
                bytes = expected_plot_len(req.k),
                rounds = plan.rounds(),
                run_files = plan.runs_on_disk,
                estimated = %human_duration(e.total_s()),
                "plotting; estimated from rates measured on this machine just now"
            );
            Some(e)
        }
        Err(e) => {
            tracing::warn!(error = %masspoc_report::Report(&e), "cannot estimate the plotting time");
            None
        }
    }
}
