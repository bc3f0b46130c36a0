//! Counting sort of records into buckets.

/// A record of the matching phase: `[z << k | x, x']`.
pub type Record = [u64; 2];

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
    out.resize(src.len(), [0u64; 2]);
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
        let src = vec![[5, 0], [1, 1], [5, 2], [0, 3], [1, 4], [2, 5]];
        let (out, off) = partition_one(&src, 6, |r| r[0] as usize, Vec::new());
        assert_eq!(off, vec![0, 1, 3, 4, 4, 4, 6]);
        assert_eq!(out, vec![[0, 3], [1, 1], [1, 4], [2, 5], [5, 0], [5, 2]]);
    }
}
