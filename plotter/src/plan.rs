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
            };
        }
    }
    let r = (0..=max_log2)
        .find(|&r| round_peak(k, r) <= budget)
        .unwrap_or(max_log2);
    Plan {
        rounds_log2: r,
        runs_on_disk: true,
    }
}
