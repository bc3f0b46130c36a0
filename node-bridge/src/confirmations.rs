//! How deep an anchor must be: the attacker catch-up probability of DESIGN.md section 4
//! (Nakamoto, "Bitcoin: A Peer-to-Peer Electronic Cash System", 2008, section 11).
//!
//! `P(q, z) = 1 − Σ_{k=0..z} e^(−λ) λ^k / k! · (1 − (q/p)^(z−k))` with `λ = z·q/p`, `p = 1 − q`:
//! the chance that an attacker with a share `q` of the hash rate ever catches up from `z` blocks
//! behind. Not consensus code: `f64` is fine.

/// The largest depth searched by [`depth_for_risk`].
pub const MAX_DEPTH: u64 = 100_000;

/// The attacker's share of hash rate the bridge assumes by default.
pub const DEFAULT_Q: f64 = 0.1;

/// The risk the bridge accepts by default.
pub const DEFAULT_MAX_RISK: f64 = 0.001;

/// The probability that an attacker with hash share `q` catches up from `z` blocks behind.
/// `q ≥ 0.5` always catches up (1.0); `q ≤ 0` never does (0.0, except 1.0 at `z = 0`).
pub fn catch_up_probability(q: f64, z: u64) -> f64 {
    if z == 0 || q >= 0.5 || q.is_nan() {
        return 1.0;
    }
    if q <= 0.0 {
        return 0.0;
    }
    let p = 1.0 - q;
    let ratio = q / p;
    let lambda = z as f64 * ratio;
    // Poisson terms computed in the log domain so large z neither overflows nor underflows early.
    let mut sum = 1.0;
    let mut log_poisson = -lambda; // ln(e^-λ λ^0 / 0!)
    for k in 0..=z {
        if k > 0 {
            log_poisson += lambda.ln() - (k as f64).ln();
        }
        let poisson = log_poisson.exp();
        sum -= poisson * (1.0 - ratio.powf((z - k) as f64));
    }
    sum.clamp(0.0, 1.0)
}

/// The smallest `z` with `P(q, z) < max_risk`, or `None` when none up to [`MAX_DEPTH`] does
/// (`q ≥ 0.5`, or a risk of zero).
pub fn depth_for_risk(q: f64, max_risk: f64) -> Option<u64> {
    if q.is_nan() || q >= 0.5 || max_risk.is_nan() || max_risk <= 0.0 {
        return None;
    }
    // P falls with z for q < 0.5: exponential search for an upper bound, then bisection.
    let mut hi = 1u64;
    while catch_up_probability(q, hi) >= max_risk {
        hi = hi.checked_mul(2)?;
        if hi > MAX_DEPTH {
            return None;
        }
    }
    let mut lo = hi / 2; // P(lo) >= max_risk, or lo = 0
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if catch_up_probability(q, mid) < max_risk {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(hi)
}

/// The confirmations the bridge waits for by default: the block holding the anchor plus
/// `depth_for_risk(DEFAULT_Q, DEFAULT_MAX_RISK)` blocks on top of it (5 + 1 = 6).
pub fn default_confirmations() -> u64 {
    depth_for_risk(DEFAULT_Q, DEFAULT_MAX_RISK).unwrap_or(5) + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    // Known answers: Nakamoto (2008), section 11, the printed tables (7 decimals).
    const Q01: [(u64, f64); 11] = [
        (0, 1.0000000),
        (1, 0.2045873),
        (2, 0.0509779),
        (3, 0.0131722),
        (4, 0.0034552),
        (5, 0.0009137),
        (6, 0.0002428),
        (7, 0.0000647),
        (8, 0.0000173),
        (9, 0.0000046),
        (10, 0.0000012),
    ];
    const Q03: [(u64, f64); 11] = [
        (0, 1.0000000),
        (5, 0.1773523),
        (10, 0.0416605),
        (15, 0.0101008),
        (20, 0.0024804),
        (25, 0.0006132),
        (30, 0.0001522),
        (35, 0.0000379),
        (40, 0.0000095),
        (45, 0.0000024),
        (50, 0.0000006),
    ];
    const DEPTHS: [(f64, u64); 8] = [
        (0.10, 5),
        (0.15, 8),
        (0.20, 11),
        (0.25, 15),
        (0.30, 24),
        (0.35, 41),
        (0.40, 89),
        (0.45, 340),
    ];

    #[test]
    fn matches_whitepaper_tables() {
        for (q, table) in [(0.1, &Q01), (0.3, &Q03)] {
            for &(z, want) in table.iter() {
                let got = catch_up_probability(q, z);
                assert!((got - want).abs() < 5e-8, "q={q} z={z}: {got} vs {want}");
            }
        }
    }

    #[test]
    fn matches_whitepaper_depths() {
        for (q, z) in DEPTHS {
            assert_eq!(depth_for_risk(q, 0.001), Some(z), "q={q}");
        }
        assert_eq!(default_confirmations(), 6);
        assert_eq!(depth_for_risk(0.5, 0.001), None);
        assert_eq!(depth_for_risk(0.1, 0.0), None);
    }
}
