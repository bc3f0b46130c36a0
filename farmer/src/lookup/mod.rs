//! Lookups off the async runtime, with a time budget per round and stall detection.
//!
//! A round answers one challenge from every plot of a snapshot: plots are grouped by directory
//! (one directory is one disk), and each group is shared by one thread per core (as many as
//! chunks of [`MIN_CHUNK`] to [`CHUNK`] plots) on tokio's blocking pool, each taking the group's
//! next plot until none is left. The round collects answers until every plot has answered or the
//! budget is spent. A thread still reading then is stuck on one plot: that plot is reported with
//! its path and marked stalled, and later rounds skip it until its read returns. When
//! [`MAX_STALLED_PER_DIR`] lookups of one directory are stuck, the whole directory is taken for a
//! hung disk and skipped, so a dead disk holds at most that many blocking threads.

mod job;
mod plan;
#[cfg(test)]
mod tests;

use crate::plots::{FoundProof, PlotDir, PlotSnapshot};
use job::{lock, Round, Worker};
use masspoc_proof::{Challenge, FilterBits, ProbeBits};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::warn;

/// Plots per lookup thread of a directory beyond which it gets another thread.
pub const CHUNK: usize = 128;
/// Fewest plots worth a thread of their own when a directory's plots are shared among cores.
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

/// Looks up `challenge` (at `filter_bits`, over the window of `probe_bits`) in every plot of
/// `snapshot`, off the runtime, within `budget`.
pub async fn run_round(
    snapshot: &PlotSnapshot,
    dirs: &[Arc<PlotDir>],
    challenge: Challenge,
    filter_bits: FilterBits,
    probe_bits: ProbeBits,
    budget: Duration,
) -> RoundOutcome {
    let started = Instant::now();
    let deadline = tokio::time::Instant::now() + budget;
    let mut out = RoundOutcome {
        plots: snapshot.len(),
        ..RoundOutcome::default()
    };
    let plan = plan::plan(snapshot, dirs, &challenge, filter_bits, &mut out);
    let round = Arc::new(Round::new(
        plan,
        dirs,
        Arc::clone(snapshot),
        challenge,
        filter_bits,
        probe_bits,
    ));
    // Whatever happens to this future (the budget, or the caller dropping it), the threads stop
    // taking plots once it is over.
    let _close = CloseOnDrop(Arc::clone(&round));
    let mut slot = 0;
    for (g, group) in round.plan.groups.iter().enumerate() {
        for _ in 0..group.workers {
            let worker = Worker::new(Arc::clone(&round), g, slot);
            tokio::task::spawn_blocking(move || worker.run());
            slot += 1;
        }
    }
    while !round.finished() {
        if tokio::time::timeout_at(deadline, round.wake.notified())
            .await
            .is_err()
        {
            out.over_budget = !round.finished();
            break;
        }
    }
    round.close();
    let mut found = Vec::with_capacity(round.slots.len());
    for slot in &round.slots {
        {
            let mut s = lock(slot);
            out.passing += s.passing;
            out.proofs += s.found.len();
            found.push(std::mem::take(&mut s.found));
            let errors = s.errors.drain(..);
            out.errors
                .extend(errors.map(|(i, e)| (snapshot[i].path.clone(), e)));
        }
        if out.over_budget {
            mark_stalled(&round, slot, budget, &mut out);
        }
    }
    out.all = merge_best_first(found);
    out.best = verified_best(&mut out, &challenge, filter_bits, probe_bits);
    out.elapsed = started.elapsed();
    out
}

/// Every thread's proofs in one list, best first: by score, then (equal scores are not seen in
/// practice) by plot in snapshot order and, within a plot, in the plot's order, so a round's
/// outcome does not depend on which thread answered which plot. Threads that finished have
/// sorted their own proofs already (in parallel); this only merges.
fn merge_best_first(mut lists: Vec<Vec<(usize, BestProof)>>) -> Vec<BestProof> {
    for l in &mut lists {
        if !job::is_best_first(l) {
            job::sort_best_first(l); // a thread cut short by the budget
        }
    }
    let mut out = Vec::with_capacity(lists.iter().map(Vec::len).sum());
    let mut heads: Vec<_> = lists.into_iter().map(Vec::into_iter).collect();
    // Each plot is answered by one thread, so two heads never have the same (score, plot).
    while let Some((_, h)) = heads
        .iter()
        .enumerate()
        .filter_map(|(h, l)| {
            let (i, p) = l.as_slice().first()?;
            Some(((p.found.score, *i), h))
        })
        .min()
    {
        out.extend(heads[h].next().map(|(_, p)| p));
    }
    out
}

/// The best proof that passes the full check; proofs that fail it (a damaged plot) are moved to
/// the errors with their plot's path.
fn verified_best(
    out: &mut RoundOutcome,
    challenge: &Challenge,
    filter_bits: FilterBits,
    probe_bits: ProbeBits,
) -> Option<BestProof> {
    while let Some(first) = out.all.first() {
        match first.found.proof.verify(challenge, filter_bits, probe_bits) {
            Ok(_) => return Some(first.clone()),
            Err(e) => {
                let bad = out.all.remove(0);
                out.proofs -= 1;
                warn!(plot = %bad.path.display(), error = %masspoc_report::Report(&e), "plot returned an invalid proof (damaged plot?)");
                out.errors.push((bad.path, format!("invalid proof: {e}")));
            }
        }
    }
    None
}

/// Closes the round when the round's future ends or is dropped.
struct CloseOnDrop(Arc<Round>);

impl Drop for CloseOnDrop {
    fn drop(&mut self) {
        self.0.close();
    }
}

/// After the budget: the plot an unfinished lookup thread is reading is declared stalled.
fn mark_stalled(
    round: &Round,
    slot: &std::sync::Mutex<job::Slot>,
    budget: Duration,
    out: &mut RoundOutcome,
) {
    let mut p = lock(slot);
    let Some(i) = p.current else { return };
    if p.stalled_at.is_some() {
        return;
    }
    let e = &round.snapshot[i];
    // Only the thread that flips the flag owns it (and clears it when its read returns): two
    // chains' rounds stuck on the same plot count once.
    if !e.stalled.swap(true, Ordering::AcqRel) {
        p.stalled_at = Some(i);
        if let Some(d) = round.dirs.get(e.dir_index) {
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
