//! Which plots a round looks up, and how many threads share each directory's plots.
//!
//! A plan depends only on the snapshot, the directories and which plots are stalled. While no
//! lookup is stalled (the usual case) it is made once per snapshot and reused by every round of
//! every chain, so a round does not touch each plot's entry (nor its reference count) before the
//! lookups start. While some directory has a stalled lookup, each round makes its own plan and
//! leaves out the stalled plots (and directories).

use super::{RoundOutcome, CHUNK, MAX_STALLED_PER_DIR, MIN_CHUNK};
use crate::plots::{PlotDir, PlotEntry, PlotSnapshot};
use masspoc_proof::{probe, Challenge, FilterBits};
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError, Weak};

/// One directory's plots in a round and the threads that share them.
pub(crate) struct Group {
    /// Indexes into the snapshot, in snapshot order.
    pub plots: Vec<usize>,
    /// Threads that take plots from this group, one at a time, until none is left.
    pub workers: usize,
}

/// The plots of a round, grouped by directory.
pub(crate) struct Plan {
    /// The snapshot and the directories the plan was made for, as weak references: they keep
    /// the allocations, so the addresses are not reused while the plan is cached, but not the
    /// plots (a cached plan keeps no plot open).
    snapshot: Weak<Vec<Arc<PlotEntry>>>,
    dirs: Vec<Weak<PlotDir>>,
    /// One group per directory with plots to look up.
    pub groups: Vec<Group>,
    /// Plots to look up (all groups).
    pub plots: usize,
}

impl Plan {
    fn is_for(&self, snapshot: &PlotSnapshot, dirs: &[Arc<PlotDir>]) -> bool {
        std::ptr::eq(self.snapshot.as_ptr(), Arc::as_ptr(snapshot))
            && self.dirs.len() == dirs.len()
            && self
                .dirs
                .iter()
                .zip(dirs)
                .all(|(a, b)| std::ptr::eq(a.as_ptr(), Arc::as_ptr(b)))
    }
}

/// The last plan made with no stalled plot (the farmer has one plot set, so one is enough;
/// rounds over another snapshot replace it).
static CACHED: Mutex<Option<Arc<Plan>>> = Mutex::new(None);

/// Cores available to this process, read once: `available_parallelism` reads cgroup files on
/// every call, which would cost more than a small round.
pub(crate) fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// The plan of one round: the cached one while nothing is stalled, else a fresh one leaving out
/// (and reporting in `out.skipped`) the plots known to be stuck.
pub(crate) fn plan(
    snapshot: &PlotSnapshot,
    dirs: &[Arc<PlotDir>],
    challenge: &Challenge,
    filter_bits: FilterBits,
    out: &mut RoundOutcome,
) -> Arc<Plan> {
    // A stalled plot always counts in its directory's `stalled_lookups` (set together in
    // `mark_stalled`); a plan is only cached when every plot's directory is in `dirs`.
    let none_stalled = dirs
        .iter()
        .all(|d| d.stalled_lookups.load(Ordering::Acquire) == 0);
    if none_stalled {
        let mut cached = CACHED.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(p) = cached.as_ref().filter(|p| p.is_for(snapshot, dirs)) {
            return Arc::clone(p);
        }
        let all_dirs_known = snapshot.iter().all(|e| e.dir_index < dirs.len());
        let p = Arc::new(build(snapshot, dirs, challenge, filter_bits, out));
        if all_dirs_known && p.plots == snapshot.len() {
            *cached = Some(Arc::clone(&p));
        }
        return p;
    }
    Arc::new(build(snapshot, dirs, challenge, filter_bits, out))
}

/// Groups the snapshot's plots by directory, leaving out (and reporting) plots known to be stuck.
fn build(
    snapshot: &PlotSnapshot,
    dirs: &[Arc<PlotDir>],
    challenge: &Challenge,
    filter_bits: FilterBits,
    out: &mut RoundOutcome,
) -> Plan {
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, e) in snapshot.iter().enumerate() {
        let dir_stuck = dirs
            .get(e.dir_index)
            .is_some_and(|d| d.stalled_lookups.load(Ordering::Acquire) >= MAX_STALLED_PER_DIR);
        if dir_stuck || e.stalled.load(Ordering::Acquire) {
            // Only worth a report when the plot would have been asked this round.
            if probe(&e.info.plot_id, e.info.k, challenge).passes(filter_bits) {
                out.skipped.push(e.path.clone());
            }
            continue;
        }
        groups.entry(e.dir_index).or_default().push(i);
    }
    // Large groups are shared by every core (as many threads as chunks of MIN_CHUNK to CHUNK
    // plots); small ones are not worth a second thread.
    let cores = cores();
    let groups: Vec<Group> = groups
        .into_values()
        .map(|plots| {
            let size = plots.len().div_ceil(cores).clamp(MIN_CHUNK, CHUNK);
            Group {
                workers: plots.len().div_ceil(size),
                plots,
            }
        })
        .collect();
    Plan {
        snapshot: Arc::downgrade(snapshot),
        dirs: dirs.iter().map(Arc::downgrade).collect(),
        plots: groups.iter().map(|g| g.plots.len()).sum(),
        groups,
    }
}
