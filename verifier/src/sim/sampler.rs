//! Sampling a plot's best proof for a challenge with the exact distribution of a real plot.
//!
//! A plot passes a filter of `f` bits with probability `2^-f` (the probe word is uniform). The
//! number of its pairs at the challenge's index `z` is Binomial(about `2^(k-1)`, `2^-k`), which
//! is Poisson(1/2) to within `2^-k`; each pair's quality hash is a uniform 256-bit value. The
//! farmer keeps the pair with the highest `U` (the lowest score); the score itself comes from the
//! real `masspoc_proof::score`.

use masspoc_proof::{score, FilterBits, Quality, Score, K};
use rand::Rng;

/// `e^{-1/2}`, the Poisson(1/2) probability of zero pairs (simulation only).
const P0: f64 = 0.606_530_659_712_633_4;

/// Number of pairs at a random index: Poisson(1/2) by inversion.
fn poisson_half<R: Rng>(rng: &mut R) -> u32 {
    let u: f64 = rng.gen();
    let mut p = P0;
    let mut cdf = p;
    let mut n = 0u32;
    while u > cdf && n < 64 {
        n += 1;
        p *= 0.5 / f64::from(n);
        cdf += p;
    }
    n
}

/// The best score one plot of parameter `k` offers for a fresh challenge, if any.
pub fn sample_plot<R: Rng>(rng: &mut R, k: K, filter_bits: FilterBits) -> Option<Score> {
    if filter_bits != FilterBits::NONE && !filter_bits.passes(rng.gen()) {
        return None;
    }
    let n = poisson_half(rng);
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
    filter_bits: FilterBits,
) -> Option<Score> {
    (0..plots)
        .filter_map(|_| sample_plot(rng, k, filter_bits))
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn poisson_half_has_the_right_moments() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let n = 200_000;
        let samples: Vec<u32> = (0..n).map(|_| poisson_half(&mut rng)).collect();
        let mean = samples.iter().map(|&x| f64::from(x)).sum::<f64>() / f64::from(n);
        let zeros = samples.iter().filter(|&&x| x == 0).count() as f64 / f64::from(n);
        assert!((mean - 0.5).abs() < 0.01, "mean {mean}");
        assert!((zeros - (-0.5f64).exp()).abs() < 0.01, "zeros {zeros}");
    }
}
