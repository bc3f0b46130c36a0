//! The forge cost model: how much space one core can fake by recomputing plots instead of
//! storing them, as a pure integer function of a chain's `min_k`, `filter_bits` and target
//! interval (`docs/protocol.md`, "What faking space costs"). No timing happens here: the
//! constants below were measured by `masspoc bench forge` and are rounded in the attacker's
//! favour, so the bridge can judge a parameter file without running anything.
//!
//! A faker who keeps only a plot's identity must, for each challenge its plot passes the filter
//! for, compute all `2^k` P values, match them into the `≈ 2^(k−1)` pairs and compute every pair's
//! F (no pair's F can be known without hashing it) before it knows which pairs lie in the window.
//! One core that spends a whole target interval `T` doing this keeps `N = T · 2^f / C(k)` fake
//! plots of parameter `k` answering (each passes 1 in `2^f` challenges), where `C(k)` is the
//! one-core recomputation time; it must answer within about one interval, so `C(k) ≤ T`.

use crate::types::K;

/// Picoseconds one core needs per `x` for P: 8 bytes of the keyed BLAKE3 output stream (one
/// 64-byte block serves eight x). Measured: `p_s` of `masspoc bench forge` times its threads over
/// `2^k`; rounded down (attacker-favourable) from the ~1.5–3 ns per x of `docs/plot-format.md`.
pub const P_PS_PER_X: u64 = 1_000;

/// Picoseconds one core needs per `x` to match P values into pairs (a counting sort by value:
/// about one pass of memory traffic per x). Rounded far down: the forger of `bench forge` sorts
/// and is slower; a dedicated one could approach a single radix pass.
pub const MATCH_PS_PER_X: u64 = 1_000;

/// Picoseconds one core needs per pair for F: one BLAKE3 compression of a 64-byte block, hashed
/// side by side in SIMD lanes (`f_many`). Measured: `f_s` of `bench forge` times threads over the
/// pairs; an AVX-512 core does about 8–10 ns, so 8 ns is the attacker's figure.
pub const F_PS_PER_PAIR: u64 = 8_000;

/// Picoseconds per millisecond.
const PS_PER_MS: u128 = 1_000_000_000;

/// One core's time to recompute a plot of parameter `k` and answer one challenge, in
/// picoseconds: `2^k · (P + matching) + 2^(k−1) · F` (the window's few quality hashes are
/// negligible beside them).
#[must_use]
pub fn forge_ps(k: K) -> u128 {
    let n = u128::from(k.domain());
    n * u128::from(P_PS_PER_X + MATCH_PS_PER_X) + (n / 2) * u128::from(F_PS_PER_PAIR)
}

/// The bytes an honest plot of parameter `k` stores: `2^(k−1)` pairs of `2k + 6` bits
/// (`docs/plot-format.md`, "Size per k"; `masspoc_plot::expected_plot_len` within a fraction of a
/// percent).
#[must_use]
pub fn stored_plot_bytes(k: K) -> u128 {
    (u128::from(k.half()) * (2 * u128::from(k.get()) + 6)) / 8
}

/// What one core can fake at some chain parameters: bytes of honest plots it keeps answering by
/// recomputation, per target interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FakeCapacity {
    /// The plot size parameter the faker picks (the most bytes per core among `k ≥ min_k` whose
    /// recomputation fits in one interval; `min_k` when none does).
    pub k: K,
    /// Fake bytes one core keeps answering: `T · 2^f · stored_plot_bytes(k) / forge_ps(k)`.
    pub bytes: u128,
    /// The same at `min_k` (the figure `docs/protocol.md` quotes first).
    pub bytes_at_min_k: u128,
}

/// `floor(T · 2^f · stored_plot_bytes(k) / forge_ps(k))` for one `k` (saturating; the plot count
/// `T · 2^f / forge_ps(k)` is not rounded: a core can share its time between plots).
fn fake_bytes(k: K, filter_bits: u32, target_interval_ms: u64) -> u128 {
    let t_ps = (u128::from(target_interval_ms) * PS_PER_MS) << filter_bits.min(32);
    let (bytes, cost) = (stored_plot_bytes(k), forge_ps(k));
    t_ps.checked_mul(bytes)
        .map_or_else(|| (t_ps / cost).saturating_mul(bytes), |x| x / cost)
}

