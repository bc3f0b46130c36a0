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
    pub fn spill(out: &RoundOutput, path: &Path) -> Result<Run, PlotError> {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .at(path)?;
        let mut w = BufWriter::with_capacity(4 << 20, &file);
        let superblocks = out.parts.first().map_or(0, |p| p.offsets.len() - 1);
        let mut offsets = Vec::with_capacity(superblocks + 1);
        let mut total = 0u64;
        for sb in 0..=superblocks {
            offsets.push(total);
            w.write_all(&total.to_le_bytes()).at(path)?;
            if sb < superblocks {
                total += out
                    .parts
                    .iter()
                    .map(|p| p.offsets[sb + 1] - p.offsets[sb])
                    .sum::<u64>();
            }
        }
        for r in gather(out, 0..superblocks) {
            w.write_all(&r[0].to_le_bytes()).at(path)?;
            w.write_all(&r[1].to_le_bytes()).at(path)?;
        }
        w.flush().at(path)?;
        drop(w);
        file.sync_all().at(path)?;
        Ok(Run::File {
            path: path.to_path_buf(),
            file,
            offsets,
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
            Run::Memory(o) => Ok(gather(o, sbs).copied().collect()),
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
        match self {
            Run::Memory(o) => o
                .parts
                .iter()
                .map(|p| p.offsets[sbs.end] - p.offsets[sbs.start])
                .sum(),
            Run::File { offsets, .. } => offsets[sbs.end] - offsets[sbs.start],
        }
    }

    /// Deletes the run's file, if it has one.
    pub fn remove(self) {
        if let Run::File { path, .. } = self {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// The records of a range of superblocks, superblock by superblock, parts in order.
fn gather(out: &RoundOutput, sbs: Range<usize>) -> impl Iterator<Item = &Record> {
    sbs.flat_map(move |sb| {
        out.parts
            .iter()
            .flat_map(move |p| &p.records[p.offsets[sb] as usize..p.offsets[sb + 1] as usize])
    })
}
