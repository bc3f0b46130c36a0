//! Phase 1, one round: P for every x, keep the x whose canonical key `c` (P or P XOR mask, the
//! one with the top bit clear) falls in this round's range, group them by `c`, pair every
//! `P = c` member with every `P = c XOR mask` member, compute F in SIMD batches and partition
//! the pairs by bin of z (a bin is `2^bin_bits` superblocks, see [`crate::plan::bin_bits`]).
//!
//! Grouping is two counting sorts: per x-chunk by sub-bucket (2^15 values of c), then per
//! sub-bucket by c. Both keep their working set in cache.
//!
//! An item is `c_local << (k+1) | side << k | x` (2k - rounds_log2 bits): a u64 for every plan
//! of k ≤ 32, a u128 where that does not fit ([`Word`]); both give the same pairs.

use crate::partition::{partition_one, record, Record};
use crate::plan::{chunk_count, group_count};
use crate::runs::Bins;
use masspoc_proof::{f_many, p_fill, PlotId, F_BATCH, K};
use rayon::prelude::*;
use std::sync::Mutex;

/// x values per `p_fill` call.
const P_BLOCK: u64 = 1 << 14;
/// Bits of c per sub-bucket.
const SUB_BITS: u32 = 15;

/// The integer an item is held in.
pub trait Word: Copy + Default + Send + Sync + 'static {
    /// `c_local << (kk+1) | side << kk | x`.
    fn item(c_local: u64, side: u64, x: u64, kk: u32) -> Self;
    /// `item >> shift`, truncated to 64 bits (callers mask what they need).
    fn shr(self, shift: u32) -> u64;
    /// The low 64 bits.
    fn low(self) -> u64;
}

impl Word for u64 {
    #[inline]
    fn item(c_local: u64, side: u64, x: u64, kk: u32) -> Self {
        (c_local << (kk + 1)) | (side << kk) | x
    }
    #[inline]
    fn shr(self, shift: u32) -> u64 {
        self >> shift
    }
    #[inline]
    fn low(self) -> u64 {
        self
    }
}

impl Word for u128 {
    #[inline]
    fn item(c_local: u64, side: u64, x: u64, kk: u32) -> Self {
        (u128::from(c_local) << (kk + 1)) | (u128::from(side) << kk) | u128::from(x)
    }
    #[inline]
    fn shr(self, shift: u32) -> u64 {
        (self >> shift) as u64
    }
    #[inline]
    fn low(self) -> u64 {
        self as u64
    }
}

/// Some of the pairs of one round, grouped by bin of z.
pub struct Part {
    /// Records (`z << 2k | x << k | x'`), grouped by bin.
    pub records: Vec<Record>,
    /// `bins + 1` offsets into `records`.
    pub offsets: Vec<u64>,
}

/// The pairs of one round, in parts (one per group of sub-buckets).
pub struct RoundOutput {
    /// The parts.
    pub parts: Vec<Part>,
}

struct Geometry {
    k: K,
    kk: u32,
    span_bits: u32,
    sub_bits: u32,
    subs: usize,
    round: u64,
}

/// Items of one x-chunk, `c_local << (k+1) | side << k | x`, sorted by sub-bucket.
struct ChunkItems<W> {
    items: Vec<W>,
    offsets: Vec<u32>,
}

/// Large buffers handed from one round to the next, so that rounds reuse their memory instead of
/// faulting in fresh pages (and the allocator never holds two rounds' worth).
pub struct Buffers<W> {
    /// Buffers for chunk items.
    pub items: Vec<Vec<W>>,
    /// Buffers for part records.
    pub records: Vec<Vec<Record>>,
    /// Per-worker scratch: items of a chunk before they are sorted by sub-bucket.
    raw: Pool<W>,
    /// Per-worker scratch: records of a group before they are partitioned.
    unsorted: Pool<Record>,
}

impl<W> Default for Buffers<W> {
    fn default() -> Self {
        Buffers {
            items: Vec::new(),
            records: Vec::new(),
            raw: Pool::default(),
            unsorted: Pool::default(),
        }
    }
}

/// Scratch vectors shared by the workers of a round and kept from round to round, so that the
/// allocator does not hold freed scratch of every round besides the live buffers.
struct Pool<T>(Mutex<Vec<Vec<T>>>);

impl<T> Default for Pool<T> {
    fn default() -> Self {
        Pool(Mutex::new(Vec::new()))
    }
}

impl<T> Pool<T> {
    fn clear(&self) {
        if let Ok(mut p) = self.0.lock() {
            p.clear();
        }
    }

    fn take(&self) -> Pooled<'_, T> {
        let v = self.0.lock().map(|mut p| p.pop()).ok().flatten();
        Pooled {
            v: v.unwrap_or_default(),
            pool: self,
        }
    }
}

/// A scratch vector that goes back to its pool when dropped.
struct Pooled<'a, T> {
    v: Vec<T>,
    pool: &'a Pool<T>,
}

impl<T> Drop for Pooled<'_, T> {
    fn drop(&mut self) {
        if let Ok(mut p) = self.pool.0.lock() {
            p.push(std::mem::take(&mut self.v));
        }
    }
}

