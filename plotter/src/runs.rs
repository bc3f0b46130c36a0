//! The output of each matching round, kept in memory or spilled to a run file in `--tmp`.
//!
//! A run file is `(superblocks + 1)` little-endian u64 offsets (in records) followed by the
//! records, grouped by superblock of z. A record is `w = ceil((16 + 2k) / 8)` bytes, the
//! little-endian integer `z mod 2^16 | x << 16 | x' << (16 + k)` (the superblock `z >> 16` is
//! implied by where the record is): 9 bytes at k = 28 where the in-memory record has 16.
//!
//! A run file is written without fsync; [`Syncer`] makes it durable in the background and only
//! then is its round counted as done in the journal. [`Run::open`] checks that a run file's
//! offsets are ordered and its length is exactly what they imply.

use crate::error::{IoContext, PlotError};
use crate::format::SUPERBLOCK_BITS;
use crate::journal::{sync_dir, Journal};
use crate::matching::RoundOutput;
use crate::partition::Record;
use masspoc_proof::K;
use rayon::prelude::*;
use std::fs::File;
use std::io::Write;
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

/// Bytes of one record in a run file.
#[must_use]
pub fn record_width(k: K) -> usize {
    (16 + 2 * usize::from(k.get())).div_ceil(8)
}

/// Bytes of records encoded per write (about).
const WRITE_BLOCK: usize = 16 << 20;

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
        /// Plot size parameter.
        k: K,
    },
}

/// Packs the record `[z << k | x, x']` as `z mod 2^16 | x << 16 | x' << (16 + k)`.
#[inline]
#[must_use]
pub fn pack(k: K, r: &Record) -> u128 {
    let kk = u32::from(k.get());
    let z_low = (r[0] >> kk) & ((1 << SUPERBLOCK_BITS) - 1);
    let x = r[0] & k.mask();
    u128::from(z_low) | (u128::from(x) << 16) | (u128::from(r[1]) << (16 + kk))
}

/// Unpacks a record of superblock `sb` packed by [`pack`].
#[inline]
#[must_use]
pub fn unpack(k: K, sb: u64, v: u128) -> Record {
    let kk = u32::from(k.get());
    let z = (sb << SUPERBLOCK_BITS) | (v as u64 & ((1 << SUPERBLOCK_BITS) - 1));
    let x = (v >> 16) as u64 & k.mask();
    let xp = (v >> (16 + kk)) as u64 & k.mask();
    [(z << kk) | x, xp]
}

impl Run {
    /// Writes a round's output to `path` (not fsync'd: see [`Syncer`]) and returns the
    /// file-backed run. `buf` is scratch reused between rounds.
    pub fn spill(
        k: K,
        out: &RoundOutput,
        path: &Path,
        buf: &mut Vec<u8>,
    ) -> Result<Run, PlotError> {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .at(path)?;
        let w = record_width(k);
        let superblocks = out.parts.first().map_or(0, |p| p.offsets.len() - 1);
        let mut offsets = Vec::with_capacity(superblocks + 1);
        let mut total = 0u64;
        for sb in 0..=superblocks {
            offsets.push(total);
            if sb < superblocks {
                total += count_in(out, sb..sb + 1);
            }
        }
        let mut head = Vec::with_capacity(8 * offsets.len());
        for o in &offsets {
            head.extend_from_slice(&o.to_le_bytes());
        }
        let mut f = &file;
        f.write_all(&head).at(path)?;
        // Blocks of whole superblocks, each encoded in parallel (one slice per superblock).
        let mut sb0 = 0usize;
        while sb0 < superblocks {
            let mut sb1 = sb0 + 1;
            while sb1 < superblocks
                && ((offsets[sb1 + 1] - offsets[sb0]) as usize) * w <= WRITE_BLOCK
            {
                sb1 += 1;
            }
            let base = offsets[sb0];
            let len = (offsets[sb1] - base) as usize * w;
            buf.clear();
            buf.resize(len + 16, 0);
            let mut slices = Vec::with_capacity(sb1 - sb0);
            let mut rest = &mut buf[..];
            for sb in sb0..sb1 {
                let n = (offsets[sb + 1] - offsets[sb]) as usize * w;
                let (a, b) = rest.split_at_mut(n);
                slices.push((sb, a));
                rest = b;
            }
            slices.into_par_iter().for_each(|(sb, dst)| {
                let mut at = 0;
                let mut tail = [0u8; 16];
                for r in gather(out, sb..sb + 1) {
                    let v = pack(k, r).to_le_bytes();
                    if at + 16 <= dst.len() {
                        dst[at..at + 16].copy_from_slice(&v);
                    } else {
                        tail.copy_from_slice(&v);
                        dst[at..at + w].copy_from_slice(&tail[..w]);
                    }
                    at += w;
                }
            });
            f.write_all(&buf[..len]).at(path)?;
            sb0 = sb1;
        }
        Ok(Run::File {
            path: path.to_path_buf(),
            file,
            offsets,
            k,
        })
    }

    /// Opens a run file written by [`Run::spill`] for `superblocks` superblocks; `None` if it is
    /// missing or incomplete.
    pub fn open(k: K, path: &Path, superblocks: usize) -> Option<Run> {
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
            && offsets[superblocks]
                .checked_mul(record_width(k) as u64)
                .and_then(|n| n.checked_add(raw.len() as u64))
                == Some(len);
        ok.then(|| Run::File {
            path: path.to_path_buf(),
            file,
            offsets,
            k,
        })
    }

