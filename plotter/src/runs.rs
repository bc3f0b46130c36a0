//! The output of each matching round, kept in memory or spilled to a run file in `--tmp`.
//!
//! Records are indexed per bin of `2^b` superblocks (`b` = [`crate::plan::bin_bits`], 0 for
//! every k ≤ 32). A run file is `(bins + 1)` little-endian u64 offsets (in records) followed by
//! the records, grouped by bin. A record is `w = ceil((16 + b + 2k) / 8)` bytes, the
//! little-endian integer `z mod 2^(16+b) | x << (16+b) | x' << (16+b+k)` (the bin `z >> (16+b)`
//! is implied by where the record is): 9 bytes at k = 28 where the in-memory record has 16.
//!
//! A run file is written without fsync; [`Syncer`] makes it durable in the background and only
//! then is its round counted as done in the journal. [`Run::open`] checks that a run file's
//! offsets are ordered and its length is exactly what they imply. Offsets are read from the
//! file when needed, not held in memory.

use crate::error::{IoContext, PlotError};
use crate::matching::RoundOutput;
use crate::partition::{record, x_of, x_prime_of, z_of, Record};
use masspoc_plot::format::SUPERBLOCK_BITS;
use masspoc_plot::journal::{sync_dir, Journal};
use masspoc_proof::K;
use rayon::prelude::*;
use std::fs::File;
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

/// How a plot's round outputs are indexed: per bin of `2^bin_bits` superblocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bins {
    /// Plot size parameter.
    pub k: K,
    /// Superblocks per bin (log2).
    pub bin_bits: u32,
}

impl Bins {
    /// Number of bins.
    #[must_use]
    pub fn count(&self) -> usize {
        (masspoc_plot::format::superblock_count(self.k) >> self.bin_bits) as usize
    }

    /// Low bits of z a packed record keeps.
    fn z_bits(&self) -> u32 {
        SUPERBLOCK_BITS + self.bin_bits
    }

    /// Bytes of one record in a run file.
    #[must_use]
    pub fn record_width(&self) -> usize {
        (self.z_bits() as usize + 2 * usize::from(self.k.get())).div_ceil(8)
    }

    /// The bin of a record.
    #[inline]
    #[must_use]
    pub fn bin_of(&self, r: Record) -> usize {
        (z_of(r) >> self.z_bits()) as usize
    }

    /// Packs a record as `z mod 2^(16+b) | x << (16+b) | x' << (16+b+k)`.
    #[inline]
    #[must_use]
    pub fn pack(&self, r: Record) -> u128 {
        let (k, zb) = (self.k, self.z_bits());
        let z_low = z_of(r) & ((1 << zb) - 1);
        u128::from(z_low)
            | (u128::from(x_of(r)) << zb)
            | (u128::from(x_prime_of(r)) << (zb + u32::from(k.get())))
    }

    /// Unpacks a record of bin `bin` packed by [`Bins::pack`].
    #[inline]
    #[must_use]
    pub fn unpack(&self, bin: u64, v: u128) -> Record {
        let (k, zb) = (self.k, self.z_bits());
        let z = (bin << zb) | (v as u64 & ((1 << zb) - 1));
        let x = (v >> zb) as u64 & k.mask();
        let xp = (v >> (zb + u32::from(k.get()))) as u64 & k.mask();
        record(z, x, xp)
    }
}

/// Bytes of records encoded per write (about).
const WRITE_BLOCK: usize = 16 << 20;

/// What [`Run::load`] read of a file run for a batch of bins.
#[derive(Default)]
pub struct RunBatch {
    first_bin: usize,
    offsets: Vec<u64>,
    raw: Vec<u8>,
}

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
        /// How its records are indexed.
        bins: Bins,
    },
}

impl Run {
    /// Writes a round's output to `path` (not fsync'd: see [`Syncer`]) and returns the
    /// file-backed run. `buf` is scratch reused between rounds.
    pub fn spill(
        bins: Bins,
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
        let w = bins.record_width();
        let n = bins.count();
        let mut offsets = Vec::with_capacity(n + 1);
        let mut total = 0u64;
        for b in 0..=n {
            offsets.push(total);
            if b < n {
                total += count_in(out, b..b + 1);
            }
        }
        let head: Vec<u8> = offsets.iter().flat_map(|o| o.to_le_bytes()).collect();
        file.write_all_at(&head, 0).at(path)?;
        let mut at = head.len() as u64;
        drop(head);
        // Blocks of whole bins, each encoded in parallel (one slice per bin).
        let mut b0 = 0usize;
        while b0 < n {
            let mut b1 = b0 + 1;
            while b1 < n && ((offsets[b1 + 1] - offsets[b0]) as usize) * w <= WRITE_BLOCK {
                b1 += 1;
            }
            let len = (offsets[b1] - offsets[b0]) as usize * w;
            buf.clear();
            buf.resize(len + 16, 0);
            let mut slices = Vec::with_capacity(b1 - b0);
            let mut rest = &mut buf[..];
            for b in b0..b1 {
                let n = (offsets[b + 1] - offsets[b]) as usize * w;
                let (a, r) = rest.split_at_mut(n);
                slices.push((b, a));
                rest = r;
            }
            slices.into_par_iter().for_each(|(b, dst)| {
                let mut at = 0;
                let mut tail = [0u8; 16];
                for &r in gather(out, b..b + 1) {
                    let v = bins.pack(r).to_le_bytes();
                    if at + 16 <= dst.len() {
                        dst[at..at + 16].copy_from_slice(&v);
                    } else {
                        tail.copy_from_slice(&v);
                        dst[at..at + w].copy_from_slice(&tail[..w]);
                    }
                    at += w;
                }
            });
            file.write_all_at(&buf[..len], at).at(path)?;
            at += len as u64;
            b0 = b1;
        }
        Ok(Run::File {
            path: path.to_path_buf(),
            file,
            bins,
        })
    }

