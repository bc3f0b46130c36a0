//! Phase 1, one round: P for every x, keep the x whose canonical key `c` (P or P XOR mask, the
//! one with the top bit clear) falls in this round's range, group them by `c`, pair every
//! `P = c` member with every `P = c XOR mask` member, compute F in SIMD batches and partition
//! the pairs by superblock of z.
//!
//! Grouping is two counting sorts: per x-chunk by sub-bucket (2^15 values of c), then per
//! sub-bucket by c. Both keep their working set in cache.

use crate::format::SUPERBLOCK_BITS;
use crate::partition::{partition_one, Record};
use masspoc_proof::{f_many, p_fill, PlotId, F_BATCH, K};
use rayon::prelude::*;
use std::sync::Mutex;

/// x values per `p_fill` call.
const P_BLOCK: u64 = 1 << 14;
/// Bits of c per sub-bucket.
const SUB_BITS: u32 = 15;
/// At most 2^CHUNK_X_BITS x per chunk of the P pass.
const CHUNK_X_BITS: u32 = 22;
/// About 2^GROUP_PAIR_BITS pairs (or fewer) per group of sub-buckets.
const GROUP_PAIR_BITS: u32 = 21;

/// Some of the pairs of one round, grouped by superblock of z.
pub struct Part {
    /// Records `[z << k | x, x']`, grouped by superblock.
    pub records: Vec<Record>,
    /// `superblocks + 1` offsets into `records`.
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
struct ChunkItems {
    items: Vec<u64>,
    offsets: Vec<u32>,
}

/// Large buffers handed from one round to the next, so that rounds reuse their memory instead of
/// faulting in fresh pages (and the allocator never holds two rounds' worth).
#[derive(Default)]
pub struct Buffers {
    /// Buffers for chunk items.
    pub items: Vec<Vec<u64>>,
    /// Buffers for part records.
    pub records: Vec<Vec<Record>>,
    /// Per-worker scratch: items of a chunk before they are sorted by sub-bucket.
    raw: Pool<u64>,
    /// Per-worker scratch: records of a group before they are partitioned.
    unsorted: Pool<Record>,
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

impl Buffers {
    /// Takes back the record buffers of a round whose output is no longer needed.
    pub fn recycle(&mut self, out: RoundOutput) {
        self.records
            .extend(out.parts.into_iter().map(|p| p.records));
    }
}

/// Runs round `round` of `2^rounds_log2` (in the current rayon pool).
#[must_use]
pub fn match_round(
    plot_id: &PlotId,
    k: K,
    round: u64,
    rounds_log2: u32,
    bufs: &mut Buffers,
) -> RoundOutput {
    let kk = u32::from(k.get());
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
    // Chunks of at most 2^22 x and groups of about 2^21 pairs keep the per-worker scratch
    // (a chunk's items before sorting, a group's records before partitioning) near 32 MB.
    let chunk_count = (threads * 8)
        .max(k.domain() >> CHUNK_X_BITS)
        .clamp(1, k.domain() / P_BLOCK);
    // Chunk c covers [c * domain / count, (c + 1) * domain / count): every x, whatever the count.
    let chunk_start =
        |c: u64| (u128::from(c) * u128::from(k.domain()) / u128::from(chunk_count)) as u64;
    let t0 = std::time::Instant::now();
    let item_bufs: Vec<Vec<u64>> = (0..chunk_count)
        .map(|_| bufs.items.pop().unwrap_or_default())
        .collect();
    let chunks: Vec<ChunkItems> = (0..chunk_count as usize)
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
    let pairs_expected = (k.domain() >> 1) >> rounds_log2;
    let groups = ((threads * 8).max(pairs_expected >> GROUP_PAIR_BITS) as usize).min(g.subs);
    let per_group = g.subs.div_ceil(groups);
    let sb_shift = kk + SUPERBLOCK_BITS;
    let superblocks = 1usize << (kk - SUPERBLOCK_BITS);
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
                    partition_one(unsorted, superblocks, |r| (r[0] >> sb_shift) as usize, out);
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

fn chunk_items(
    plot_id: &PlotId,
    g: &Geometry,
    x0: u64,
    len: u64,
    raw: &mut Vec<u64>,
    mut items: Vec<u64>,
) -> ChunkItems {
    let mask = g.k.mask();
    let top = g.kk - 1;
    let mut pv = vec![0u64; P_BLOCK as usize];
    let mut kept = vec![0u64; P_BLOCK as usize];
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
            kept[m] = ((c & span_mask) << (g.kk + 1)) | (side << g.kk) | (x + i as u64);
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
        offsets[(it >> shift) as usize + 1] += 1;
    }
    for i in 0..g.subs {
        offsets[i + 1] += offsets[i];
    }
    let mut next = offsets.clone();
    items.clear();
    items.resize(raw.len(), 0);
    for &it in raw.iter() {
        let s = (it >> shift) as usize;
        items[next[s] as usize] = it;
        next[s] += 1;
    }
    ChunkItems { items, offsets }
}

/// Pairs and F values of a range of sub-buckets, as records.
fn pair_subs(
    plot_id: &PlotId,
    g: &Geometry,
    chunks: &[ChunkItems],
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
    for s in subs {
        gathered.clear();
        for ch in chunks {
            gathered
                .extend_from_slice(&ch.items[ch.offsets[s] as usize..ch.offsets[s + 1] as usize]);
        }
        // Counting sort by the low bits of c.
        counts.iter_mut().for_each(|c| *c = 0);
        for &it in &gathered {
            counts[((it >> (kk + 1)) & c_mask) as usize + 1] += 1;
        }
        for i in 0..(1usize << g.sub_bits) {
            counts[i + 1] += counts[i];
        }
        sorted.clear();
        sorted.resize(gathered.len(), 0);
        for &it in &gathered {
            let c = ((it >> (kk + 1)) & c_mask) as usize;
            sorted[counts[c] as usize] = it;
            counts[c] += 1;
        }
        // Runs of equal c: pair side-0 members with side-1 members.
        let mut i = 0;
        while i < sorted.len() {
            let c = sorted[i] >> (kk + 1);
            let mut j = i + 1;
            while j < sorted.len() && sorted[j] >> (kk + 1) == c {
                j += 1;
            }
            if j - i >= 2 {
                for &a in &sorted[i..j] {
                    if (a >> kk) & 1 == 0 {
                        for &b in &sorted[i..j] {
                            if (b >> kk) & 1 == 1 {
                                pairs.push((a & xmask, b & xmask));
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
    let kk = u32::from(k.get());
    for batch in pairs.chunks(F_BATCH) {
        f_many(plot_id, k, batch, &mut zs[..batch.len()]);
        for (&(x, xp), &z) in batch.iter().zip(zs.iter()) {
            out.push([(z << kk) | x, xp]);
        }
    }
    pairs.clear();
}
