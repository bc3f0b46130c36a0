//! The re-indexing function `F(x, x') = LE64(KH(plot_id, M)[0..8]) & mask` with
//! `M = "F" || u64le(x) || u64le(x') || 47 zero bytes` (exactly one 64-byte block).

use crate::simd_hash::keyed_hash_blocks;
use crate::types::{PlotId, K};

/// A good batch size for [`f_many`]: enough messages to fill every SIMD lane many times over.
pub const F_BATCH: usize = 1024;

fn f_message(x: u64, x_prime: u64) -> [u8; 64] {
    let mut m = [0u8; 64];
    m[0] = b'F';
    m[1..9].copy_from_slice(&x.to_le_bytes());
    m[9..17].copy_from_slice(&x_prime.to_le_bytes());
    m
}

/// `F(x, x')` for one pair.
#[must_use]
pub fn f_value(plot_id: &PlotId, k: K, x: u64, x_prime: u64) -> u64 {
    let h = blake3::keyed_hash(plot_id.as_bytes(), &f_message(x, x_prime));
    u64::from_le_bytes(h.as_bytes()[..8].try_into().expect("8 bytes")) & k.mask()
}

/// `out[i] = F(pairs[i].0, pairs[i].1)` for many pairs, hashed side by side in SIMD lanes.
///
/// # Panics
/// If `out` is shorter than `pairs`.
pub fn f_many(plot_id: &PlotId, k: K, pairs: &[(u64, u64)], out: &mut [u64]) {
    assert!(out.len() >= pairs.len(), "output shorter than input");
    let mask = k.mask();
    let mut msgs = [[0u8; 64]; 64];
    let mut hashes = [[0u8; 32]; 64];
    for (chunk, outs) in pairs.chunks(64).zip(out.chunks_mut(64)) {
        for (m, &(x, xp)) in msgs.iter_mut().zip(chunk) {
            *m = f_message(x, xp);
        }
        keyed_hash_blocks(plot_id.as_bytes(), &msgs[..chunk.len()], &mut hashes);
        for (o, h) in outs.iter_mut().zip(&hashes[..chunk.len()]) {
            *o = u64::from_le_bytes(h[..8].try_into().expect("8 bytes")) & mask;
        }
    }
}
