//! Weight and score, integer arithmetic only.
//!
//! A plot of parameter `k` weighs `w = k * 2^k`. A proof's score is `-log2(U / 2^256) / w` in
//! fixed point; `-ln(U / 2^256)` is exponentially distributed with rate 1 for a uniform U, and
//! `-log2` differs from it by the constant factor `1 / ln 2`, so the lowest score across farmers
//! is an exponential race in which the chance of winning is proportional to weight.
//! See `docs/proof.md` ("Score") for the exact algorithm.

use crate::quality::Quality;
use crate::types::K;

/// A proof's score: `floor(neg_log2_q32(U) * 2^64 / w)`, lower wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Score(pub u128);

/// The weight `k * 2^k` of a plot.
#[must_use]
pub fn weight(k: K) -> u64 {
    u64::from(k.get()) << k.get()
}

/// `-log2(U / 2^256)` in Q32.32 fixed point, for U the quality hash read big-endian.
///
/// Algorithm (exact, integer-only): let `U' = max(U, 1)` and `n` its bit length. The integer part
/// of `log2 U'` is `n - 1`. The mantissa `m` is the top 64 bits of `U'` with its leading one at
/// bit 63 (truncating lower bits, or shifting left when `n < 64`). Then 32 times: `m = m^2 >> 63`
/// (in 128-bit arithmetic); if `m >= 2^64`, append a 1 bit and set `m = m >> 1`, else append a 0.
/// The result is `(256 << 32) - (((n - 1) << 32) | fraction_bits)`, which is at least 1.
#[must_use]
pub fn neg_log2_q32(u: &Quality) -> u64 {
    let bytes = &u.0;
    let Some(first) = bytes.iter().position(|&b| b != 0) else {
        // U = 0 is treated as U = 1: log2 = 0.
        return 256u64 << 32;
    };
    let n = (32 - first) as u32 * 8 - bytes[first].leading_zeros(); // bit length, 1..=256
                                                                    // Top 64 bits, leading one at bit 63.
    let mut window = [0u8; 16];
    let avail = (32 - first).min(16);
    window[..avail].copy_from_slice(&bytes[first..first + avail]);
    let top128 = u128::from_be_bytes(window) << bytes[first].leading_zeros();
    let bits_below = n.saturating_sub(64);
    let mantissa = if bits_below == 0 {
        // Fewer than 65 significant bits: U' << (64 - n) exactly.
        (u128_from_tail(bytes) << (64 - n)) as u64
    } else {
        (top128 >> 64) as u64
    };
    let mut m = u128::from(mantissa);
    let mut frac: u64 = 0;
    for _ in 0..32 {
        m = (m * m) >> 63;
        frac <<= 1;
        if m >= 1u128 << 64 {
            frac |= 1;
            m >>= 1;
        }
    }
    let log2 = (u64::from(n - 1) << 32) | frac;
    (256u64 << 32) - log2
}

fn u128_from_tail(bytes: &[u8; 32]) -> u128 {
    u128::from_be_bytes(bytes[16..].try_into().expect("16 bytes"))
}

/// The score of a proof with quality `u` from a plot of parameter `k`.
#[must_use]
pub fn score(u: &Quality, k: K) -> Score {
    Score((u128::from(neg_log2_q32(u)) << 64) / u128::from(weight(k)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q_from_u128(v: u128) -> Quality {
        let mut b = [0u8; 32];
        b[16..].copy_from_slice(&v.to_be_bytes());
        Quality(b)
    }

    #[test]
    fn exact_powers_of_two() {
        // U = 2^j gives -log2(U / 2^256) = 256 - j exactly.
        for j in 0..128u32 {
            assert_eq!(
                neg_log2_q32(&q_from_u128(1u128 << j)),
                u64::from(256 - j) << 32,
                "j={j}"
            );
        }
        let mut top = [0u8; 32];
        top[0] = 0x80; // 2^255
        assert_eq!(neg_log2_q32(&Quality(top)), 1u64 << 32);
    }

    #[test]
    fn close_to_the_real_logarithm() {
        // Reference: f64 log2 (tests only; the consensus code itself has no floating point).
        // Truncation in the squaring loop may only lose a few units in the last place.
        let mut b = [0u8; 32];
        for (i, top) in [0xC0u8, 0x81, 0xFE, 0x01, 0x5A].into_iter().enumerate() {
            b.fill(0);
            b[i] = top;
            b[i + 1] = 0x37;
            let exact_u = (f64::from(top) * 256.0 + 55.0) * 2f64.powi(8 * (30 - i as i32));
            let expected = (256.0 - exact_u.log2()) * 2f64.powi(32);
            let got = neg_log2_q32(&Quality(b)) as f64;
            assert!(
                (got - expected).abs() <= 64.0,
                "top={top:#x} got={got} expected={expected}"
            );
        }
        assert_eq!(neg_log2_q32(&Quality([0u8; 32])), 256u64 << 32);
        assert_eq!(neg_log2_q32(&Quality([0xFF; 32])), 1);
    }

    #[test]
    fn score_is_monotone_in_u_and_weight() {
        let k16 = K::new(16).unwrap();
        let k20 = K::new(20).unwrap();
        let a = q_from_u128(1000);
        let b = q_from_u128(2000);
        assert!(score(&a, k16) > score(&b, k16));
        assert!(score(&a, k20) < score(&a, k16));
        assert_eq!(weight(k16), 16 << 16);
    }
}
