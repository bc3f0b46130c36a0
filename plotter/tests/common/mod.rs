//! Shared helpers of the plotter tests.

use masspoc_plotter::{plot, NoProgress, PlotRequest, PlotSummary};
use masspoc_proof::{FarmerPublicKey, PlotId, PlotSeed, K};
use std::path::Path;

/// A fixed farmer key and seed for test plots (any 32 bytes will do: P and F only hash them).
pub fn request(k: u8, seed_byte: u8, dir: &Path) -> PlotRequest {
    let mut r = PlotRequest::new(
        FarmerPublicKey([7u8; 32]),
        K::new(k).unwrap(),
        PlotSeed([seed_byte; 32]),
        dir,
    );
    r.threads = 2;
    r
}

/// Plots and returns the summary and the file's bytes.
pub fn plot_bytes(req: &PlotRequest) -> (PlotSummary, Vec<u8>) {
    let s = plot(req, &NoProgress).expect("plot");
    let bytes = std::fs::read(&s.path).unwrap();
    (s, bytes)
}

/// P computed independently of the proof crate: keyed BLAKE3 XOF of "P", 8 bytes per x.
pub fn brute_p(plot_id: &PlotId, k: K) -> Vec<u64> {
    let mut h = blake3::Hasher::new_keyed(plot_id.as_bytes());
    h.update(b"P");
    let mut buf = vec![0u8; 8 << k.get()];
    h.finalize_xof().fill(&mut buf);
    buf.chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().unwrap()) & k.mask())
        .collect()
}

/// F computed independently: one keyed BLAKE3 of the 64-byte message.
pub fn brute_f(plot_id: &PlotId, k: K, x: u64, xp: u64) -> u64 {
    let mut m = [0u8; 64];
    m[0] = b'F';
    m[1..9].copy_from_slice(&x.to_le_bytes());
    m[9..17].copy_from_slice(&xp.to_le_bytes());
    let h = blake3::keyed_hash(plot_id.as_bytes(), &m);
    u64::from_le_bytes(h.as_bytes()[..8].try_into().unwrap()) & k.mask()
}

/// Every valid pair by brute force, with its z, sorted by (z, x, x').
pub fn brute_pairs(plot_id: &PlotId, k: K) -> Vec<(u64, u64, u64)> {
    let p = brute_p(plot_id, k);
    let mut by_value: std::collections::HashMap<u64, Vec<u64>> = Default::default();
    for (x, &v) in p.iter().enumerate() {
        by_value.entry(v).or_default().push(x as u64);
    }
    let mut out = Vec::new();
    for (x, &v) in p.iter().enumerate() {
        if v >= k.half() {
            continue;
        }
        if let Some(partners) = by_value.get(&(v ^ k.mask())) {
            for &xp in partners {
                out.push((brute_f(plot_id, k, x as u64, xp), x as u64, xp));
            }
        }
    }
    out.sort_unstable();
    out
}
