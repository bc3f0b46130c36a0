//! Lookups off the async runtime, with a time budget per round and stall detection.
//!
//! A round answers one challenge from every plot of a snapshot: plots are grouped by directory
//! (one directory is one disk), each group split into one chunk per core (of [`MIN_CHUNK`] to [`CHUNK`] plots), and each
//! chunk runs on tokio's blocking pool. The round collects answers until every chunk is done or
//! the budget is spent. A chunk still running then is stuck on one plot: that plot is reported
//! with its path and marked stalled, and later rounds skip it until its read returns. When
//! [`MAX_STALLED_PER_DIR`] lookups of one directory are stuck, the whole directory is taken for a
//! hung disk and skipped, so a dead disk holds at most that many blocking threads.

mod job;

use crate::plots::{FoundProof, PlotDir, PlotEntry, PlotSnapshot};
use job::{lock, run_job, Job, Progress};
use masspoc_proof::{probe, Challenge};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tracing::warn;

/// Most plots one blocking job looks up.
pub const CHUNK: usize = 128;
/// Fewest plots worth a job of their own when a directory's plots are shared among cores.
pub const MIN_CHUNK: usize = 16;
/// Stuck lookups after which a whole directory is skipped.
pub const MAX_STALLED_PER_DIR: usize = 2;

/// The best proof of a round and the plot it comes from.
#[derive(Debug, Clone)]
pub struct BestProof {
    /// The proof with the lowest score.
    pub found: FoundProof,
    /// The plot file it was read from.
    pub path: PathBuf,
}

/// What one round of lookups found.
#[derive(Debug, Clone, Default)]
pub struct RoundOutcome {
    /// Plots in the snapshot.
    pub plots: usize,
    /// Plots that passed the filter and answered.
    pub passing: usize,
    /// Proofs found (all pairs at the challenge's index, over all passing plots).
    pub proofs: usize,
    /// The best proof, if any.
    pub best: Option<BestProof>,
    /// All proofs found, best first (bounded by the plots passing; usually one or two).
    pub all: Vec<BestProof>,
    /// Plots whose lookup overran the budget in this round.
    pub stalled: Vec<PathBuf>,
    /// Plots not looked up because an earlier lookup of them (or of their disk) is stuck.
    pub skipped: Vec<PathBuf>,
    /// Plots that could not be read, with the reason.
    pub errors: Vec<(PathBuf, String)>,
    /// Wall time from the start of the round to its last answer (or the budget).
    pub elapsed: Duration,
    /// Whether the round hit its budget.
    pub over_budget: bool,
}

/// Looks up `challenge` in every plot of `snapshot`, off the runtime, within `budget`.
pub async fn run_round(
    snapshot: &PlotSnapshot,
    dirs: &[Arc<PlotDir>],
    challenge: Challenge,
    filter_bits: u32,
    budget: Duration,
) -> RoundOutcome {
    let started = Instant::now();
    let deadline = tokio::time::Instant::now() + budget;
    let mut out = RoundOutcome {
        plots: snapshot.len(),
        ..RoundOutcome::default()
    };
    let jobs = plan_jobs(snapshot, dirs, &challenge, filter_bits, &mut out);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let dirs_owned: Arc<[Arc<PlotDir>]> = dirs.iter().cloned().collect();
    for job in &jobs {
        let job = Arc::clone(job);
        let tx = tx.clone();
        let dirs = Arc::clone(&dirs_owned);
        tokio::task::spawn_blocking(move || run_job(&job, &dirs, &challenge, filter_bits, &tx));
    }
    drop(tx);
    let mut pending = jobs.len();
    while pending > 0 {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(_job)) => pending -= 1,
            Ok(None) => break, // a job died without saying so; its plots are missing
            Err(_) => {
                out.over_budget = true;
                break;
            }
        }
    }
    drop(rx);
    for job in &jobs {
        let answers = std::mem::take(&mut lock(&job.progress).answers);
        for (i, answer) in answers {
            let entry = &job.plots[i];
            match answer {
                Ok(found) => {
                    out.passing += 1;
                    out.proofs += found.len();
                    out.all.extend(found.into_iter().map(|f| BestProof {
                        found: f,
                        path: entry.path.clone(),
                    }));
                }
                Err(e) => out.errors.push((entry.path.clone(), e)),
            }
        }
        if out.over_budget {
            mark_stalled(job, dirs, budget, &mut out);
        }
    }
    out.all.sort_by_key(|a| a.found.score);
    out.best = verified_best(&mut out, &challenge, filter_bits);
    out.elapsed = started.elapsed();
    out
}

