//! Difficulty retarget: a moving window over the last `n = min(window, parent height)` blocks.
//!
//! `next = sum(difficulty of the n blocks) * target / clamp(span, n*target/4, 4*n*target)`,
//! where `span` is the parent's timestamp minus the timestamp of the block `n` below it; with
//! `n = 0` (the parent is genesis) the next difficulty is the chain's initial difficulty. The
//! result is clamped to `[1, u64::MAX]`. See `docs/protocol.md`, "Difficulty".

use crate::params::ChainParams;

/// What the retarget rule reads from the parent's ancestry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetargetWindow {
    /// Number of blocks in the window, `min(retarget_window, parent height)`.
    pub blocks: u64,
    /// Sum of their difficulties.
    pub sum_difficulty: u128,
    /// Timestamp of the block `blocks` below the parent (genesis time if that is genesis).
    pub start_ms: u64,
    /// The parent's timestamp.
    pub end_ms: u64,
}

/// The difficulty a child of the window's last block must carry.
#[must_use]
pub fn next_difficulty(params: &ChainParams, w: &RetargetWindow) -> u64 {
    if w.blocks == 0 {
        return params.initial_difficulty;
    }
    let target = u128::from(params.target_interval_ms);
    let expected = u128::from(w.blocks) * target;
    let lo = (expected / 4).max(1);
    let hi = expected.saturating_mul(4);
    let span = u128::from(w.end_ms.saturating_sub(w.start_ms)).clamp(lo, hi);
    // sum < 2^64 * 10^4 < 2^78 and target < 2^64: the product may exceed 128 bits only for absurd
    // targets, so divide first in that case.
    let next = match w.sum_difficulty.checked_mul(target) {
        Some(p) => p / span,
        None => w.sum_difficulty / span * target,
    };
    u64::try_from(next).unwrap_or(u64::MAX).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Beacon;

    fn params() -> ChainParams {
        ChainParams {
            name: "t".into(),
            beacon: Beacon([0; 32]),
            genesis_time_ms: 0,
            target_interval_ms: 1000,
            slot_ms: 6000,
            filter_bits: masspoc_proof::FilterBits::NONE,
            min_k: 16,
            initial_difficulty: 500,
            retarget_window: 10,
            max_future_drift_ms: 15_000,
            probe_bits: masspoc_proof::ProbeBits::NONE,
            anchor_confirmations: crate::params::DEFAULT_ANCHOR_CONFIRMATIONS,
            finality_window: crate::params::DEFAULT_FINALITY_WINDOW,
            finality_depth: crate::params::DEFAULT_FINALITY_DEPTH,
        }
    }

    fn window(blocks: u64, d: u128, span: u64) -> RetargetWindow {
        RetargetWindow {
            blocks,
            sum_difficulty: d * u128::from(blocks),
            start_ms: 100,
            end_ms: 100 + span,
        }
    }

    #[test]
    fn on_target_keeps_difficulty() {
        assert_eq!(next_difficulty(&params(), &window(10, 700, 10_000)), 700);
        assert_eq!(next_difficulty(&params(), &window(0, 700, 0)), 500);
    }

    #[test]
    fn slow_blocks_lower_and_fast_blocks_raise_it() {
        assert_eq!(next_difficulty(&params(), &window(10, 700, 20_000)), 350);
        assert_eq!(next_difficulty(&params(), &window(10, 700, 5_000)), 1400);
    }

    #[test]
    fn clamped_to_four_times() {
        assert_eq!(next_difficulty(&params(), &window(10, 700, 1)), 2800);
        assert_eq!(
            next_difficulty(&params(), &window(10, 700, 10_000_000)),
            175
        );
        assert_eq!(next_difficulty(&params(), &window(1, 1, 10_000_000)), 1);
    }
}
