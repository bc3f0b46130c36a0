//! The plot set: every plot of every configured directory, rescanned periodically.
//!
//! Readers take a [`PlotSet::snapshot`] (an `Arc` of the current list) and keep it for a round,
//! so a rescan never waits for lookups and lookups never wait for a rescan. A directory that
//! cannot be listed (a disk that vanished) loses its plots until it comes back; a directory whose
//! listing hangs keeps the plots it had, and is not scanned again until the hung scan returns.

use super::scan::{scan_dir, FileKey, PlotEntry};
use super::source::PlotOpener;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;
use tracing::{info, warn};

/// Per-directory state (one directory is expected to be one disk).
pub struct PlotDir {
    /// The directory.
    pub path: PathBuf,
    /// Lookups of this directory's plots that overran their budget and have not returned.
    pub stalled_lookups: AtomicUsize,
    entries: Mutex<Vec<Arc<PlotEntry>>>,
    skipped: Mutex<HashMap<PathBuf, (FileKey, String)>>,
    available: AtomicBool,
    scanning: AtomicBool,
}

impl PlotDir {
    /// Whether the directory could be listed at its last scan.
    #[must_use]
    pub fn is_available(&self) -> bool {
        self.available.load(Ordering::Acquire)
    }

    /// Files of this directory skipped as of the last scan.
    #[must_use]
    pub fn skipped_count(&self) -> usize {
        lock(&self.skipped).len()
    }

    /// Files of this directory skipped as of the last scan, with the reason, by path.
    #[must_use]
    pub fn skipped(&self) -> Vec<(PathBuf, String)> {
        let mut v: Vec<_> = lock(&self.skipped)
            .iter()
            .map(|(p, (_, why))| (p.clone(), why.clone()))
            .collect();
        v.sort();
        v
    }
}

/// The current list of plots, shared by all rounds that started after it was made.
pub type PlotSnapshot = Arc<Vec<Arc<PlotEntry>>>;

/// What one rescan changed.
#[derive(Debug, Default, Clone)]
pub struct ScanReport {
    /// Plots in the set after the scan.
    pub plots: usize,
    /// Plot files opened by this scan.
    pub added: Vec<PathBuf>,
    /// Plot files no longer in the set.
    pub removed: Vec<PathBuf>,
    /// Files newly skipped, with the reason (bad header, truncated, foreign key, duplicate, …).
    pub skipped: Vec<(PathBuf, String)>,
    /// Directories that could not be listed, with the reason.
    pub unavailable: Vec<(PathBuf, String)>,
    /// Plots that became unreadable while open (the file shrank or its disk failed under the
    /// memory map): dropped and opened again; they are also in `added` if they open again, or
    /// in `removed` and `skipped` if not.
    pub broken: Vec<PathBuf>,
}

