//! The lookup threads of one round. Each directory's plots are shared by a few threads on tokio's
//! blocking pool; a thread takes the next plot of its directory until none is left, so a thread
//! that starts late (a busy core) or is stuck on one plot does not hold up the plots behind it:
//! the others take them. The thread that answers the round's last plot wakes the round (one
//! wake-up per round, not per plot or per thread).

use super::plan::Plan;
use super::BestProof;
use crate::plots::{PlotDir, PlotSnapshot};
use masspoc_proof::{Challenge, FilterBits, ProbeBits};
use masspoc_report::Report;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;
use tokio::sync::Notify;
use tracing::info;

/// Where one lookup thread is; the round reads it to collect answers and to name the plot a
/// thread is stuck on.
#[derive(Default)]
pub(crate) struct Slot {
    /// Snapshot index of the plot being read right now.
    pub current: Option<usize>,
    /// Snapshot index of a plot the round declared stalled and whose read has not returned.
    pub stalled_at: Option<usize>,
    /// Plots that passed the filter and answered.
    pub passing: usize,
    /// Proofs found, with the snapshot index of their plot (made here, on the lookup threads,
    /// rather than by the round after the last answer).
    pub found: Vec<(usize, BestProof)>,
    /// Plots that could not be read: snapshot index and the reason.
    pub errors: Vec<(usize, String)>,
}

/// What a round shares with its lookup threads.
pub(crate) struct Round {
    pub plan: Arc<Plan>,
    /// The plot directories (stall counters), indexed by `PlotEntry::dir_index`.
    pub dirs: Box<[Arc<PlotDir>]>,
    pub snapshot: PlotSnapshot,
    pub challenge: Challenge,
    pub filter_bits: FilterBits,
    pub probe_bits: ProbeBits,
    /// Per group: the next plot to take (an index into the group's plots).
    next: Box<[AtomicUsize]>,
    /// One slot per lookup thread.
    pub slots: Box<[Mutex<Slot>]>,
    /// Plots not answered yet.
    remaining: AtomicUsize,
    /// Lookup threads not finished yet.
    alive: AtomicUsize,
    /// Set when the round is over (budget spent, or the round was dropped): take no more plots.
    closed: AtomicBool,
    /// Woken when the last plot is answered or the last thread ends.
    pub wake: Notify,
}

pub(crate) fn lock(s: &Mutex<Slot>) -> std::sync::MutexGuard<'_, Slot> {
    s.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Round {
    pub fn new(
        plan: Arc<Plan>,
        dirs: &[Arc<PlotDir>],
        snapshot: PlotSnapshot,
        challenge: Challenge,
        filter_bits: FilterBits,
        probe_bits: ProbeBits,
    ) -> Self {
        let workers: usize = plan.groups.iter().map(|g| g.workers).sum();
        Round {
            next: plan.groups.iter().map(|_| AtomicUsize::new(0)).collect(),
            slots: (0..workers).map(|_| Mutex::default()).collect(),
            remaining: AtomicUsize::new(plan.plots),
            alive: AtomicUsize::new(workers),
            closed: AtomicBool::new(false),
            wake: Notify::new(),
            plan,
            dirs: dirs.into(),
            snapshot,
            challenge,
            filter_bits,
            probe_bits,
        }
    }

    /// Whether every plot is answered or every thread has ended (a thread that panicked leaves
    /// its plot unanswered).
    pub fn finished(&self) -> bool {
        self.remaining.load(Ordering::Acquire) == 0 || self.alive.load(Ordering::Acquire) == 0
    }

    /// Ends the round for its threads: plots not taken yet are left alone.
    pub fn close(&self) {
        self.closed.store(true, Ordering::Release);
    }
}

/// One lookup thread's part in a round. Dropping it counts the thread out of the round, whether
/// it finished, panicked, or never ran (a runtime shutting down drops blocking tasks unrun), so the
/// round never waits for a thread that is gone.
pub(crate) struct Worker {
    round: Arc<Round>,
    group: usize,
    slot: usize,
}

impl Drop for Worker {
    fn drop(&mut self) {
        if self.round.alive.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.round.wake.notify_one();
        }
    }
}

impl Worker {
    /// Lookup thread `slot` of group `group` (each of the round's slots gets exactly one).
    pub fn new(round: Arc<Round>, group: usize, slot: usize) -> Self {
        Worker { round, group, slot }
    }

    /// Runs on the calling (blocking) thread: takes the group's plots one at a time until none
    /// is left or the round is over.
    pub fn run(self) {
        run_worker(&self.round, self.group, self.slot);
    }
}

fn run_worker(round: &Round, group: usize, slot: usize) {
    let g = &round.plan.groups[group];
    let plots = &g.plots;
    let slot = &round.slots[slot];
    let next = &round.next[group];
    // Room for about one proof per plot of this thread's share that passes the filter, taken at
    // the first proof, so later pushes do not regrow.
    let expected = (plots.len().div_ceil(g.workers) >> round.filter_bits.get()) + 4;
    let take = || {
        if round.closed.load(Ordering::Acquire) {
            return None; // the round is over (budget spent): the rest is not wanted any more
        }
        plots.get(next.fetch_add(1, Ordering::Relaxed)).copied()
    };
    let mut taken = take();
    while let Some(i) = taken {
        let e = &round.snapshot[i];
        lock(slot).current = Some(i);
        let started = Instant::now();
        let answer = e
            .plot
            .prove(&round.challenge, round.filter_bits, round.probe_bits);
        taken = take();
        let mut s = lock(slot);
        s.current = None;
        if s.stalled_at == Some(i) {
            s.stalled_at = None;
            e.stalled.store(false, Ordering::Release);
            if let Some(d) = round.dirs.get(e.dir_index) {
                d.stalled_lookups.fetch_sub(1, Ordering::AcqRel);
            }
            info!(
                plot = %e.path.display(),
                after_ms = started.elapsed().as_millis() as u64,
                "stalled plot answered again; it is back in the rounds"
            );
        }
        match answer {
            Ok(None) => {} // did not pass the filter
            Ok(Some(found)) => {
                s.passing += 1;
                if s.found.capacity() == 0 {
                    s.found.reserve(expected);
                }
                s.found.extend(found.into_iter().map(|f| {
                    (
                        i,
                        BestProof {
                            found: f,
                            path: e.path.clone(),
                        },
                    )
                }));
            }
            Err(err) => s.errors.push((i, Report(&err).to_string())),
        }
        if taken.is_none() {
            // This thread's last plot: its proofs are put in order here, beside the other
            // threads, before the plot counts as answered; the round then only merges.
            sort_best_first(&mut s.found);
        }
        drop(s);
        if round.remaining.fetch_sub(1, Ordering::AcqRel) == 1 {
            round.wake.notify_one();
        }
    }
}

/// Orders one thread's proofs best first: by score, then by plot in snapshot order and, within a
/// plot, in the plot's order (a stable sort).
pub(crate) fn sort_best_first(found: &mut [(usize, BestProof)]) {
    found.sort_by_key(|(i, p)| (p.found.score, *i));
}

/// Whether one thread's proofs are in [`sort_best_first`] order.
pub(crate) fn is_best_first(found: &[(usize, BestProof)]) -> bool {
    found.is_sorted_by_key(|(i, p)| (p.found.score, *i))
}