impl<W> Buffers<W> {
    /// Takes back the record buffers of a round whose output is no longer needed.
    pub fn recycle(&mut self, out: RoundOutput) {
        self.records
            .extend(out.parts.into_iter().map(|p| p.records));
    }
}

/// Runs round `round` of `2^rounds_log2` (in the current rayon pool), its output indexed by
/// `bins`, with items held in `W`
/// (`u64` needs `2k - rounds_log2 <= 64`, see [`crate::plan::wide_items`]).
#[must_use]
pub fn match_round<W: Word>(
    plot_id: &PlotId,
    bins: Bins,
    round: u64,
    rounds_log2: u32,
    bufs: &mut Buffers<W>,
) -> RoundOutput {
    let k = bins.k;
    let kk = u32::from(k.get());
    assert!(
        std::mem::size_of::<W>() * 8 >= (2 * kk - rounds_log2) as usize,
        "items of k={kk} in 2^{rounds_log2} rounds do not fit in {} bits",
        std::mem::size_of::<W>() * 8
    );
    let span_bits = kk - 1 - rounds_log2;
    let sub_bits = SUB_BITS.min(span_bits);
    let g = Geometry {
        k,
        kk,
        span_bits,
        sub_bits,
        subs: 1 << (span_bits - sub_bits),
        round,
    };
    let threads = rayon::current_num_threads() as u64;
    // Chunk and group counts (plan.rs) keep the per-worker scratch (a chunk's items before
    // sorting, a group's records before partitioning) near 32 MB.
    let chunk_count = chunk_count(k, rounds_log2, threads);
    // Chunk c covers [c * domain / count, (c + 1) * domain / count): every x, whatever the count.
    let chunk_start =
        |c: u64| (u128::from(c) * u128::from(k.domain()) / u128::from(chunk_count)) as u64;
    let t0 = std::time::Instant::now();
    let item_bufs: Vec<Vec<W>> = (0..chunk_count)
        .map(|_| bufs.items.pop().unwrap_or_default())
        .collect();
    let chunks: Vec<ChunkItems<W>> = (0..chunk_count as usize)
        .into_par_iter()
        .zip(item_bufs)
        .map_init(
            || bufs.raw.take(),
            |raw, (c, items)| {
                chunk_items(
                    plot_id,
                    &g,
                    chunk_start(c as u64),
                    chunk_start(c as u64 + 1) - chunk_start(c as u64),
                    &mut raw.v,
                    items,
                )
            },
        )
        .collect();
    let t1 = t0.elapsed();
    // No round follows the last one: its scratch is freed as soon as it is done with.
    let last = round + 1 == 1 << rounds_log2;
    if last {
        bufs.raw.clear();
    }
    let items_rss = crate::memory::anon_rss_bytes();
    let groups = group_count(k, rounds_log2, threads) as usize;
    let per_group = g.subs.div_ceil(groups);
    let bin_count = bins.count();
    let record_bufs: Vec<Vec<Record>> = (0..groups)
        .map(|_| bufs.records.pop().unwrap_or_default())
        .collect();
    let parts: Vec<Part> = (0..groups)
        .into_par_iter()
        .zip(record_bufs)
        .map_init(
            || bufs.unsorted.take(),
            |unsorted, (gi, out)| {
                let subs = gi * per_group..((gi + 1) * per_group).min(g.subs);
                let unsorted = &mut unsorted.v;
                unsorted.clear();
                pair_subs(plot_id, &g, &chunks, subs, unsorted);
                let (records, offsets) =
                    partition_one(unsorted, bin_count, |&r| bins.bin_of(r), out);
                Part { records, offsets }
            },
        )
        .collect();
    bufs.items.extend(chunks.into_iter().map(|c| c.items));
    if last {
        bufs.unsorted.clear();
    }
    tracing::debug!(
        round,
        items_s = t1.as_secs_f64(),
        total_s = t0.elapsed().as_secs_f64(),
        items_rss_mb = items_rss >> 20,
        rss_mb = crate::memory::anon_rss_bytes() >> 20,
        "matching round"
    );
    RoundOutput { parts }
}