    /// Appends the records of a range of superblocks to `out`, superblock by superblock
    /// (`raw` is scratch).
    pub fn records_into(
        &self,
        sbs: Range<usize>,
        out: &mut Vec<Record>,
        raw: &mut Vec<u8>,
    ) -> Result<(), PlotError> {
        match self {
            Run::Memory(o) => out.extend(gather(o, sbs)),
            Run::File {
                path,
                file,
                offsets,
                k,
            } => {
                let w = record_width(*k);
                let (lo, hi) = (offsets[sbs.start], offsets[sbs.end]);
                let n = (hi - lo) as usize * w;
                raw.clear();
                raw.resize(n + 16, 0);
                let at = 8 * offsets.len() as u64 + w as u64 * lo;
                file.read_exact_at(&mut raw[..n], at).at(path)?;
                let vmask = u128::MAX >> (128 - 8 * w);
                for sb in sbs {
                    let (a, b) = (offsets[sb] - lo, offsets[sb + 1] - lo);
                    for i in a as usize..b as usize {
                        let bytes: [u8; 16] = raw[i * w..i * w + 16].try_into().expect("16");
                        out.push(unpack(*k, sb as u64, u128::from_le_bytes(bytes) & vmask));
                    }
                }
            }
        }
        Ok(())
    }

    /// Number of records in a range of superblocks.
    #[must_use]
    pub fn count(&self, sbs: Range<usize>) -> u64 {
        match self {
            Run::Memory(o) => count_in(o, sbs),
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

fn count_in(out: &RoundOutput, sbs: Range<usize>) -> u64 {
    out.parts
        .iter()
        .map(|p| p.offsets[sbs.end] - p.offsets[sbs.start])
        .sum()
}

/// The records of a range of superblocks, superblock by superblock, parts in order.
fn gather(out: &RoundOutput, sbs: Range<usize>) -> impl Iterator<Item = &Record> {
    sbs.flat_map(move |sb| {
        out.parts
            .iter()
            .flat_map(move |p| &p.records[p.offsets[sb] as usize..p.offsets[sb + 1] as usize])
    })
}

/// Makes run files durable in the background (fsync of the file, then of its directory), so
/// that the next round computes meanwhile, and keeps the journal's count of leading rounds
/// whose run file is durable.
pub struct Syncer {
    tx: Option<mpsc::Sender<(u64, File, PathBuf)>>,
    done: mpsc::Receiver<(u64, Result<(), PlotError>)>,
    worker: Option<std::thread::JoinHandle<()>>,
    pending: u64,
    durable: Vec<bool>,
}

impl Syncer {
    /// Starts the background thread for a plot of `rounds` rounds.
    #[must_use]
    pub fn new(rounds: u64) -> Self {
        let (tx, rx) = mpsc::channel::<(u64, File, PathBuf)>();
        let (done_tx, done) = mpsc::channel();
        let worker = std::thread::spawn(move || {
            for (round, file, path) in rx {
                let r = file.sync_all().at(&path).and_then(|()| sync_dir(&path));
                if done_tx.send((round, r)).is_err() {
                    return;
                }
            }
        });
        Syncer {
            tx: Some(tx),
            done,
            worker: Some(worker),
            pending: 0,
            durable: vec![false; rounds as usize],
        }
    }

    /// Notes that the run file of `round` is already durable (found whole on resume).
    pub fn mark_durable(&mut self, round: u64) {
        self.durable[round as usize] = true;
    }

    /// Number of leading rounds whose run file is durable.
    #[must_use]
    pub fn durable_prefix(&self) -> u64 {
        self.durable.iter().take_while(|&&d| d).count() as u64
    }

    /// Queues the run file of `round` for fsync.
    pub fn push(&mut self, round: u64, run: &Run) -> Result<(), PlotError> {
        if let Run::File { file, path, .. } = run {
            let f = file.try_clone().at(path)?;
            let tx = self.tx.as_ref().expect("syncer running");
            tx.send((round, f, path.clone()))
                .map_err(|_| PlotError::Interrupted("fsync thread stopped".into()))?;
            self.pending += 1;
        }
        Ok(())
    }

    /// Takes in the fsyncs finished so far (all queued ones if `wait`) and raises
    /// `journal.rounds_done` to the durable prefix; returns whether it grew (the caller saves
    /// the journal).
    pub fn poll(&mut self, journal: &mut Journal, wait: bool) -> Result<bool, PlotError> {
        while self.pending > 0 {
            let got = if wait {
                self.done.recv().ok()
            } else {
                self.done.try_recv().ok()
            };
            let Some((round, r)) = got else { break };
            r?;
            self.pending -= 1;
            self.durable[round as usize] = true;
        }
        let prefix = self.durable_prefix();
        let grew = prefix > journal.rounds_done;
        journal.rounds_done = journal.rounds_done.max(prefix);
        Ok(grew)
    }
}

impl Drop for Syncer {
    fn drop(&mut self) {
        drop(self.tx.take());
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_widths() {
        let w = |k| record_width(K::new(k).unwrap());
        assert_eq!((w(16), w(20), w(28), w(32), w(40)), (6, 7, 9, 10, 12));
    }

    #[test]
    fn pack_round_trips_at_edges() {
        for kk in [16u8, 20, 28, 32] {
            let k = K::new(kk).unwrap();
            let m = k.mask();
            let sbs = k.domain() >> SUPERBLOCK_BITS;
            for (z, x, xp) in [(0, 0, 0), (m, m, m), (m, 0, m), (0x1_2345 & m, 1, m - 1)] {
                let r = [(z << kk) | x, xp];
                let v = pack(k, &r);
                assert!(v >> (8 * record_width(k)) == 0);
                assert_eq!(unpack(k, z >> SUPERBLOCK_BITS, v), r);
                assert!(z >> SUPERBLOCK_BITS < sbs);
            }
        }
    }
}
