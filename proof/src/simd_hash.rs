//! Keyed BLAKE3 of many one-block (64-byte) messages at once, in SIMD lanes.
//!
//! blake3 exposes its many-message kernel only through the hidden, unstable
//! `platform::Platform::hash_many`; the workspace pins blake3 to an exact version for this file,
//! and the tests check this function against the plain `blake3::keyed_hash` for random inputs.

use blake3::platform::Platform;
use blake3::IncrementCounter;

// blake3's internal domain flags (BLAKE3 specification, table 3).
const CHUNK_START: u8 = 1 << 0;
const CHUNK_END: u8 = 1 << 1;
const ROOT: u8 = 1 << 3;
const KEYED_HASH: u8 = 1 << 4;

/// Largest number of messages hashed by one call into the kernel.
const MAX_BATCH: usize = 256;

fn key_words(key: &[u8; 32]) -> [u32; 8] {
    let mut w = [0u32; 8];
    for (i, word) in w.iter_mut().enumerate() {
        *word = u32::from_le_bytes(key[4 * i..4 * i + 4].try_into().expect("4 bytes"));
    }
    w
}

/// Writes `out[i] = blake3::keyed_hash(key, &inputs[i])` for every 64-byte input.
///
/// # Panics
/// If `out` is shorter than `inputs`.
pub fn keyed_hash_blocks(key: &[u8; 32], inputs: &[[u8; 64]], out: &mut [[u8; 32]]) {
    assert!(out.len() >= inputs.len(), "output shorter than input");
    let platform = Platform::detect();
    let key = key_words(key);
    let mut refs: [&[u8; 64]; MAX_BATCH] = [&[0u8; 64]; MAX_BATCH];
    for (ins, outs) in inputs.chunks(MAX_BATCH).zip(out.chunks_mut(MAX_BATCH)) {
        for (r, input) in refs.iter_mut().zip(ins) {
            *r = input;
        }
        let out_bytes = outs[..ins.len()].as_flattened_mut();
        platform.hash_many(
            &refs[..ins.len()],
            &key,
            0,
            IncrementCounter::No,
            KEYED_HASH | ROOT,
            CHUNK_START,
            CHUNK_END,
            out_bytes,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn matches_plain_keyed_hash(key in any::<[u8; 32]>(), seeds in proptest::collection::vec(any::<[u8; 32]>(), 0..600)) {
            let inputs: Vec<[u8; 64]> = seeds.iter().map(|s| {
                let mut m = [0u8; 64];
                m[..32].copy_from_slice(s);
                m[32..].copy_from_slice(&blake3::hash(s).as_bytes()[..]);
                m
            }).collect();
            let mut out = vec![[0u8; 32]; inputs.len()];
            keyed_hash_blocks(&key, &inputs, &mut out);
            for (i, o) in inputs.iter().zip(&out) {
                let expected = *blake3::keyed_hash(&key, i).as_bytes();
                prop_assert_eq!(o, &expected);
            }
        }
    }
}
