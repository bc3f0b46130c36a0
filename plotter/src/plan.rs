//! How a plot is cut into rounds so that peak memory stays within the `--memory` bound.

use masspoc_proof::K;
use serde::Serialize;

/// Fixed overhead allowed for buffers, tables and the program itself.
pub const OVERHEAD: u64 = 96 << 20;

/// At most `2^MAX_ROUNDS_LOG2` rounds: every round computes all `2^k` P values again, so more
/// rounds cost more than they save. A bound too small for this many rounds is exceeded.
pub const MAX_ROUNDS_LOG2: u32 = 8;

/// The plan of one plot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// log2 of the number of matching rounds.
    pub rounds_log2: u32,
    /// Whether round outputs go to run files in `--tmp` (otherwise they stay in memory).
    pub runs_on_disk: bool,
    /// With run files: how many of the last rounds keep their output in memory instead (it is
    /// read straight from memory by the writing phase, and recomputed if a run is resumed).
    pub memory_rounds: u32,
}

impl Plan {
    /// Number of rounds.
    #[must_use]
    pub fn rounds(&self) -> u64 {
        1 << self.rounds_log2
    }

    /// Whether round `r` writes a run file.
    #[must_use]
    pub fn spills(&self, r: u64) -> bool {
        self.runs_on_disk && r + u64::from(self.memory_rounds) < self.rounds()
    }
}

/// Bytes of all records of a plot (16 per pair, 5% margin).
#[must_use]
pub fn records_bytes(k: K) -> u64 {
    k.half() * 16 * 21 / 20
}

/// Peak bytes of one round when there are `2^rounds_log2` rounds: the round's P items (8 bytes
/// per x kept) together with its pairs, then its pairs twice while they are partitioned.
#[must_use]
pub fn round_peak(k: K, rounds_log2: u32) -> u64 {
    (k.domain() * 8 * 21 / 20 + records_bytes(k)) >> rounds_log2
}

/// Chooses the plan for `k` under a memory bound of `memory` bytes.
#[must_use]
pub fn plan(k: K, memory: u64) -> Plan {
    let budget = memory.saturating_sub(OVERHEAD);
    let max_log2 = (u32::from(k.get()) - 2).min(MAX_ROUNDS_LOG2);
    for r in 0..=3.min(max_log2) {
        if records_bytes(k) + round_peak(k, r) <= budget {
            return Plan {
                rounds_log2: r,
                runs_on_disk: false,
                memory_rounds: 1 << r,
            };
        }
    }
    let r = (0..=max_log2)
        .find(|&r| round_peak(k, r) <= budget)
        .unwrap_or(max_log2);
    Plan {
        rounds_log2: r,
        runs_on_disk: true,
        memory_rounds: memory_rounds(k, r, budget),
    }
}

/// How many of the last rounds can keep their output in memory: while the last one runs, the
/// outputs of the others are held beside its own peak.
#[must_use]
pub fn memory_rounds(k: K, rounds_log2: u32, budget: u64) -> u32 {
    let peak = round_peak(k, rounds_log2);
    let held = records_bytes(k) >> rounds_log2;
    let mut m = 0u32;
    while u64::from(m) < (1u64 << rounds_log2) - 1 && peak + u64::from(m) * held <= budget {
        m += 1;
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(v: u8) -> K {
        K::new(v).unwrap()
    }

    #[test]
    fn k28_in_one_gib_spills_six_rounds_of_eight() {
        let p = plan(k(28), 1 << 30);
        assert_eq!(p.rounds(), 8);
        assert!(p.runs_on_disk);
        assert_eq!(p.memory_rounds, 2);
        assert!(p.spills(5) && !p.spills(6) && !p.spills(7));
        // Peak: one round plus the held outputs stays within the bound.
        let held = u64::from(p.memory_rounds - 1) * (records_bytes(k(28)) >> 3);
        assert!(OVERHEAD + round_peak(k(28), 3) + held <= 1 << 30);
    }

    #[test]
    fn generous_bounds_keep_everything_in_memory() {
        let p = plan(k(24), 16 << 30);
        assert_eq!((p.rounds(), p.runs_on_disk), (1, false));
        assert!(!p.spills(0));
    }

    #[test]
    fn tiny_bounds_still_spill_at_least_one_round() {
        let p = plan(k(20), OVERHEAD + (600 << 10));
        assert!(p.runs_on_disk && p.rounds() > 1);
        assert!(u64::from(p.memory_rounds) < p.rounds());
        assert!(p.spills(0));
    }
}
