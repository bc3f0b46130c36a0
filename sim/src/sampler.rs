//! Sampling a plot's best proof for a challenge with the exact distribution of a real plot.
//!
//! A plot passes a filter of `f` bits with probability `2^-f` (the probe word is uniform). The
//! number of its pairs in the challenge's window of `2^b` indexes is Binomial(about `2^(k-1)`,
//! `2^(b-k)`), which is Poisson(`2^(b-1)`) to within `2^(b-k)`; each pair's quality hash is a
//! uniform 256-bit value. The farmer keeps the pair with the highest `U` (the lowest score); the
//! score itself comes from the real `masspoc_proof::score`.

use masspoc_proof::{score, FilterBits, ProbeBits, Quality, Score, K};
use rand::Rng;

/// `e^{-1/2}`, the Poisson(1/2) probability of zero pairs (simulation only).
const P0: f64 = 0.606_530_659_712_633_4;

/// The largest mean drawn by one inversion (`e^-64` is still a normal f64); larger means are
/// sums of draws of at most this mean.
const MAX_INVERSION_MEAN: f64 = 64.0;

/// Poisson(`mean`) by inversion of one uniform draw, for `mean ≤ 64`. At `mean = 1/2` this is
/// the draw the simulator made before the probe window existed (same uniform, same cap of 64),
/// so `b = 0` reproduces those runs bit for bit.
fn poisson_inversion<R: Rng>(rng: &mut R, mean: f64) -> u32 {
    let u: f64 = rng.gen();
    let mut p = if mean == 0.5 { P0 } else { (-mean).exp() };
    let mut cdf = p;
    let mut n = 0u32;
    let cap = if mean <= 0.5 {
        64
    } else {
        64 + 8 * mean.ceil() as u32
    };
    while u > cdf && n < cap {
        n += 1;
        p *= mean / f64::from(n);
        cdf += p;
    }
    n
}

/// Number of pairs in a random window of `2^b` indexes: Poisson(`2^(b-1)`).
fn window_pairs<R: Rng>(rng: &mut R, probe_bits: ProbeBits) -> u32 {
    let mut mean = f64::from(1u32 << probe_bits.get()) / 2.0;
    let mut n = 0u32;
    while mean > MAX_INVERSION_MEAN {
        n += poisson_inversion(rng, MAX_INVERSION_MEAN);
        mean -= MAX_INVERSION_MEAN;
    }
    n + poisson_inversion(rng, mean)
}

/// The best score one plot of parameter `k` offers for a fresh challenge, if any.
pub fn sample_plot<R: Rng>(
    rng: &mut R,
    k: K,
    filter_bits: FilterBits,
    probe_bits: ProbeBits,
) -> Option<Score> {
    if filter_bits != FilterBits::NONE && !filter_bits.passes(rng.gen()) {
        return None;
    }
    let n = window_pairs(rng, probe_bits);
    let best = (0..n)
        .map(|_| {
            let mut u = [0u8; 32];
            rng.fill(&mut u);
            u
        })
        .max()?;
    Some(score(&Quality(best), k))
}

/// The best score over `plots` plots of parameter `k`.
pub fn sample_farmer<R: Rng>(
    rng: &mut R,
    k: K,
    plots: u32,
    (filter_bits, probe_bits): (FilterBits, ProbeBits),
) -> Option<Score> {
    (0..plots)
        .filter_map(|_| sample_plot(rng, k, filter_bits, probe_bits))
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn window_pairs_have_the_right_moments() {
        // Poisson(2^(b-1)): mean and variance 2^(b-1), P(0) = e^-(2^(b-1)); b = 8 and 10 sum
        // draws of mean 64.
        for b in [0u32, 1, 3, 6, 8, 10] {
            let mut rng = rand::rngs::StdRng::seed_from_u64(7 + u64::from(b));
            let n = 100_000;
            let bits = ProbeBits::new(b).unwrap();
            let samples: Vec<f64> = (0..n)
                .map(|_| f64::from(window_pairs(&mut rng, bits)))
                .collect();
            let lambda = f64::from(1u32 << b) / 2.0;
            let mean = samples.iter().sum::<f64>() / f64::from(n);
            let var = samples.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / f64::from(n);
            let zeros = samples.iter().filter(|&&x| x == 0.0).count() as f64 / f64::from(n);
            // Five standard errors of the mean, 5% of the variance.
            let se = (lambda / f64::from(n)).sqrt();
            assert!((mean - lambda).abs() < 5.0 * se, "b {b}: mean {mean}");
            assert!((var / lambda - 1.0).abs() < 0.05, "b {b}: variance {var}");
            assert!(
                (zeros - (-lambda).exp()).abs() < 0.005,
                "b {b}: zeros {zeros}"
            );
        }
    }
}
