//! Deadline: how long after its slot opens a proof may be used, from its score and the chain's
//! difficulty. Integer arithmetic only.
//!
//! `score = floor(L * 2^96 / w)` with `L = -log2(U / 2^256)` and `w = k * 2^k` (the proof
//! crate's `score`). The deadline is `floor(score * difficulty / 2^80)` milliseconds, saturated at
//! `u64::MAX`; that is `(L / w) * difficulty * 2^16` ms. See `docs/protocol.md`, "Deadline".

use masspoc_proof::{FilterBits, ProbeBits, Score};

/// Right shift applied to `score * difficulty`.
pub const DEADLINE_SHIFT: u32 = 80;

/// `min(u64::MAX, floor(score * difficulty / 2^80))`, computed exactly in 192-bit arithmetic.
#[must_use]
pub fn deadline_ms(score: Score, difficulty: u64) -> u64 {
    let s_hi = score.0 >> 64;
    let s_lo = score.0 & u128::from(u64::MAX);
    let d = u128::from(difficulty);
    // score * d = s_hi * d * 2^64 + s_lo * d; dropping the low 64 bits of s_lo * d cannot change
    // the result of a shift by 80 >= 64.
    let Some(x) = (s_hi * d).checked_add((s_lo * d) >> 64) else {
        return u64::MAX;
    };
    u64::try_from(x >> (DEADLINE_SHIFT - 64)).unwrap_or(u64::MAX)
}

/// `ln 2` in Q0.32, rounded: `floor(ln 2 * 2^32 + 1/2)`.
pub const LN2_Q32: u128 = 2_977_044_472;

/// The difficulty that gives a mean interval of `target_ms` for a total plot weight
/// `total_weight` (sum of `k * 2^k`) at `filter_bits` and `probe_bits` (not consensus: a starting
/// point for `initial_difficulty`, and the simulator's).
///
/// With `lambda = 2^(probe_bits - 1 - filter_bits)` proofs per plot per challenge, the best score
/// is close to exponential with rate `lambda * ln2 * W` in units of `2^-96`, so the mean deadline
/// is `target_ms` when `difficulty = target_ms * lambda * ln2 * W / 2^16`.
#[must_use]
pub fn difficulty_for_weight(
    total_weight: u128,
    target_ms: u64,
    filter_bits: FilterBits,
    probe_bits: ProbeBits,
) -> u64 {
    let x = total_weight.saturating_mul(u128::from(target_ms));
    // x * 2^(b - 17 - f), with b <= 16 < 17: always a right shift.
    let x = x >> (17 + filter_bits.get() - probe_bits.get());
    let d = if x >> 96 == 0 {
        (x * LN2_Q32) >> 32
    } else {
        (x >> 32).saturating_mul(LN2_Q32)
    };
    u64::try_from(d).unwrap_or(u64::MAX).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadline_is_the_exact_shifted_product() {
        assert_eq!(deadline_ms(Score(0), u64::MAX), 0);
        assert_eq!(deadline_ms(Score(1 << 80), 7), 7);
        assert_eq!(deadline_ms(Score((1 << 80) - 1), 1), 0);
        assert_eq!(deadline_ms(Score(3 << 79), 2), 3);
        // 2^100 * 2^40 / 2^80 = 2^60, needing more than 128 bits in between.
        assert_eq!(deadline_ms(Score(1 << 100), 1 << 40), 1 << 60);
        assert_eq!(deadline_ms(Score(u128::MAX), u64::MAX), u64::MAX);
        assert_eq!(deadline_ms(Score(1 << 127), 1 << 20), u64::MAX);
    }

    #[test]
    fn difficulty_for_weight_matches_the_formula() {
        // W = 2^40, T = 2^16 ms, f = 0: 2^16 * 2^40 / 2^17 * ln2 = 2^39 * 0.6931...
        let d = difficulty_for_weight(1 << 40, 1 << 16, FilterBits::NONE, ProbeBits::NONE);
        let expected = ((1u128 << 39) * LN2_Q32) >> 32;
        assert_eq!(u128::from(d), expected);
        assert_eq!(
            difficulty_for_weight(1, 1, FilterBits::NONE, ProbeBits::NONE),
            1
        );
        // A window of 2^6 indexes holds 2^5 pairs on average: 64 times the single index's rate.
        let b6 = ProbeBits::new(6).unwrap();
        let d6 = difficulty_for_weight(1 << 40, 1 << 16, FilterBits::NONE, b6);
        assert_eq!(u128::from(d6), ((1u128 << 45) * LN2_Q32) >> 32);
        let f3 = FilterBits::new(3).unwrap();
        let d63 = difficulty_for_weight(1 << 40, 1 << 16, f3, b6);
        assert_eq!(u128::from(d63), ((1u128 << 42) * LN2_Q32) >> 32);
    }
}
