//! The checkpoint journal of a plot being written: which rounds have their run files and how
//! many superblocks of the plot file are complete. Saved atomically (write, fsync, rename).

use crate::error::{IoContext, PlotError};
use masspoc_proof::{FarmerPublicKey, PlotId, PlotSeed};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::Path;

/// Journal format version.
pub const JOURNAL_FORMAT: u32 = 1;

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
    /// Loads a journal; `Ok(None)` when there is none.
    pub fn load(path: &Path) -> Result<Option<Journal>, PlotError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).at(path),
        };
        let j: Journal = serde_json::from_str(&text).map_err(|e| PlotError::BadJournal {
            path: path.to_path_buf(),
            detail: e.to_string(),
        })?;
        if j.format != JOURNAL_FORMAT {
            return Err(PlotError::BadJournal {
                path: path.to_path_buf(),
                detail: format!("journal format {}", j.format),
            });
        }
        Ok(Some(j))
    }

    /// Saves the journal atomically and durably.
    pub fn save(&self, path: &Path) -> Result<(), PlotError> {
        let tmp = path.with_extension("journal-new");
        let mut f = std::fs::File::create(&tmp).at(&tmp)?;
        let text = serde_json::to_string_pretty(self).map_err(|e| PlotError::BadJournal {
            path: path.to_path_buf(),
            detail: e.to_string(),
        })?;
        f.write_all(text.as_bytes()).at(&tmp)?;
        f.sync_all().at(&tmp)?;
        std::fs::rename(&tmp, path).at(path)?;
        sync_dir(path)
    }
}

/// fsyncs the directory holding `path`, so a rename in it is durable.
pub fn sync_dir(path: &Path) -> Result<(), PlotError> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
    let dir = dir.unwrap_or(Path::new("."));
    std::fs::File::open(dir).and_then(|d| d.sync_all()).at(dir)
}
