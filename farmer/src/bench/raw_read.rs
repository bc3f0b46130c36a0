//! The yardstick of the farm benchmark: one random 64-byte `pread` of the same plot files, warm
//! page cache, measured in the same run.

use rand::Rng;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::time::Instant;

/// Bytes of one raw read.
pub const RAW_READ_LEN: usize = 64;

/// Reads every file once, so the page cache is warm for both measurements.
pub fn warm(paths: &[&Path]) -> std::io::Result<u64> {
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

/// Median latency (µs) of `samples` random 64-byte preads across `paths`, each timed alone.
pub fn median_pread_us(paths: &[&Path], samples: usize) -> std::io::Result<f64> {
    let files: Vec<(File, u64)> = paths
        .iter()
        .map(|p| {
            let f = File::open(p)?;
            let len = f.metadata()?.len();
            Ok((f, len))
        })
        .collect::<std::io::Result<_>>()?;
    if files.is_empty() {
        return Ok(0.0);
    }
    let mut rng = rand::thread_rng();
    let mut buf = [0u8; RAW_READ_LEN];
    let mut times = Vec::with_capacity(samples);
    for _ in 0..samples {
        let (f, len) = &files[rng.gen_range(0..files.len())];
        let off = rng.gen_range(0..len.saturating_sub(RAW_READ_LEN as u64).max(1));
        let t = Instant::now();
        f.read_at(&mut buf, off)?;
        times.push(t.elapsed().as_nanos() as f64 / 1000.0);
    }
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}
