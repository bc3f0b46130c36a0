//! Phase 2: for each superblock of z, gather its pairs from every run, sort them by
//! `(z, x, x')`, build its group offsets and bit-pack its entries.

use crate::error::PlotError;
use crate::partition::{x_of, x_prime_of, z_of, Record};
use masspoc_plot::bits::encode_values;
use masspoc_plot::format::{GROUPS_PER_SUPERBLOCK_BITS, G_BITS, SUPERBLOCK_BITS};
use masspoc_proof::K;

/// One encoded superblock.
pub struct EncodedSuperblock {
    /// Its bit-packed entries.
    pub bytes: Vec<u8>,
    /// Its group table slice: one little-endian u16 per group.
    pub groups: Vec<u8>,
    /// Number of entries.
    pub count: u64,
}

/// Sorts the records of superblock `sb` (their z all in it) and encodes them.
///
/// `records` are the superblock's records in any order; `counts` is scratch of `2^16 + 1` slots.
pub fn encode_superblock(
    k: K,
    sb: u64,
    records: &[Record],
    counts: &mut Vec<u32>,
) -> Result<EncodedSuperblock, PlotError> {
    let kk = u32::from(k.get());
    let zl_mask = (1u64 << SUPERBLOCK_BITS) - 1;
    let zl = |r: &Record| (z_of(*r) & zl_mask) as usize;
    counts.clear();
    counts.resize((1 << SUPERBLOCK_BITS) + 1, 0);
    for r in records {
        counts[zl(r) + 1] += 1;
    }
    for i in 0..(1usize << SUPERBLOCK_BITS) {
        counts[i + 1] += counts[i];
    }
    // Group table: index of each group's first entry.
    let groups_n = 1usize << GROUPS_PER_SUPERBLOCK_BITS;
    let mut groups = Vec::with_capacity(2 * groups_n);
    for g in 0..groups_n {
        let first = counts[g << G_BITS];
        let first = u16::try_from(first).map_err(|_| PlotError::SuperblockOverflow(sb))?;
        groups.extend_from_slice(&first.to_le_bytes());
    }
    let mut sorted = vec![0 as Record; records.len()];
    for r in records {
        let z = zl(r);
        sorted[counts[z] as usize] = *r;
        counts[z] += 1;
    }
    // Within one z, order by (x, x'): records compare as (z, x, x'). After the scatter,
    // counts[z] is where z's records end.
    let mut i = 0;
    while i < sorted.len() {
        let end = counts[zl(&sorted[i])] as usize;
        if end - i > 1 {
            sorted[i..end].sort_unstable();
        }
        i = end;
    }
    let mut bytes = Vec::with_capacity(sorted.len() * (2 * kk as usize + 4) / 8 + 16);
    encode_values(
        k,
        sorted.iter().map(|&r| {
            let z_low = z_of(r) & ((1 << G_BITS) - 1);
            u128::from(z_low)
                | (u128::from(x_of(r)) << G_BITS)
                | (u128::from(x_prime_of(r)) << (G_BITS + kk))
        }),
        &mut bytes,
    );
    Ok(EncodedSuperblock {
        bytes,
        groups,
        count: sorted.len() as u64,
    })
}