/// All plots of the configured directories.
pub struct PlotSet {
    opener: Arc<dyn PlotOpener>,
    dirs: Vec<Arc<PlotDir>>,
    current: RwLock<PlotSnapshot>,
    duplicates: Mutex<HashSet<PathBuf>>,
    rescan_wanted: tokio::sync::Notify,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl PlotSet {
    /// An empty plot set over `dirs`; call [`PlotSet::rescan`] to fill it.
    pub fn new(dirs: &[PathBuf], opener: Arc<dyn PlotOpener>) -> Arc<Self> {
        Arc::new(PlotSet {
            opener,
            dirs: dirs
                .iter()
                .map(|p| {
                    Arc::new(PlotDir {
                        path: p.clone(),
                        stalled_lookups: AtomicUsize::new(0),
                        entries: Mutex::new(Vec::new()),
                        skipped: Mutex::new(HashMap::new()),
                        available: AtomicBool::new(true),
                        scanning: AtomicBool::new(false),
                    })
                })
                .collect(),
            current: RwLock::new(Arc::new(Vec::new())),
            duplicates: Mutex::new(HashSet::new()),
            rescan_wanted: tokio::sync::Notify::new(),
        })
    }

    /// The current plots.
    #[must_use]
    pub fn snapshot(&self) -> PlotSnapshot {
        Arc::clone(&self.current.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Asks for a rescan now, instead of at the next periodic one, when a plot of the current
    /// snapshot is broken (its map was poisoned: truncated in place, or its disk failed), so the
    /// bad plot leaves the rounds at once instead of failing in every round until then. Returns
    /// whether it asked. Cheap when nothing is broken (one flag per plot); callers use it after a
    /// round that reported errors.
    pub fn request_rescan_if_broken(&self) -> bool {
        let broken = self.snapshot().iter().any(|e| e.plot.is_broken());
        if broken {
            self.rescan_wanted.notify_one();
        }
        broken
    }

    /// Waits until [`PlotSet::request_rescan_if_broken`] asks for a rescan (a request made while
    /// nobody waits is kept for the next wait).
    pub async fn rescan_requested(&self) {
        self.rescan_wanted.notified().await;
    }

    /// The plot directories, in configuration order (`PlotEntry::dir_index` indexes this).
    #[must_use]
    pub fn dirs(&self) -> &[Arc<PlotDir>] {
        &self.dirs
    }

    /// Rescans every directory, each on the blocking pool with `timeout`; a directory whose scan
    /// does not finish in time keeps its plots and is reported.
    pub async fn rescan(self: &Arc<Self>, timeout: Duration) -> ScanReport {
        let mut report = ScanReport::default();
        let mut handles = Vec::new();
        for (i, dir) in self.dirs.iter().enumerate() {
            if dir.scanning.swap(true, Ordering::AcqRel) {
                report
                    .unavailable
                    .push((dir.path.clone(), "an earlier scan is still hung".into()));
                continue;
            }
            let this = Arc::clone(self);
            handles.push((i, tokio::task::spawn_blocking(move || this.scan_one(i))));
        }
        let deadline = tokio::time::Instant::now() + timeout;
        for (i, h) in handles {
            match tokio::time::timeout_at(deadline, h).await {
                Ok(Ok(part)) => merge_part(&mut report, part),
                Ok(Err(e)) => report
                    .unavailable
                    .push((self.dirs[i].path.clone(), format!("scan failed: {e}"))),
                Err(_) => report.unavailable.push((
                    self.dirs[i].path.clone(),
                    format!("listing took longer than {timeout:?}; keeping its plots"),
                )),
            }
        }
        self.publish(&mut report);
        report
    }

    /// Rescans every `every`, and at once when a round asks ([`PlotSet::request_rescan_if_broken`]),
    /// forever (abort the task to stop); `on_report` takes each rescan's report.
    pub async fn keep_rescanning(
        self: Arc<Self>,
        every: Duration,
        on_report: impl Fn(&ScanReport) + Send + 'static,
    ) {
        let mut tick = tokio::time::interval(every);
        tick.tick().await;
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                // A round found a broken plot: drop or reopen it now.
                () = self.rescan_requested() => {}
            }
            let report = self.rescan(crate::farm::SCAN_TIMEOUT).await;
            on_report(&report);
        }
    }

    /// Rescans every directory on the calling thread (tests, benchmarks, start-up).
    pub fn rescan_blocking(&self) -> ScanReport {
        let mut report = ScanReport::default();
        for i in 0..self.dirs.len() {
            if !self.dirs[i].scanning.swap(true, Ordering::AcqRel) {
                merge_part(&mut report, self.scan_one(i));
            }
        }
        self.publish(&mut report);
        report
    }

    /// Scans directory `i` and stores its entries; clears its `scanning` flag when done.
    fn scan_one(&self, i: usize) -> ScanReport {
        let dir = &self.dirs[i];
        let old = lock(&dir.entries).clone();
        let old_skipped = lock(&dir.skipped).clone();
        let mut part = ScanReport::default();
        match scan_dir(&dir.path, i, self.opener.as_ref(), &old, &old_skipped) {
            Ok(scan) => {
                if !dir.available.swap(true, Ordering::AcqRel) {
                    info!(dir = %dir.path.display(), "plot directory is back");
                }
                let now: HashSet<&Path> = scan.entries.iter().map(|e| e.path.as_path()).collect();
                part.removed = old
                    .iter()
                    .filter(|e| !now.contains(e.path.as_path()))
                    .map(|e| e.path.clone())
                    .collect();
                part.added = scan.added;
                part.skipped = scan.newly_skipped;
                part.broken = scan.broken;
                *lock(&dir.entries) = scan.entries;
                *lock(&dir.skipped) = scan.skipped;
            }
            Err(e) => {
                let reason = format!("cannot list: {e}");
                if dir.available.swap(false, Ordering::AcqRel) {
                    part.unavailable.push((dir.path.clone(), reason));
                }
                part.removed = old.iter().map(|e| e.path.clone()).collect();
                lock(&dir.entries).clear();
            }
        }
        dir.scanning.store(false, Ordering::Release);
        part
    }

    /// Builds the new snapshot from every directory's entries (dropping duplicate plot ids) and
    /// logs what changed.
    fn publish(&self, report: &mut ScanReport) {
        let mut seen: HashMap<masspoc_proof::PlotId, PathBuf> = HashMap::new();
        let mut all = Vec::new();
        let mut dups = lock(&self.duplicates);
        let mut still_dup = HashSet::new();
        for dir in &self.dirs {
            for e in lock(&dir.entries).iter() {
                if let Some(first) = seen.get(&e.info.plot_id) {
                    if !dups.contains(&e.path) {
                        report
                            .skipped
                            .push((e.path.clone(), format!("duplicate of {}", first.display())));
                    }
                    still_dup.insert(e.path.clone());
                    continue;
                }
                seen.insert(e.info.plot_id, e.path.clone());
                all.push(Arc::clone(e));
            }
        }
        report.added.retain(|p| !still_dup.contains(p));
        *dups = still_dup;
        report.plots = all.len();
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(all);
        for p in &report.broken {
            warn!(plot = %p.display(), "plot became unreadable while open (file shrank or disk failed); dropped and opened again");
        }
        for p in &report.added {
            info!(plot = %p.display(), "plot added");
        }
        for p in &report.removed {
            info!(plot = %p.display(), "plot removed");
        }
        for (p, why) in &report.skipped {
            warn!(plot = %p.display(), reason = %why, "plot skipped");
        }
        for (d, why) in &report.unavailable {
            warn!(dir = %d.display(), reason = %why, "plot directory unavailable");
        }
    }
}

fn merge_part(report: &mut ScanReport, part: ScanReport) {
    report.added.extend(part.added);
    report.removed.extend(part.removed);
    report.skipped.extend(part.skipped);
    report.unavailable.extend(part.unavailable);
    report.broken.extend(part.broken);
}
