//! Scanning one plot directory: list plot files, keep plots that did not change, open new or
//! changed ones (and ones that became unreadable while open), and remember why a file was skipped
//! so it is reported once, not every rescan.
//!
//! Non-regular files (a FIFO, a device) are skipped without being opened, so a scan never blocks
//! on them.

use super::source::{PlotInfo, PlotLookup, PlotOpener};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// What identifies one version of a file: device, inode, length and modification time. A plot
/// whose key changed (rewritten, replaced, truncated) is opened again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileKey {
    dev: u64,
    ino: u64,
    len: u64,
    mtime_ns: i128,
}

impl FileKey {
    /// The key of a file's metadata.
    #[must_use]
    pub fn of(meta: &std::fs::Metadata) -> Self {
        use std::os::unix::fs::MetadataExt;
        FileKey {
            dev: meta.dev(),
            ino: meta.ino(),
            len: meta.len(),
            mtime_ns: i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()),
        }
    }
}

/// One open plot in the plot set. Small on purpose: thousands of these stay in memory.
pub struct PlotEntry {
    /// The plot file.
    pub path: PathBuf,
    /// The open plot (its memory map; the file descriptor is closed once mapped).
    pub plot: Arc<dyn PlotLookup>,
    /// Its identity, copied from the plot.
    pub info: PlotInfo,
    /// Index of its plot directory in the plot set.
    pub dir_index: usize,
    /// Set while a lookup of this plot has overrun its budget and not come back yet.
    pub stalled: AtomicBool,
    pub(crate) key: FileKey,
}

impl PlotEntry {
    /// The plot file's length, bytes, when it was opened.
    #[must_use]
    pub fn file_len(&self) -> u64 {
        self.key.len
    }
}

impl std::fmt::Debug for PlotEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlotEntry")
            .field("path", &self.path)
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

/// The outcome of scanning one directory.
#[derive(Default)]
pub(crate) struct DirScan {
    /// The plots of the directory after the scan.
    pub entries: Vec<Arc<PlotEntry>>,
    /// Files skipped (path → file key and reason), including ones skipped in earlier scans.
    pub skipped: HashMap<PathBuf, (FileKey, String)>,
    /// Plot files opened in this scan.
    pub added: Vec<PathBuf>,
    /// Files newly skipped in this scan, with the reason.
    pub newly_skipped: Vec<(PathBuf, String)>,
    /// Plots dropped because they became unreadable while open (reopened in this scan).
    pub broken: Vec<PathBuf>,
}

/// Scans `dir`, reusing `old` entries whose files did not change and not retrying files in
/// `old_skipped` that did not change. An error means the directory itself cannot be listed.
pub(crate) fn scan_dir(
    dir: &Path,
    dir_index: usize,
    opener: &dyn PlotOpener,
    old: &[Arc<PlotEntry>],
    old_skipped: &HashMap<PathBuf, (FileKey, String)>,
) -> std::io::Result<DirScan> {
    let by_path: HashMap<&Path, &Arc<PlotEntry>> =
        old.iter().map(|e| (e.path.as_path(), e)).collect();
    let mut out = DirScan::default();
    let mut names: Vec<(String, PathBuf)> = Vec::new();
    for item in std::fs::read_dir(dir)? {
        let item = item?;
        let Ok(name) = item.file_name().into_string() else {
            continue;
        };
        if opener.is_plot_name(&name) {
            names.push((name, item.path()));
        }
    }
    names.sort(); // deterministic order: stable plot order in logs and duplicate handling
    for (_, path) in names {
        let meta = match std::fs::metadata(&path) {
            Ok(m) => m,
            Err(e) => {
                skip(
                    &mut out,
                    old_skipped,
                    path,
                    None,
                    format!("cannot stat: {e}"),
                );
                continue;
            }
        };
        let key = FileKey::of(&meta);
        if !meta.file_type().is_file() {
            skip(
                &mut out,
                old_skipped,
                path,
                Some(key),
                "not a regular file".into(),
            );
            continue;
        }
        if let Some(e) = by_path.get(path.as_path()) {
            if e.plot.is_broken() {
                // Its map took a SIGBUS: never reused, opened again below (a file that shrank is
                // then skipped as truncated; one whose disk recovered is farmed again).
                out.broken.push(path.clone());
            } else if e.key == key {
                out.entries.push(Arc::clone(e));
                continue;
            }
        }
        if let Some((k, reason)) = old_skipped.get(&path) {
            if *k == key {
                out.skipped.insert(path, (key, reason.clone()));
                continue;
            }
        }
        match opener.open(&path) {
            Ok(plot) => {
                let info = plot.info();
                out.added.push(path.clone());
                out.entries.push(Arc::new(PlotEntry {
                    path,
                    plot,
                    info,
                    dir_index,
                    stalled: AtomicBool::new(false),
                    key,
                }));
            }
            Err(e) => {
                let reason = masspoc_report::Report(&e).to_string();
                skip(&mut out, old_skipped, path, Some(key), reason)
            }
        }
    }
    Ok(out)
}

fn skip(
    out: &mut DirScan,
    old_skipped: &HashMap<PathBuf, (FileKey, String)>,
    path: PathBuf,
    key: Option<FileKey>,
    reason: String,
) {
    let key = key.unwrap_or(FileKey {
        dev: 0,
        ino: 0,
        len: 0,
        mtime_ns: 0,
    });
    let known = old_skipped
        .get(&path)
        .is_some_and(|(k, r)| *k == key && *r == reason);
    if !known {
        out.newly_skipped.push((path.clone(), reason.clone()));
    }
    out.skipped.insert(path, (key, reason));
}
