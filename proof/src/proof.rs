//! The capacity proof `(farmer_pk, k, plot_seed, x, x')`, its binary encoding and its verification.
//!
//! Binary encoding (81 bytes, `docs/proof.md`): `farmer_pk[32] || k[1] || plot_seed[32] ||
//! u64le(x) || u64le(x')`.

use crate::challenge::probe;
use crate::error::ProofError;
use crate::f_function::f_value;
use crate::pair::{check_pair, PairError};
use crate::plot_id::derive_plot_id;
use crate::quality::{quality, Quality};
use crate::score::{score, Score};
use crate::types::{Challenge, FarmerPublicKey, PlotId, PlotSeed, K};
use crate::window::{FilterBits, ProbeBits};
use serde::{Deserialize, Serialize};

/// Length of a proof's binary encoding.
pub const PROOF_LEN: usize = 81;

/// A capacity proof: one stored pair of one plot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Proof {
    /// The farmer's ed25519 public key the plot was made for.
    pub farmer_pk: FarmerPublicKey,
    /// The plot's size parameter.
    pub k: K,
    /// The plot's seed.
    pub plot_seed: PlotSeed,
    /// First pair member (P top bit clear).
    pub x: u64,
    /// Second pair member (`P(x') = P(x) XOR mask`).
    pub x_prime: u64,
}

/// What a successful verification establishes about a proof.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifiedProof {
    /// The plot id the proof belongs to.
    pub plot_id: PlotId,
    /// The challenge's lookup index `z`.
    pub z: u64,
    /// The pair's `F(x, x')`: `z` itself with 0 probe bits, else an index of `z`'s window.
    pub f: u64,
    /// The quality hash.
    pub quality: Quality,
    /// The score (lower wins).
    pub score: Score,
}

impl Proof {
    /// The plot id of the plot this proof comes from.
    #[must_use]
    pub fn plot_id(&self) -> PlotId {
        derive_plot_id(&self.farmer_pk, self.k, &self.plot_seed)
    }

    /// The 81-byte binary encoding.
    #[must_use]
    pub fn encode(&self) -> [u8; PROOF_LEN] {
        let mut b = [0u8; PROOF_LEN];
        b[0..32].copy_from_slice(self.farmer_pk.as_bytes());
        b[32] = self.k.get();
        b[33..65].copy_from_slice(self.plot_seed.as_bytes());
        b[65..73].copy_from_slice(&self.x.to_le_bytes());
        b[73..81].copy_from_slice(&self.x_prime.to_le_bytes());
        b
    }

    /// Decodes exactly [`PROOF_LEN`] bytes; any other length or an out-of-range k is refused.
    pub fn decode(bytes: &[u8]) -> Result<Self, ProofError> {
        if bytes.len() != PROOF_LEN {
            return Err(ProofError::BadEncoding(format!(
                "a proof is {PROOF_LEN} bytes, got {}",
                bytes.len()
            )));
        }
        let k = K::new(bytes[32])?;
        let u64_at = |i: usize| u64::from_le_bytes(bytes[i..i + 8].try_into().expect("8 bytes"));
        Ok(Proof {
            farmer_pk: FarmerPublicKey(bytes[0..32].try_into().expect("32 bytes")),
            k,
            plot_seed: PlotSeed(bytes[33..65].try_into().expect("32 bytes")),
            x: u64_at(65),
            x_prime: u64_at(73),
        })
    }

    /// Verifies the proof for a challenge, a filter and a probe window: valid pair, filter
    /// passes, `F(x, x') >> b = z >> b` (with `b = 0`, `F(x, x') = z`).
    pub fn verify(
        &self,
        challenge: &Challenge,
        filter_bits: FilterBits,
        probe_bits: ProbeBits,
    ) -> Result<VerifiedProof, ProofError> {
        let plot_id = self.plot_id();
        check_pair(&plot_id, self.k, self.x, self.x_prime).map_err(|e| match e {
            PairError::OutOfRange => ProofError::OutOfRange { k: self.k.get() },
            PairError::WrongOrder => ProofError::WrongOrder,
            _ => ProofError::BadPair,
        })?;
        let p = probe(&plot_id, self.k, challenge);
        if !p.passes(filter_bits) {
            return Err(ProofError::Filter);
        }
        let window = probe_bits.window(self.k, p.z)?;
        let f = f_value(&plot_id, self.k, self.x, self.x_prime);
        if !window.contains(f) {
            return Err(ProofError::WrongIndex {
                f,
                z: p.z,
                probe_bits: probe_bits.get(),
            });
        }
        let q = quality(&plot_id, challenge, self.x, self.x_prime);
        Ok(VerifiedProof {
            plot_id,
            z: p.z,
            f,
            quality: q,
            score: score(&q, self.k),
        })
    }
}

/// The JSON form of a proof (`docs/proof.md`): snake_case, hex for byte strings, integers for x.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofJson {
    /// Hex plot id (derived; checked against the other fields when parsed).
    pub plot_id: PlotId,
    /// Plot size parameter.
    pub k: u8,
    /// Hex farmer public key.
    pub farmer_pk: FarmerPublicKey,
    /// Hex plot seed.
    pub plot_seed: PlotSeed,
    /// First member.
    pub x: u64,
    /// Second member.
    pub x_prime: u64,
    /// Hex of the 81-byte binary encoding.
    pub encoded: String,
}

impl From<&Proof> for ProofJson {
    fn from(p: &Proof) -> Self {
        ProofJson {
            plot_id: p.plot_id(),
            k: p.k.get(),
            farmer_pk: p.farmer_pk,
            plot_seed: p.plot_seed,
            x: p.x,
            x_prime: p.x_prime,
            encoded: hex::encode(p.encode()),
        }
    }
}

impl TryFrom<&ProofJson> for Proof {
    type Error = ProofError;
    fn try_from(j: &ProofJson) -> Result<Self, ProofError> {
        let p = Proof::decode(
            &hex::decode(&j.encoded)
                .map_err(|e| ProofError::BadEncoding(format!("encoded is not hex: {e}")))?,
        )?;
        let fields = Proof {
            farmer_pk: j.farmer_pk,
            k: K::new(j.k)?,
            plot_seed: j.plot_seed,
            x: j.x,
            x_prime: j.x_prime,
        };
        if p != fields || p.plot_id() != j.plot_id {
            return Err(ProofError::BadEncoding(
                "the JSON fields disagree with `encoded`".into(),
            ));
        }
        Ok(p)
    }
}
