//! The checkpoint journal of a plot being written: which rounds have their run files and how
//! many superblocks of the plot file are complete. Saved atomically (write, fsync, rename).
//! The plotter writes it; directory scans read it to list unfinished plots.

use crate::error::JournalError;
use masspoc_proof::{FarmerPublicKey, PlotId, PlotSeed};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::Path;

/// Journal format version.
///
/// 2: run files hold packed records of `ceil((16 + 2k) / 8)` bytes and are fsync'd in the
/// background, `rounds_done` counting the leading rounds whose run file is durable; the last
/// rounds may keep their output in memory and never have a run file.
pub const JOURNAL_FORMAT: u32 = 2;

/// The state of an unfinished plot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journal {
    /// Journal format version.
    pub format: u32,
    /// The plot's id.
    pub plot_id: PlotId,
    /// The plot's k.
    pub k: u8,
    /// The farmer's public key.
    pub farmer_pk: FarmerPublicKey,
    /// The plot seed.
    pub plot_seed: PlotSeed,
    /// log2 of the number of matching rounds (fixed when the plot was started).
    pub rounds_log2: u32,
    /// Whether run files are kept in the temporary directory.
    pub runs_on_disk: bool,
    /// Rounds whose run file is complete (only with `runs_on_disk`).
    pub rounds_done: u64,
    /// Superblocks whose entries and table slots are on disk.
    pub superblocks_done: u64,
    /// Bytes of entries written so far.
    pub entries_len: u64,
    /// Pairs written so far.
    pub pair_count: u64,
}

impl Journal {
    /// Loads a journal; `Ok(None)` when there is none, [`JournalError::OldFormat`] when it was
    /// written in another format (checked before anything else is read from it).
    pub fn load(path: &Path) -> Result<Option<Journal>, JournalError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_error(path, e)),
        };
        let parse = |source| JournalError::Parse {
            path: path.to_path_buf(),
            source,
        };
        let value: serde_json::Value = serde_json::from_str(&text).map_err(parse)?;
        let format = value.get("format").and_then(serde_json::Value::as_u64);
        match format {
            Some(f) if f == u64::from(JOURNAL_FORMAT) => {}
            Some(f) => {
                return Err(JournalError::OldFormat {
                    path: path.to_path_buf(),
                    format: f,
                    current: JOURNAL_FORMAT,
                })
            }
            None => {
                return Err(JournalError::NoFormat {
                    path: path.to_path_buf(),
                })
            }
        }
        serde_json::from_value(value).map(Some).map_err(parse)
    }

    /// For listings and resuming: a journal of this format as [`Journal::load`] reads it, or of
    /// another format reduced to what identifies its plot (`format` is the old number, progress
    /// is zero: the plotter restarts such a plot). `None` if there is none or it is unreadable.
    #[must_use]
    pub fn load_identity(path: &Path) -> Option<Journal> {
        match Journal::load(path) {
            Ok(j) => j,
            Err(JournalError::OldFormat { format, .. }) => {
                #[derive(Deserialize)]
                struct Identity {
                    plot_id: PlotId,
                    k: u8,
                    farmer_pk: FarmerPublicKey,
                    plot_seed: PlotSeed,
                }
                let text = std::fs::read_to_string(path).ok()?;
                let id: Identity = serde_json::from_str(&text).ok()?;
                Some(Journal {
                    format: u32::try_from(format).unwrap_or(u32::MAX),
                    plot_id: id.plot_id,
                    k: id.k,
                    farmer_pk: id.farmer_pk,
                    plot_seed: id.plot_seed,
                    rounds_log2: 0,
                    runs_on_disk: false,
                    rounds_done: 0,
                    superblocks_done: 0,
                    entries_len: 0,
                    pair_count: 0,
                })
            }
            Err(_) => None,
        }
    }

    /// Saves the journal atomically and durably.
    pub fn save(&self, path: &Path) -> Result<(), JournalError> {
        let tmp = path.with_extension("journal-new");
        // A struct of integers and hex strings always serialises.
        let text = serde_json::to_string_pretty(self).expect("a journal serialises to JSON");
        let mut f = std::fs::File::create(&tmp).map_err(|e| io_error(&tmp, e))?;
        f.write_all(text.as_bytes())
            .map_err(|e| io_error(&tmp, e))?;
        f.sync_all().map_err(|e| io_error(&tmp, e))?;
        std::fs::rename(&tmp, path).map_err(|e| io_error(path, e))?;
        sync_dir(path).map_err(|e| io_error(path, e))
    }
}

fn io_error(path: &Path, source: std::io::Error) -> JournalError {
    JournalError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// fsyncs the directory holding `path`, so a rename in it is durable.
pub fn sync_dir(path: &Path) -> std::io::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
    let dir = dir.unwrap_or(Path::new("."));
    std::fs::File::open(dir).and_then(|d| d.sync_all())
}