/// The space one core fakes per target interval at a chain's `min_k`, `filter_bits` (at most 32)
/// and `target_interval_ms`, by the constants above. Stored bytes per recomputation time grow
/// slowly with `k` (`k` bits per pair against a cost per pair independent of `k`), so the faker
/// picks the largest `k` whose recomputation still fits in one interval.
#[must_use]
pub fn fake_capacity(min_k: K, filter_bits: u32, target_interval_ms: u64) -> FakeCapacity {
    let t_ps = u128::from(target_interval_ms) * PS_PER_MS;
    let at_min = fake_bytes(min_k, filter_bits, target_interval_ms);
    let mut best = (min_k, at_min);
    for k in min_k.get()..=K::MAX {
        let k = K::new(k).expect("k in range");
        let bytes = fake_bytes(k, filter_bits, target_interval_ms);
        if forge_ps(k) <= t_ps && bytes > best.1 {
            best = (k, bytes);
        }
    }
    FakeCapacity {
        k: best.0,
        bytes: best.1,
        bytes_at_min_k: at_min,
    }
}

/// `bytes` in MiB (2^20 bytes), rounded down: the unit the bridge's limit is written in.
#[must_use]
pub fn mib(bytes: u128) -> u128 {
    bytes >> 20
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(v: u8) -> K {
        K::new(v).unwrap()
    }

    #[test]
    fn forge_time_is_the_sum_of_the_stages() {
        // k = 16: 65,536 · 2 ns + 32,768 · 8 ns = 393,216 ns.
        assert_eq!(forge_ps(k(16)), 393_216_000);
        assert_eq!(forge_ps(k(17)), 2 * forge_ps(k(16)));
        // 2^15 pairs of 38 bits.
        assert_eq!(stored_plot_bytes(k(16)), 155_648);
    }

    #[test]
    fn fake_capacity_follows_the_formula() {
        // T = 10 s, f = 0, min_k = 16. At k = 16: 10^13 · 155,648 / 393,216,000 =
        // 3,958,333,333.3 bytes (25,431.3 plots). The faker does better with the largest k whose
        // recomputation fits: k = 30 (2^30 · 6 ns = 6.44 s; k = 31 needs 12.9 s), plots of
        // 2^29 · 66 / 8 = 4,429,185,024 bytes: 10^13 · 4,429,185,024 / 6,442,450,944,000 =
        // 6,875,000,000 bytes (6.40 GiB).
        let c = fake_capacity(k(16), 0, 10_000);
        assert_eq!(c.bytes_at_min_k, 3_958_333_333);
        assert_eq!((c.k, c.bytes), (k(30), 6_875_000_000));
        // A filter of f bits multiplies it by 2^f.
        let f8 = fake_capacity(k(16), 8, 10_000);
        assert_eq!(f8.bytes_at_min_k, 1_013_333_333_333);
        // T = 1 s: k = 27 (0.81 s) with 2^26 · 60 / 8 = 503,316,480-byte plots:
        // 10^12 · 503,316,480 / 805,306,368,000 = 625,000,000 bytes (0.58 GiB).
        let short = fake_capacity(k(16), 0, 1_000);
        assert_eq!((short.k, short.bytes), (k(27), 625_000_000));
        // min_k above what fits in one interval: the faker is left with min_k (answering in time
        // on several cores); the rate per core hardly changes.
        let big = fake_capacity(k(36), 0, 1_000);
        assert_eq!((big.k, big.bytes), (k(36), 812_500_000));
        assert_eq!(mib(3 << 20), 3);
        // The recommended production parameters (docs/protocol.md): min_k = 28, T = 1 s. k = 28
        // needs 1.61 s, so the faker is left with min_k: 10^12 · 1,040,187,392 / 1.610612736·10^12.
        let prod = fake_capacity(k(28), 0, 1_000);
        assert_eq!((prod.k, prod.bytes), (k(28), 645_833_333));
        // No overflow at the extremes.
        assert!(fake_capacity(k(16), 32, u64::MAX).bytes > 0);
    }
}
