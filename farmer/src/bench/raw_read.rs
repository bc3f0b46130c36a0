//! The yardstick of the farm benchmark: one random 64-byte `pread` of the same plot files, warm
//! page cache, measured in the same run.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::time::Instant;

/// Bytes of one raw read.
pub const RAW_READ_LEN: usize = 64;

/// Reads every file once, so the page cache is warm for both measurements; returns the bytes read.
pub fn warm<P: AsRef<Path>>(paths: &[P]) -> std::io::Result<u64> {
    let mut total = 0;
    let mut buf = vec![0u8; 1 << 20];
    for p in paths {
        let f = File::open(p)?;
        let mut off = 0;
        loop {
            let n = f.read_at(&mut buf, off)?;
            if n == 0 {
                break;
            }
            off += n as u64;
        }
        total += off;
    }
    Ok(total)
}

/// Random 64-byte `pread`s across a set of files (each file open once). The random places are
/// drawn up front, so a timed read is only the system call.
pub struct RawReads {
    files: Vec<File>,
    places: Vec<(usize, u64)>,
    next: usize,
    buf: [u8; RAW_READ_LEN],
}

/// Random places drawn up front (cycled through).
const PLACES: usize = 1 << 14;

impl RawReads {
    /// Opens the files.
    pub fn open<P: AsRef<Path>>(paths: &[P]) -> std::io::Result<Self> {
        let mut files = Vec::with_capacity(paths.len());
        let mut lens = Vec::with_capacity(paths.len());
        for p in paths {
            let f = File::open(p)?;
            lens.push(f.metadata()?.len());
            files.push(f);
        }
        let mut rng = StdRng::seed_from_u64(0x5eed);
        let places = if files.is_empty() {
            Vec::new()
        } else {
            (0..PLACES)
                .map(|_| {
                    let i = rng.gen_range(0..files.len());
                    let room = lens[i].saturating_sub(RAW_READ_LEN as u64).max(1);
                    (i, rng.gen_range(0..room))
                })
                .collect()
        };
        Ok(RawReads {
            files,
            places,
            next: 0,
            buf: [0; RAW_READ_LEN],
        })
    }

    /// One `pread` of 64 bytes at a random offset of a random file; returns the first byte read
    /// (so the read cannot be optimised away).
    pub fn read_one(&mut self) -> std::io::Result<u8> {
        let Some(&(i, off)) = self.places.get(self.next) else {
            return Ok(0);
        };
        self.next = (self.next + 1) % self.places.len();
        self.files[i].read_at(&mut self.buf, off)?;
        Ok(self.buf[0])
    }

    /// Median latency (µs) of `samples` reads, each timed alone.
    pub fn median_us(&mut self, samples: usize) -> std::io::Result<f64> {
        if self.files.is_empty() {
            return Ok(0.0);
        }
        let mut times = Vec::with_capacity(samples.max(1));
        for _ in 0..samples.max(1) {
            let t = Instant::now();
            std::hint::black_box(self.read_one()?);
            times.push(t.elapsed().as_nanos() as f64 / 1000.0);
        }
        Ok(super::measure::median(&mut times))
    }
}

/// Median latency (µs) of `samples` random 64-byte preads across `paths`, each timed alone.
pub fn median_pread_us<P: AsRef<Path>>(paths: &[P], samples: usize) -> std::io::Result<f64> {
    RawReads::open(paths)?.median_us(samples)
}