/// The best proof that passes the full check; proofs that fail it (a damaged plot) are moved to
/// the errors with their plot's path.
fn verified_best(
    out: &mut RoundOutcome,
    challenge: &Challenge,
    filter_bits: u32,
) -> Option<BestProof> {
    while let Some(first) = out.all.first() {
        match first.found.proof.verify(challenge, filter_bits) {
            Ok(_) => return Some(first.clone()),
            Err(e) => {
                let bad = out.all.remove(0);
                out.proofs -= 1;
                warn!(plot = %bad.path.display(), error = %e, "plot returned an invalid proof (damaged plot?)");
                out.errors.push((bad.path, format!("invalid proof: {e}")));
            }
        }
    }
    None
}

/// Cores available to this process, read once: `available_parallelism` reads cgroup files on
/// every call, which would cost more than a small round.
fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Splits the snapshot into jobs, leaving out (and reporting) plots known to be stuck.
fn plan_jobs(
    snapshot: &PlotSnapshot,
    dirs: &[Arc<PlotDir>],
    challenge: &Challenge,
    filter_bits: u32,
    out: &mut RoundOutcome,
) -> Vec<Arc<Job>> {
    let mut groups: BTreeMap<usize, Vec<Arc<PlotEntry>>> = BTreeMap::new();
    for e in snapshot.iter() {
        let dir_stuck = dirs
            .get(e.dir_index)
            .is_some_and(|d| d.stalled_lookups.load(Ordering::Acquire) >= MAX_STALLED_PER_DIR);
        if dir_stuck || e.stalled.load(Ordering::Acquire) {
            // Only worth a report when the plot would have been asked this round.
            if probe(&e.info.plot_id, e.info.k, challenge)
                .passes(filter_bits)
                .unwrap_or(false)
            {
                out.skipped.push(e.path.clone());
            }
            continue;
        }
        groups.entry(e.dir_index).or_default().push(Arc::clone(e));
    }
    // Large groups are split so every core takes a share; small ones are not worth a thread.
    let cores = cores();
    let mut jobs = Vec::new();
    for (_, plots) in groups {
        let size = plots.len().div_ceil(cores).clamp(MIN_CHUNK, CHUNK);
        for chunk in plots.chunks(size) {
            jobs.push(Arc::new(Job {
                id: jobs.len(),
                plots: chunk.to_vec(),
                progress: Arc::new(Mutex::new(Progress::default())),
            }));
        }
    }
    jobs
}

/// After the budget: the plot each unfinished job is reading is declared stalled.
fn mark_stalled(job: &Job, dirs: &[Arc<PlotDir>], budget: Duration, out: &mut RoundOutcome) {
    let mut p = lock(&job.progress);
    let Some(i) = p.current else { return };
    if p.stalled_at.is_some() {
        return;
    }
    let e = &job.plots[i];
    // Only the job that flips the flag owns it (and clears it when its read returns): two
    // chains' rounds stuck on the same plot count once.
    if !e.stalled.swap(true, Ordering::AcqRel) {
        p.stalled_at = Some(i);
        if let Some(d) = dirs.get(e.dir_index) {
            d.stalled_lookups.fetch_add(1, Ordering::AcqRel);
        }
    }
    warn!(
        plot = %e.path.display(),
        budget_ms = budget.as_millis() as u64,
        "plot lookup stalled past the budget; skipping it until its read returns"
    );
    out.stalled.push(e.path.clone());
}
