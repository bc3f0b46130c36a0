//! Records of the matching phase and the counting sort that buckets them.

/// A record of the matching phase: the integer `z << 80 | x << 40 | x'` (three 40-bit fields,
/// so every k up to 40 fits and the fields sit at fixed places whatever k is); records compare
/// in the order entries are stored, `(z, x, x')`.
pub type Record = u128;

/// Bits of each field of a record.
const FIELD: u32 = 40;
const FIELD_MASK: u64 = (1 << FIELD) - 1;

/// The record of pair `(x, x')` with `F(x, x') = z` (each below `2^k`, k ≤ 40).
#[inline]
#[must_use]
pub fn record(z: u64, x: u64, x_prime: u64) -> Record {
    (u128::from(z) << (2 * FIELD)) | (u128::from(x) << FIELD) | u128::from(x_prime)
}

/// The z of a record.
#[inline]
#[must_use]
pub fn z_of(r: Record) -> u64 {
    (r >> (2 * FIELD)) as u64
}

/// The x of a record.
#[inline]
#[must_use]
pub fn x_of(r: Record) -> u64 {
    (r >> FIELD) as u64 & FIELD_MASK
}

/// The x' of a record.
#[inline]
#[must_use]
pub fn x_prime_of(r: Record) -> u64 {
    r as u64 & FIELD_MASK
}

/// Counting sort of one slice into `out` (cleared first; its capacity is reused), returning it
/// and `buckets + 1` offsets (stable).
pub fn partition_one(
    src: &[Record],
    buckets: usize,
    bucket_of: impl Fn(&Record) -> usize,
    mut out: Vec<Record>,
) -> (Vec<Record>, Vec<u64>) {
    let mut offsets = vec![0u64; buckets + 1];
    for r in src {
        offsets[bucket_of(r) + 1] += 1;
    }
    for b in 0..buckets {
        offsets[b + 1] += offsets[b];
    }
    let mut next = offsets.clone();
    out.clear();
    out.resize(src.len(), 0);
    for r in src {
        let b = bucket_of(r);
        out[next[b] as usize] = *r;
        next[b] += 1;
    }
    (out, offsets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_stably() {
        let src = vec![5 << 8, 1 << 8 | 1, 5 << 8 | 2, 3, 1 << 8 | 4, 2 << 8 | 5];
        let (out, off) = partition_one(&src, 6, |r| (r >> 8) as usize, Vec::new());
        assert_eq!(off, vec![0, 1, 3, 4, 4, 4, 6]);
        assert_eq!(
            out,
            vec![3, 1 << 8 | 1, 1 << 8 | 4, 2 << 8 | 5, 5 << 8, 5 << 8 | 2]
        );
    }

    #[test]
    fn records_at_k40_edges() {
        let k = masspoc_proof::K::new(40).unwrap();
        let m = k.mask();
        for (z, x, xp) in [
            (0, 0, 0),
            (m, m, m),
            (m, 0, 0),
            (0, m, 0),
            (0, 0, m),
            (1, m - 1, 2),
        ] {
            let r = record(z, x, xp);
            assert_eq!((z_of(r), x_of(r), x_prime_of(r)), (z, x, xp));
            assert!(r >> 120 == 0);
            assert!(r >> 80 == u128::from(z));
        }
        // Records order as (z, x, x').
        assert!(record(1, 0, 0) > record(0, m, m));
        assert!(record(5, 2, 0) > record(5, 1, m));
        assert!(record(5, 2, 1) > record(5, 2, 0));
    }
}