    /// Opens a run file written by [`Run::spill`]; `None` if it is missing or incomplete.
    pub fn open(bins: Bins, path: &Path) -> Option<Run> {
        let file = File::open(path).ok()?;
        let len = file.metadata().ok()?.len();
        let n = bins.count();
        // The offsets, a slice at a time: ordered, starting at 0, the last one the length.
        let mut prev = 0u64;
        let mut raw = Vec::new();
        let mut i = 0usize;
        while i <= n {
            let m = (n + 1 - i).min(1 << 17);
            raw.resize(8 * m, 0);
            file.read_exact_at(&mut raw, 8 * i as u64).ok()?;
            for c in raw.chunks_exact(8) {
                let o = u64::from_le_bytes(c.try_into().expect("8 bytes"));
                if o < prev || (i == 0 && o != 0) {
                    return None;
                }
                prev = o;
            }
            i += m;
        }
        let head = 8 * (n as u64 + 1);
        let expect = prev
            .checked_mul(bins.record_width() as u64)
            .and_then(|r| r.checked_add(head));
        (expect == Some(len)).then(|| Run::File {
            path: path.to_path_buf(),
            file,
            bins,
        })
    }

    /// Reads what a file run holds for a range of bins into `batch` (its bin offsets and packed
    /// records); nothing for a memory run. The records are then taken bin by bin, in parallel,
    /// with [`Run::extend_bin`].
    pub fn load(&self, range: Range<usize>, batch: &mut RunBatch) -> Result<(), PlotError> {
        batch.first_bin = range.start;
        batch.offsets.clear();
        batch.raw.clear();
        if let Run::File { path, file, bins } = self {
            let w = bins.record_width();
            let nb = range.len();
            let mut head = vec![0u8; 8 * (nb + 1)];
            file.read_exact_at(&mut head, 8 * range.start as u64)
                .at(path)?;
            batch.offsets.extend(
                head.chunks_exact(8)
                    .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes"))),
            );
            let lo = batch.offsets[0];
            let n = (batch.offsets[nb] - lo) as usize * w;
            batch.raw.resize(n + 16, 0);
            let at = 8 * (bins.count() as u64 + 1) + w as u64 * lo;
            file.read_exact_at(&mut batch.raw[..n], at).at(path)?;
        }
        Ok(())
    }

    /// Appends the records of bin `b` (inside the range last [`Run::load`]ed into `batch`).
    pub fn extend_bin(&self, batch: &RunBatch, b: usize, out: &mut Vec<Record>) {
        match self {
            Run::Memory(o) => out.extend(gather(o, b..b + 1)),
            Run::File { bins, .. } => {
                let w = bins.record_width();
                let i = b - batch.first_bin;
                let lo = batch.offsets[0];
                let (s, e) = (batch.offsets[i] - lo, batch.offsets[i + 1] - lo);
                let vmask = u128::MAX >> (128 - 8 * w);
                out.extend((s as usize..e as usize).map(|j| {
                    let bytes: [u8; 16] = batch.raw[j * w..j * w + 16].try_into().expect("16");
                    bins.unpack(b as u64, u128::from_le_bytes(bytes) & vmask)
                }));
            }
        }
    }

    /// Deletes the run's file, if it has one.
    pub fn remove(self) {
        if let Run::File { path, .. } = self {
            let _ = std::fs::remove_file(path);
        }
    }
}

fn count_in(out: &RoundOutput, bins: Range<usize>) -> u64 {
    out.parts
        .iter()
        .map(|p| p.offsets[bins.end] - p.offsets[bins.start])
        .sum()
}

/// The records of a range of bins, bin by bin, parts in order.
fn gather(out: &RoundOutput, bins: Range<usize>) -> impl Iterator<Item = &Record> {
    bins.flat_map(move |b| {
        out.parts
            .iter()
            .flat_map(move |p| &p.records[p.offsets[b] as usize..p.offsets[b + 1] as usize])
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
                let r = file.sync_all().and_then(|()| sync_dir(&path)).at(&path);
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
                .map_err(|_| PlotError::SyncThread)?;
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

    fn bins(k: u8, bin_bits: u32) -> Bins {
        Bins {
            k: K::new(k).unwrap(),
            bin_bits,
        }
    }

    #[test]
    fn record_widths() {
        let w = |k, b| bins(k, b).record_width();
        assert_eq!((w(16, 0), w(20, 0), w(28, 0), w(32, 0)), (6, 7, 9, 10));
        assert_eq!((w(40, 0), w(40, 6), w(40, 7), w(40, 24)), (12, 13, 13, 15));
    }

    #[test]
    fn pack_round_trips_at_edges() {
        for (kk, b) in [
            (16u8, 0u32),
            (20, 0),
            (28, 0),
            (32, 0),
            (40, 0),
            (40, 6),
            (40, 24),
        ] {
            let bins = bins(kk, b);
            let k = bins.k;
            let m = k.mask();
            for (z, x, xp) in [
                (0, 0, 0),
                (m, m, m),
                (m, 0, m),
                (0, m, 0),
                (0x1_2345 & m, 1, m - 1),
            ] {
                let r = record(z, x, xp);
                let v = bins.pack(r);
                assert!(v >> (8 * bins.record_width()) == 0, "k={kk} b={b}");
                let bin = bins.bin_of(r);
                assert!(bin < bins.count());
                assert_eq!(bins.unpack(bin as u64, v), r, "k={kk} b={b}");
            }
        }
    }
}
