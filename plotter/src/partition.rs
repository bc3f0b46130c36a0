//! Parallel counting sort of records into buckets: one histogram per input part, prefix sums,
//! then every part scatters into its own disjoint slots of one output array.

use rayon::prelude::*;

/// A record of the matching phase: `[z << k | x, x']`.
pub type Record = [u64; 2];

struct OutPtr(*mut Record);
// SAFETY: the pointer is only used to write disjoint index ranges computed from prefix sums
// (see `partition`), so sharing it between threads creates no data race.
unsafe impl Send for OutPtr {}
unsafe impl Sync for OutPtr {}

/// Concatenates `parts` into one array ordered by `bucket_of(record)` (stable within a part, parts
/// in order), returning the array and `buckets + 1` offsets.
pub fn partition(
    parts: Vec<Vec<Record>>,
    buckets: usize,
    bucket_of: impl Fn(&Record) -> usize + Sync,
) -> (Vec<Record>, Vec<u64>) {
    let hists: Vec<Vec<u64>> = parts
        .par_iter()
        .map(|p| {
            let mut h = vec![0u64; buckets];
            for r in p {
                h[bucket_of(r)] += 1;
            }
            h
        })
        .collect();
    let total: u64 = parts.iter().map(|p| p.len() as u64).sum();
    let mut offsets = vec![0u64; buckets + 1];
    // starts[part][bucket] = where that part's records of that bucket go.
    let mut starts = vec![vec![0u64; buckets]; parts.len()];
    let mut pos = 0u64;
    for b in 0..buckets {
        offsets[b] = pos;
        for (p, h) in hists.iter().enumerate() {
            starts[p][b] = pos;
            pos += h[b];
        }
    }
    offsets[buckets] = pos;
    debug_assert_eq!(pos, total);
    let mut out: Vec<Record> = Vec::with_capacity(total as usize);
    crate::memory::advise_huge(out.spare_capacity_mut());
    let ptr = OutPtr(out.as_mut_ptr());
    parts
        .into_par_iter()
        .zip(starts.into_par_iter())
        .for_each(|(part, mut next)| {
            let ptr = &ptr;
            for r in part {
                let b = bucket_of(&r);
                // SAFETY: `next[b]` walks the range reserved for this part and bucket by the
                // prefix sums above; ranges of different (part, bucket) never overlap and all lie
                // below `total`, which is within the allocated capacity.
                unsafe { ptr.0.add(next[b] as usize).write(r) };
                next[b] += 1;
            }
        });
    // SAFETY: every index below `total` was written exactly once above.
    unsafe { out.set_len(total as usize) };
    (out, offsets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_stably() {
        let parts = vec![
            vec![[5, 0], [1, 1], [5, 2]],
            vec![],
            vec![[0, 3], [1, 4], [2, 5]],
        ];
        let (out, off) = partition(parts, 6, |r| r[0] as usize);
        assert_eq!(off, vec![0, 1, 3, 4, 4, 4, 6]);
        assert_eq!(out, vec![[0, 3], [1, 1], [1, 4], [2, 5], [5, 0], [5, 2]]);
    }
}