fn chunk_items<W: Word>(
    plot_id: &PlotId,
    g: &Geometry,
    x0: u64,
    len: u64,
    raw: &mut Vec<W>,
    mut items: Vec<W>,
) -> ChunkItems<W> {
    let mask = g.k.mask();
    let top = g.kk - 1;
    let mut pv = vec![0u64; P_BLOCK as usize];
    let mut kept = vec![W::default(); P_BLOCK as usize];
    let mut scratch = Vec::new();
    raw.clear();
    let span_mask = (1u64 << g.span_bits) - 1;
    let mut x = x0;
    while x < x0 + len {
        let n = P_BLOCK.min(x0 + len - x) as usize;
        p_fill(plot_id, g.k, x, &mut pv[..n], &mut scratch);
        // Branch-free: every item is written, the cursor only advances for the round's ones
        // (a round keeps 1 in 2^rounds_log2, which a branch would mispredict).
        let mut m = 0usize;
        for (i, &p) in pv[..n].iter().enumerate() {
            let side = p >> top;
            let c = p ^ (mask & side.wrapping_neg());
            kept[m] = W::item(c & span_mask, side, x + i as u64, g.kk);
            m += usize::from(c >> g.span_bits == g.round);
        }
        raw.extend_from_slice(&kept[..m]);
        x += n as u64;
    }
    if g.subs == 1 {
        items.clear();
        items.extend_from_slice(raw);
        return ChunkItems {
            offsets: vec![0, raw.len() as u32],
            items,
        };
    }
    let shift = g.kk + 1 + g.sub_bits;
    let mut offsets = vec![0u32; g.subs + 1];
    for &it in raw.iter() {
        offsets[it.shr(shift) as usize + 1] += 1;
    }
    for i in 0..g.subs {
        offsets[i + 1] += offsets[i];
    }
    let mut next = offsets.clone();
    items.clear();
    items.resize(raw.len(), W::default());
    for &it in raw.iter() {
        let s = it.shr(shift) as usize;
        items[next[s] as usize] = it;
        next[s] += 1;
    }
    ChunkItems { items, offsets }
}

/// Pairs and F values of a range of sub-buckets, as records.
fn pair_subs<W: Word>(
    plot_id: &PlotId,
    g: &Geometry,
    chunks: &[ChunkItems<W>],
    subs: std::ops::Range<usize>,
    out: &mut Vec<Record>,
) {
    let kk = g.kk;
    let xmask = g.k.mask();
    let c_mask = (1u64 << g.sub_bits) - 1;
    let mut counts = vec![0u32; (1 << g.sub_bits) + 1];
    let mut gathered = Vec::new();
    let mut sorted = Vec::new();
    let mut pairs: Vec<(u64, u64)> = Vec::new();
    let mut zs = vec![0u64; F_BATCH];
    let c_of = |it: W| it.shr(kk + 1);
    let side_of = |it: W| (it.low() >> kk) & 1;
    for s in subs {
        gathered.clear();
        for ch in chunks {
            gathered
                .extend_from_slice(&ch.items[ch.offsets[s] as usize..ch.offsets[s + 1] as usize]);
        }
        // Counting sort by the low bits of c.
        counts.iter_mut().for_each(|c| *c = 0);
        for &it in &gathered {
            counts[(c_of(it) & c_mask) as usize + 1] += 1;
        }
        for i in 0..(1usize << g.sub_bits) {
            counts[i + 1] += counts[i];
        }
        sorted.clear();
        sorted.resize(gathered.len(), W::default());
        for &it in &gathered {
            let c = (c_of(it) & c_mask) as usize;
            sorted[counts[c] as usize] = it;
            counts[c] += 1;
        }
        // Runs of equal c: pair side-0 members with side-1 members.
        let mut i = 0;
        while i < sorted.len() {
            let c = c_of(sorted[i]);
            let mut j = i + 1;
            while j < sorted.len() && c_of(sorted[j]) == c {
                j += 1;
            }
            if j - i >= 2 {
                for &a in &sorted[i..j] {
                    if side_of(a) == 0 {
                        for &b in &sorted[i..j] {
                            if side_of(b) == 1 {
                                pairs.push((a.low() & xmask, b.low() & xmask));
                            }
                        }
                    }
                }
            }
            i = j;
        }
        if pairs.len() >= F_BATCH * 4 {
            flush(plot_id, g.k, &mut pairs, &mut zs, out);
        }
    }
    flush(plot_id, g.k, &mut pairs, &mut zs, out);
}

fn flush(
    plot_id: &PlotId,
    k: K,
    pairs: &mut Vec<(u64, u64)>,
    zs: &mut [u64],
    out: &mut Vec<Record>,
) {
    for batch in pairs.chunks(F_BATCH) {
        f_many(plot_id, k, batch, &mut zs[..batch.len()]);
        for (&(x, xp), &z) in batch.iter().zip(zs.iter()) {
            out.push(record(z, x, xp));
        }
    }
    pairs.clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_at_k40_edges() {
        let kk = 40u32;
        let m = (1u64 << kk) - 1;
        // Round 0 of 1: c_local has 39 bits, the item 80.
        for (c, side, x) in [(0, 0, 0), ((1 << 39) - 1, 1, m), (1 << 38, 0, m), (5, 1, 0)] {
            let it = <u128 as Word>::item(c, side, x, kk);
            assert_eq!(it.shr(kk + 1), c);
            assert_eq!((it.low() >> kk) & 1, side);
            assert_eq!(it.low() & m, x);
            assert!(it >> 80 == 0);
        }
        // k = 40 in 2^16 rounds fits 64 bits: c_local has 23 bits.
        let it = <u64 as Word>::item((1 << 23) - 1, 1, m, kk);
        assert_eq!(
            (it.shr(kk + 1), (it >> kk) & 1, it & m),
            ((1 << 23) - 1, 1, m)
        );
    }
}
