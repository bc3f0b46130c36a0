//! How a plot is cut into rounds so that peak memory stays within the `--memory` bound.

use masspoc_proof::K;
use serde::{Deserialize, Serialize};

/// Fixed overhead allowed for buffers, tables and the program itself.
pub const OVERHEAD: u64 = 96 << 20;

/// At most `2^MAX_ROUNDS_LOG2` rounds for k ≤ 32: every round computes all `2^k` P values again,
/// so more rounds cost more than they save. A bound too small for this many rounds is exceeded.
pub const MAX_ROUNDS_LOG2: u32 = 8;

/// The most rounds (log2) a plot of parameter `k` may be cut into: [`MAX_ROUNDS_LOG2`] up to
/// k = 32, then `k - 24` (k = 40 in 1 GiB needs 2^15 rounds: each one still computes all 2^40 P
/// values, so such plots are planned within their memory bound but take very long).
#[must_use]
pub fn max_rounds_log2(k: K) -> u32 {
    MAX_ROUNDS_LOG2.max(u32::from(k.get()).saturating_sub(24))
}

/// Superblocks per bin (log2): run files and round outputs index their records per bin of
/// superblocks so that an index entry covers 64 pairs or more per round. 0 (a bin is a
/// superblock) whenever there are at most 2^9 rounds, so for every k ≤ 32.
#[must_use]
pub fn bin_bits(k: K, rounds_log2: u32) -> u32 {
    rounds_log2
        .saturating_sub(9)
        .min(u32::from(k.get()) - masspoc_plot::format::SUPERBLOCK_BITS)
}

/// Whether a round's P items (`c_local << (k+1) | side << k | x`, 2k - rounds_log2 bits) need
/// 128 bits rather than 64.
#[must_use]
pub fn wide_items(k: K, rounds_log2: u32) -> bool {
    2 * u32::from(k.get()) - rounds_log2.min(2 * u32::from(k.get())) > 64
}

/// Bytes per P item of a round.
#[must_use]
pub fn item_bytes(k: K, rounds_log2: u32) -> u64 {
    if wide_items(k, rounds_log2) {
        16
    } else {
        8
    }
}

/// Number of x-chunks of a round's P pass: 8 per thread, and at least one per 2^22 x the round
/// keeps (so a chunk's scratch stays near 32 MB). A power of two for k ≥ 25 and up to 32 threads.
#[must_use]
pub fn chunk_count(k: K, rounds_log2: u32, threads: u64) -> u64 {
    let bits = 22 + rounds_log2.saturating_sub(3);
    (threads * 8)
        .max(k.domain() >> bits.min(u32::from(k.get())))
        .clamp(1, k.domain() >> 14)
}

/// Number of sub-buckets of a round (2^15 values of c each, or fewer when the round is small).
#[must_use]
pub fn sub_count(k: K, rounds_log2: u32) -> u64 {
    let span_bits = u32::from(k.get()) - 1 - rounds_log2;
    1 << span_bits.saturating_sub(15)
}

/// Number of groups of sub-buckets (parts) of a round: 8 per thread, and at least one per 2^21
/// pairs (so a group's scratch stays near 32 MB); but few enough that a part averages 4 pairs
/// or more per bin (its bin offsets stay small beside its records) and at most one per
/// sub-bucket.
#[must_use]
pub fn group_count(k: K, rounds_log2: u32, threads: u64) -> u64 {
    let pairs = k.half() >> rounds_log2;
    let bins = masspoc_plot::format::superblock_count(k) >> bin_bits(k, rounds_log2);
    (threads * 8)
        .max(pairs >> 21)
        .min(sub_count(k, rounds_log2))
        .min((pairs / (4 * bins)).max(1))
}

/// Bytes of a round's indexes: every chunk's sub-bucket offsets (u32) and every part's bin
/// offsets (u64), counted for 16 threads.
#[must_use]
pub fn index_bytes(k: K, rounds_log2: u32) -> u64 {
    let bins = masspoc_plot::format::superblock_count(k) >> bin_bits(k, rounds_log2);
    chunk_count(k, rounds_log2, 16) * (sub_count(k, rounds_log2) + 1) * 4
        + group_count(k, rounds_log2, 16) * (bins + 1) * 8
}

