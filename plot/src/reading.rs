//! The reading seam: from a challenge to a plot's candidate proofs, written once.
//!
//! probe → filter → the window's pairs (one [`PairIndex`] lookup) → quality and score →
//! candidates. The memory-mapped [`crate::PlotReader`], the farmer's plots and the verifier's
//! in-memory test plots all answer challenges through [`read_candidates`]; they differ only in
//! where the window's pairs come from (Subspace's `reading.rs` over `ReadAtSync` is the model).

use crate::error::ReadError;
use masspoc_proof::{
    probe, quality, score, Challenge, FarmerPublicKey, FilterBits, PlotId, PlotSeed, ProbeBits,
    Proof, Quality, Score, Window, K,
};

/// What names a plot: enough to build its proofs and key its hashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlotIdentity {
    /// The farmer key the plot was made for.
    pub farmer_pk: FarmerPublicKey,
    /// The size parameter.
    pub k: K,
    /// The plot seed.
    pub plot_seed: PlotSeed,
    /// `derive_plot_id(farmer_pk, k, plot_seed)`.
    pub plot_id: PlotId,
}

impl PlotIdentity {
    /// The identity of the plot of `farmer_pk`, `k` and `plot_seed` (derives the plot id).
    #[must_use]
    pub fn new(farmer_pk: FarmerPublicKey, k: K, plot_seed: PlotSeed) -> Self {
        PlotIdentity {
            farmer_pk,
            k,
            plot_seed,
            plot_id: masspoc_proof::derive_plot_id(&farmer_pk, k, &plot_seed),
        }
    }

    /// The proof of one of this plot's pairs.
    #[must_use]
    pub fn proof(&self, x: u64, x_prime: u64) -> Proof {
        Proof {
            farmer_pk: self.farmer_pk,
            k: self.k,
            plot_seed: self.plot_seed,
            x,
            x_prime,
        }
    }
}

/// A proof found in a plot, with its quality hash and score: one candidate for a challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FoundProof {
    /// The proof.
    pub proof: Proof,
    /// Its quality hash for the challenge.
    pub quality: Quality,
    /// Its score (lower wins).
    pub score: Score,
}

/// Where a plot's pairs come from: every valid pair, sorted by `(F(x, x'), x, x')`.
pub trait PairIndex {
    /// Every stored pair `(x, x')` with `F(x, x')` in `window`, in the stored order (by F, then
    /// x, then x'), appended to `out`. An index that reads untrusted bytes confirms each pair's
    /// F before returning it and reports a mismatch as corruption.
    fn window_pairs(&self, window: Window, out: &mut Vec<(u64, u64)>) -> Result<(), ReadError>;
}

/// Every candidate proof `plot` holds for `challenge`: `None` when the plot does not pass the
/// filter, else each stored pair of the challenge's window (possibly none), in the stored order,
/// with its quality and score. Pairs come from `index` with their F confirmed; the full proof
/// check (the pair's P values) is left to the caller, who runs it on the proofs it keeps.
pub fn read_candidates<I: PairIndex + ?Sized>(
    index: &I,
    plot: &PlotIdentity,
    challenge: &Challenge,
    filter_bits: FilterBits,
    probe_bits: ProbeBits,
) -> Result<Option<Vec<FoundProof>>, ReadError> {
    let p = probe(&plot.plot_id, plot.k, challenge);
    if !p.passes(filter_bits) {
        return Ok(None);
    }
    let window = probe_bits
        .window(plot.k, p.z)
        .map_err(ReadError::Parameter)?;
    let mut pairs = Vec::new();
    index.window_pairs(window, &mut pairs)?;
    Ok(Some(
        pairs
            .into_iter()
            .map(|(x, x_prime)| {
                let q = quality(&plot.plot_id, challenge, x, x_prime);
                FoundProof {
                    proof: plot.proof(x, x_prime),
                    quality: q,
                    score: score(&q, plot.k),
                }
            })
            .collect(),
    ))
}
