//! The status history: a ring of fixed capacity, one point per sample interval (default 10 s,
//! 8,640 points = 24 h), holding the round lookup latency p50/p99 and each chain's proofs,
//! signed and accepted headers of the interval. Its memory is allocated when it is made and
//! never grows.

use super::model::{ChainHistory, History};

/// Points kept: 24 h at the default 10 s interval.
pub const HISTORY_POINTS: usize = 8640;

/// One interval's counts of one chain.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChainCounts {
    /// Proofs found.
    pub proofs: u32,
    /// Headers signed.
    pub signed: u32,
    /// Headers accepted.
    pub accepted: u32,
    /// Rounds over the lookup budget.
    pub over_budget: u32,
}

/// A ring of history points over a fixed set of chains.
#[derive(Debug)]
pub struct HistoryRing {
    interval_ms: u64,
    labels: Vec<String>,
    capacity: usize,
    /// Index of the next write.
    next: usize,
    len: usize,
    t_ms: Vec<u64>,
    p50_us: Vec<Option<u64>>,
    p99_us: Vec<Option<u64>>,
    /// `capacity` entries per chain, chain after chain.
    counts: Vec<ChainCounts>,
}

impl HistoryRing {
    /// An empty ring of `capacity` points (at least 1) for `labels`' chains.
    #[must_use]
    pub fn new(interval_ms: u64, labels: Vec<String>, capacity: usize) -> Self {
        let capacity = capacity.max(1);
        HistoryRing {
            interval_ms,
            capacity,
            next: 0,
            len: 0,
            t_ms: vec![0; capacity],
            p50_us: vec![None; capacity],
            p99_us: vec![None; capacity],
            counts: vec![ChainCounts::default(); capacity * labels.len()],
            labels,
        }
    }

    /// Adds a point, dropping the oldest when full. `chains` has one entry per chain (missing
    /// ones count zero, extra ones are ignored).
    pub fn push(&mut self, t_ms: u64, latency: Option<(u64, u64)>, chains: &[ChainCounts]) {
        let i = self.next;
        self.t_ms[i] = t_ms;
        self.p50_us[i] = latency.map(|l| l.0);
        self.p99_us[i] = latency.map(|l| l.1);
        for c in 0..self.labels.len() {
            self.counts[c * self.capacity + i] = chains.get(c).copied().unwrap_or_default();
        }
        self.next = (i + 1) % self.capacity;
        self.len = (self.len + 1).min(self.capacity);
    }

    /// Ring indexes of the points, oldest first.
    fn order(&self) -> impl Iterator<Item = usize> + '_ {
        let start = (self.next + self.capacity - self.len) % self.capacity;
        (0..self.len).map(move |j| (start + j) % self.capacity)
    }

    /// Sums of each chain's counts over the points later than `since_ms`.
    #[must_use]
    pub fn sums_since(&self, since_ms: u64) -> Vec<[u64; 4]> {
        let mut out = vec![[0u64; 4]; self.labels.len()];
        for i in self.order().filter(|&i| self.t_ms[i] > since_ms) {
            for (c, sum) in out.iter_mut().enumerate() {
                let x = self.counts[c * self.capacity + i];
                for (s, v) in sum
                    .iter_mut()
                    .zip([x.proofs, x.signed, x.accepted, x.over_budget])
                {
                    *s += u64::from(v);
                }
            }
        }
        out
    }

    /// The time of the oldest point, if any.
    #[must_use]
    pub fn oldest_ms(&self) -> Option<u64> {
        self.order().next().map(|i| self.t_ms[i])
    }

    /// The columns of the points later than `after_ms`, oldest first.
    #[must_use]
    pub fn columns(&self, after_ms: u64) -> History {
        let idx: Vec<usize> = self.order().filter(|&i| self.t_ms[i] > after_ms).collect();
        History {
            interval_ms: self.interval_ms,
            t_ms: idx.iter().map(|&i| self.t_ms[i]).collect(),
            p50_us: idx.iter().map(|&i| self.p50_us[i]).collect(),
            p99_us: idx.iter().map(|&i| self.p99_us[i]).collect(),
            chains: self
                .labels
                .iter()
                .enumerate()
                .map(|(c, label)| {
                    let col = |f: fn(&ChainCounts) -> u32| {
                        idx.iter()
                            .map(|&i| f(&self.counts[c * self.capacity + i]))
                            .collect()
                    };
                    ChainHistory {
                        label: label.clone(),
                        proofs: col(|x| x.proofs),
                        signed: col(|x| x.signed),
                        accepted: col(|x| x.accepted),
                    }
                })
                .collect(),
        }
    }
}

/// The p50 and p99 of `v` (nearest rank, rounding the rank up), `None` when empty.
#[must_use]
pub fn p50_p99(mut v: Vec<u64>) -> Option<(u64, u64)> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    let at = |q: usize| v[((v.len() - 1) * q).div_ceil(100)];
    Some((at(50), at(99)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(p: u32) -> ChainCounts {
        ChainCounts {
            proofs: p,
            signed: 1,
            accepted: 0,
            over_budget: 2,
        }
    }

    #[test]
    fn keeps_the_newest_points_in_order_with_fixed_memory() {
        let mut r = HistoryRing::new(10, vec!["a".into(), "b".into()], 3);
        let before = (r.t_ms.capacity(), r.counts.capacity());
        for t in 1..=5u64 {
            r.push(t * 10, Some((t, t * 2)), &[counts(t as u32)]);
        }
        assert_eq!((r.t_ms.capacity(), r.counts.capacity()), before);
        let h = r.columns(0);
        assert_eq!(h.t_ms, [30, 40, 50]);
        assert_eq!(h.p99_us, [Some(6), Some(8), Some(10)]);
        assert_eq!(h.chains[0].proofs, [3, 4, 5]);
        assert_eq!(h.chains[1].proofs, [0, 0, 0], "a missing chain counts zero");
        assert_eq!(r.columns(40).t_ms, [50]);
        assert_eq!(r.oldest_ms(), Some(30));
        assert_eq!(r.sums_since(30)[0], [9, 2, 0, 4]);
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        assert_eq!(p50_p99(vec![]), None);
        assert_eq!(p50_p99(vec![7]), Some((7, 7)));
        // 1..=100: rank ceil(99 * 0.5) = 50 -> 51, rank ceil(99 * 0.99) = 99 -> 100.
        assert_eq!(p50_p99((1..=100).rev().collect()), Some((51, 100)));
    }
}
