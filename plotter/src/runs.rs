//! The output of each matching round, kept in memory or spilled to a run file in `--tmp`.
//!
//! A run file is `(superblocks + 1)` little-endian u64 offsets followed by the records, each two
//! little-endian u64 (`z << k | x`, `x'`), grouped by superblock of z.

use crate::error::{IoContext, PlotError};
use crate::matching::RoundOutput;
use crate::partition::Record;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// One round's pairs.
pub enum Run {
    /// Kept in memory.
    Memory(RoundOutput),
    /// Spilled to a file.
    File {
        /// The run file.
        path: PathBuf,
        /// The open file.
        file: File,
        /// Superblock offsets (in records).
        offsets: Vec<u64>,
    },
}

impl Run {
    /// Writes a round's output to `path` (fsync'd) and returns the file-backed run.
    pub fn spill(out: RoundOutput, path: &Path) -> Result<Run, PlotError> {
        let file = File::create(path).at(path)?;
        let mut w = BufWriter::with_capacity(4 << 20, &file);
        for o in &out.offsets {
            w.write_all(&o.to_le_bytes()).at(path)?;
        }
        for r in &out.records {
            w.write_all(&r[0].to_le_bytes()).at(path)?;
            w.write_all(&r[1].to_le_bytes()).at(path)?;
        }
        w.flush().at(path)?;
        drop(w);
        file.sync_all().at(path)?;
        Ok(Run::File {
            path: path.to_path_buf(),
            file,
            offsets: out.offsets,
        })
    }

    /// Opens a run file written by [`Run::spill`] for `superblocks` superblocks; `None` if it is
    /// missing or incomplete.
    pub fn open(path: &Path, superblocks: usize) -> Option<Run> {
        let file = File::open(path).ok()?;
        let len = file.metadata().ok()?.len();
        let mut raw = vec![0u8; 8 * (superblocks + 1)];
        file.read_exact_at(&mut raw, 0).ok()?;
        let offsets: Vec<u64> = raw
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
            .collect();
        let ok = offsets.windows(2).all(|w| w[0] <= w[1])
            && offsets[0] == 0
            && len == raw.len() as u64 + 16 * offsets[superblocks];
        ok.then(|| Run::File {
            path: path.to_path_buf(),
            file,
            offsets,
        })
    }

    /// The records of a range of superblocks.
    pub fn records(&self, sbs: Range<usize>) -> Result<Vec<Record>, PlotError> {
        match self {
            Run::Memory(o) => {
                Ok(o.records[o.offsets[sbs.start] as usize..o.offsets[sbs.end] as usize].to_vec())
            }
            Run::File {
                path,
                file,
                offsets,
            } => {
                let (lo, hi) = (offsets[sbs.start], offsets[sbs.end]);
                let mut raw = vec![0u8; 16 * (hi - lo) as usize];
                let at = 8 * offsets.len() as u64 + 16 * lo;
                file.read_exact_at(&mut raw, at).at(path)?;
                Ok(raw
                    .chunks_exact(16)
                    .map(|c| {
                        [
                            u64::from_le_bytes(c[..8].try_into().expect("8 bytes")),
                            u64::from_le_bytes(c[8..].try_into().expect("8 bytes")),
                        ]
                    })
                    .collect())
            }
        }
    }

    /// Number of records in a range of superblocks.
    #[must_use]
    pub fn count(&self, sbs: Range<usize>) -> u64 {
        let offsets = match self {
            Run::Memory(o) => &o.offsets,
            Run::File { offsets, .. } => offsets,
        };
        offsets[sbs.end] - offsets[sbs.start]
    }

    /// Deletes the run's file, if it has one.
    pub fn remove(self) {
        if let Run::File { path, .. } = self {
            let _ = std::fs::remove_file(path);
        }
    }
}
