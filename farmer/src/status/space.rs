//! The farmer's share of a chain and its expected time to win, in integer arithmetic (not
//! consensus code: estimates for the status page).
//!
//! A chain of total weight `W` retargets towards `difficulty = T · λ · ln2 · W / 2^16` with
//! `λ = 2^(probe_bits − 1 − filter_bits)` (`docs/protocol.md` §6,
//! `masspoc_verifier::difficulty_for_weight`), so its weight is estimated from the difficulty as
//! `W = difficulty · 2^(17 + filter_bits − probe_bits) · 2^32 / (T · LN2_Q32)`. A farmer of weight
//! `w` wins a share `w / W` of the blocks, one every `T · W / w` on average.

use masspoc_verifier::deadline::LN2_Q32;

/// The total weight of a chain whose next difficulty is `difficulty` (saturating).
#[must_use]
pub fn network_weight(difficulty: u64, target_ms: u64, filter_bits: u32, probe_bits: u32) -> u128 {
    let shift = (17 + filter_bits).saturating_sub(probe_bits).min(60);
    let num = u128::from(difficulty) << shift;
    let den = u128::from(target_ms.max(1)) * LN2_Q32;
    if num >> 96 == 0 {
        (num << 32) / den
    } else {
        let q = num / den;
        if q >> 96 == 0 {
            q << 32
        } else {
            u128::MAX
        }
    }
}

/// `ours / network` in parts per million (saturating; `None` when the network weight is 0).
#[must_use]
pub fn share_ppm(ours: u128, network: u128) -> Option<u64> {
    if network == 0 {
        return None;
    }
    let ppm = ours.saturating_mul(1_000_000) / network;
    Some(u64::try_from(ppm).unwrap_or(u64::MAX))
}

/// The mean time between wins of weight `ours` on a chain of weight `network` and target
/// interval `target_ms`: `target_ms · network / ours` (`None` without weight; saturating).
#[must_use]
pub fn expected_win_ms(ours: u128, network: u128, target_ms: u64) -> Option<u64> {
    if ours == 0 {
        return None;
    }
    let ms = u128::from(target_ms).saturating_mul(network.max(ours)) / ours;
    Some(u64::try_from(ms).unwrap_or(u64::MAX))
}

/// The weight of a harvester's plots estimated from their bytes: a plot of size `k` holds about
/// `2^(k−1)` pairs of `2k` bits, `k · 2^(k−3)` bytes, for a weight of `k · 2^k`: 8 per byte.
#[must_use]
pub fn weight_of_bytes(bytes: u64) -> u128 {
    u128::from(bytes) * 8
}

#[cfg(test)]
mod tests {
    use super::*;
    use masspoc_proof::{FilterBits, ProbeBits};
    use masspoc_verifier::difficulty_for_weight;

    #[test]
    fn the_difficulty_of_a_weight_gives_that_weight_back() {
        // Worked by hand: difficulty LN2_Q32, T = 1 ms, f = b = 0 -> W = 2^32 · 2^17 = 2^49.
        assert_eq!(network_weight(LN2_Q32 as u64, 1, 0, 0), 1 << 49);
        // 100 plots of k = 20 (weight 20 · 2^20 each) at T = 20 s, f = 4, b = 6.
        let w: u128 = 100 * 20 * (1 << 20);
        let d = difficulty_for_weight(
            w,
            20_000,
            FilterBits::new(4).unwrap(),
            ProbeBits::new(6).unwrap(),
        );
        let back = network_weight(d, 20_000, 4, 6);
        assert!(back.abs_diff(w) * 1000 < w, "{back} vs {w}");
        // 2^64 · 2^49 · 2^32 / LN2_Q32 = 2^113 / ln 2, without overflow.
        assert!(network_weight(u64::MAX, 1, 32, 0) > 1 << 113);
    }

    #[test]
    fn share_and_expected_time() {
        assert_eq!(share_ppm(1, 4), Some(250_000));
        assert_eq!(share_ppm(1, 0), None);
        assert_eq!(expected_win_ms(1, 4, 20_000), Some(80_000));
        assert_eq!(expected_win_ms(0, 4, 20_000), None);
        // A farmer alone (its weight above the estimate) wins every block on average.
        assert_eq!(expected_win_ms(10, 4, 20_000), Some(20_000));
        assert_eq!(weight_of_bytes(1 << 20), 8 << 20);
    }
}
