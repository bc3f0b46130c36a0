//! The forger of `masspoc bench forge`: answers a challenge for a plot it does not store, by
//! recomputing it (all P, the matching, all F, then the window), on the current rayon pool.
//!
//! [`Forger`] is a `masspoc_plot::reading::PairIndex`, so a forged answer goes through the same
//! reading seam as a stored one (`read_candidates`: probe, filter, window, quality, score) and can
//! be compared with it pair for pair. It keeps nothing between lookups: every call recomputes the
//! whole plot, which is what someone who does not store the plot must do per challenge. Up to
//! k = 31 (a matching key of `2k + 1` bits in a u64; memory: 16 bytes per x).

use masspoc_plot::reading::PairIndex;
use masspoc_plot::ReadError;
use masspoc_proof::{f_many, p_fill, PlotId, Window, F_BATCH, K};
use rayon::prelude::*;
use std::sync::Mutex;
use std::time::Instant;

/// Largest k the forger handles.
pub const MAX_FORGE_K: u8 = 31;

/// Seconds per stage of the last recomputation.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ForgeTimes {
    /// All `2^k` P values.
    pub p_s: f64,
    /// Matching: sorting the P values and pairing complements.
    pub match_s: f64,
    /// All pairs' F values and the window's selection.
    pub f_s: f64,
    /// Pairs found (every valid pair of the plot).
    pub pairs: u64,
}

/// A plot that exists only as its id: every window lookup recomputes it.
#[derive(Debug)]
pub struct Forger {
    plot_id: PlotId,
    k: K,
    last: Mutex<ForgeTimes>,
}

impl Forger {
    /// The forger of the plot `plot_id` of parameter `k` (at most [`MAX_FORGE_K`]).
    ///
    /// # Panics
    /// If `k` is above [`MAX_FORGE_K`].
    #[must_use]
    pub fn new(plot_id: PlotId, k: K) -> Forger {
        assert!(k.get() <= MAX_FORGE_K, "the forger handles k <= 31");
        Forger {
            plot_id,
            k,
            last: Mutex::new(ForgeTimes::default()),
        }
    }

    /// The stage times of the last lookup.
    #[must_use]
    pub fn last_times(&self) -> ForgeTimes {
        *self.last.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every valid pair of the plot, recomputed: matching keys `c << (k+1) | side << k | x` (`c`
    /// the canonical value, P with its top bit cleared; `side` 1 when P's top bit is set), sorted,
    /// then each run of equal `c` pairs its side-0 members with its side-1 members.
    fn pairs(&self, times: &mut ForgeTimes) -> Vec<(u64, u64)> {
        let (k, mask) = (self.k, self.k.mask());
        let kb = u32::from(k.get());
        let n = k.domain() as usize;
        let t = Instant::now();
        let mut keys = vec![0u64; n];
        let chunk = 1usize << 16.min(kb);
        keys.par_chunks_mut(chunk)
            .enumerate()
            .for_each_init(Vec::new, |scratch, (i, out)| {
                let first = (i * chunk) as u64;
                p_fill(&self.plot_id, k, first, out, scratch);
                for (j, v) in out.iter_mut().enumerate() {
                    let side = *v >> (kb - 1);
                    let c = if side == 1 { *v ^ mask } else { *v };
                    *v = (c << (kb + 1)) | (side << kb) | (first + j as u64);
                }
            });
        times.p_s = t.elapsed().as_secs_f64();
        let t = Instant::now();
        keys.par_sort_unstable();
        // Cut the sorted keys into pieces at boundaries between values of c, one per thread.
        let pieces = rayon::current_num_threads().max(1) * 4;
        let mut cuts = vec![0usize];
        for p in 1..pieces {
            let mut at = (n * p / pieces).max(*cuts.last().expect("non-empty"));
            while at > 0 && at < n && keys[at] >> (kb + 1) == keys[at - 1] >> (kb + 1) {
                at += 1;
            }
            cuts.push(at);
        }
        cuts.push(n);
        let x_mask = mask;
        let pairs: Vec<(u64, u64)> = cuts
            .par_windows(2)
            .flat_map_iter(|w| {
                let run = &keys[w[0]..w[1]];
                let mut out = Vec::new();
                let mut i = 0;
                while i < run.len() {
                    let c = run[i] >> (kb + 1);
                    let mut j = i;
                    while j < run.len() && run[j] >> (kb + 1) == c {
                        j += 1;
                    }
                    // Side 0 sorts before side 1 within a value.
                    let group = &run[i..j];
                    let split = group.partition_point(|v| (v >> kb) & 1 == 0);
                    for a in &group[..split] {
                        for b in &group[split..] {
                            out.push((a & x_mask, b & x_mask));
                        }
                    }
                    i = j;
                }
                out
            })
            .collect();
        times.match_s = t.elapsed().as_secs_f64();
        times.pairs = pairs.len() as u64;
        pairs
    }
}

impl PairIndex for Forger {
    fn window_pairs(&self, window: Window, out: &mut Vec<(u64, u64)>) -> Result<(), ReadError> {
        let mut times = ForgeTimes::default();
        let pairs = self.pairs(&mut times);
        let t = Instant::now();
        let mut found: Vec<(u64, u64, u64)> = pairs
            .par_chunks(F_BATCH * 16)
            .flat_map_iter(|batch| {
                let mut f = vec![0u64; batch.len()];
                f_many(&self.plot_id, self.k, batch, &mut f);
                batch
                    .iter()
                    .zip(f)
                    .filter(|(_, z)| window.contains(*z))
                    .map(|(&(x, xp), z)| (z, x, xp))
                    .collect::<Vec<_>>()
            })
            .collect();
        found.sort_unstable();
        out.extend(found.into_iter().map(|(_, x, xp)| (x, xp)));
        times.f_s = t.elapsed().as_secs_f64();
        *self.last.lock().unwrap_or_else(|e| e.into_inner()) = times;
        Ok(())
    }
}