/// The plan of one plot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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

/// Peak bytes of one round when there are `2^rounds_log2` rounds: the round's P items (8 or 16
/// bytes per x kept) together with its pairs (16 bytes each) and its indexes.
#[must_use]
pub fn round_peak(k: K, rounds_log2: u32) -> u64 {
    ((k.domain() * item_bytes(k, rounds_log2) * 21 / 20 + records_bytes(k)) >> rounds_log2)
        + index_bytes(k, rounds_log2)
}

/// The fewest rounds (log2) of a plan that keeps everything in memory: 1 up to k = 25, 2 for
/// k = 26–27, 4 from k = 28. More rounds compute P again each round but reuse their buffers, so
/// fewer fresh pages are faulted in. Measured with `masspoc bench plot --k K --memory M --json`
/// on a quiet 2-vCPU VM (docs/plot-format.md): k = 28 took 8.2–9.6 s in 1 round (system time
/// 44–64% of user), 7.9–8.1 s in 2, 7.2–7.8 s in 4 (18–20%), 9.5–9.7 s in 8; k = 26 took
/// 1.9–2.0 s in 1, 1.8–1.9 s in 2, 2.4–2.5 s in 4.
#[must_use]
pub fn in_memory_rounds_log2(k: K) -> u32 {
    (u32::from(k.get()).saturating_sub(24) / 2).min(2)
}

/// Chooses the plan for `k` under a memory bound of `memory` bytes.
#[must_use]
pub fn plan(k: K, memory: u64) -> Plan {
    let budget = memory.saturating_sub(OVERHEAD);
    let max_log2 = (u32::from(k.get()) - 2).min(max_rounds_log2(k));
    for r in in_memory_rounds_log2(k).min(max_log2)..=3.min(max_log2) {
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
    fn large_plots_in_memory_take_a_few_rounds() {
        let p = plan(k(28), 16 << 30);
        assert_eq!((p.rounds(), p.runs_on_disk, p.memory_rounds), (4, false, 4));
        assert_eq!(plan(k(26), 16 << 30).rounds(), 2);
        assert_eq!(plan(k(25), 16 << 30).rounds(), 1);
        assert_eq!(plan(k(32), 64 << 30).rounds(), 4);
    }

    #[test]
    fn generous_bounds_keep_everything_in_memory() {
        let p = plan(k(24), 16 << 30);
        assert_eq!((p.rounds(), p.runs_on_disk), (1, false));
        assert!(!p.spills(0));
    }

    #[test]
    fn k33_to_40_are_planned_within_the_bound() {
        for kk in 33..=40u8 {
            for memory in [1u64 << 30, 4 << 30, 16 << 30, 64 << 30] {
                let p = plan(k(kk), memory);
                let peak = OVERHEAD
                    + round_peak(k(kk), p.rounds_log2)
                    + u64::from(p.memory_rounds.saturating_sub(1))
                        * (records_bytes(k(kk)) >> p.rounds_log2);
                assert!(peak <= memory, "k={kk} memory={memory} {p:?} peak={peak}");
                assert!(p.runs_on_disk, "k={kk} memory={memory}");
                assert!(p.rounds_log2 <= max_rounds_log2(k(kk)));
            }
        }
        // k = 40 in 1 GiB: 2^15 rounds, bins of 2^6 superblocks, 128-bit items.
        let p = plan(k(40), 1 << 30);
        assert_eq!(p.rounds_log2, 15);
        assert_eq!(bin_bits(k(40), 15), 6);
        assert!(wide_items(k(40), 15) && !wide_items(k(40), 16));
    }

    #[test]
    fn k32_and_below_keep_superblock_bins_and_narrow_items() {
        for kk in 16..=32u8 {
            for r in 0..=MAX_ROUNDS_LOG2.min(u32::from(kk) - 2) {
                assert_eq!(bin_bits(k(kk), r), 0);
                assert!(!wide_items(k(kk), r));
            }
        }
    }

    #[test]
    fn tiny_bounds_still_spill_at_least_one_round() {
        let p = plan(k(20), OVERHEAD + (600 << 10));
        assert!(p.runs_on_disk && p.rounds() > 1);
        assert!(u64::from(p.memory_rounds) < p.rounds());
        assert!(p.spills(0));
    }
}
