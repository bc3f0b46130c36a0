//! Newtypes for the values of the proof: a `K` can never be passed where a seed is expected.

use crate::error::ProofError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The plot size parameter `k`, always in `[16, 40]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct K(u8);

impl K {
    /// Smallest allowed k.
    pub const MIN: u8 = 16;
    /// Largest allowed k.
    pub const MAX: u8 = 40;

    /// A checked k.
    pub fn new(k: u8) -> Result<Self, ProofError> {
        if (Self::MIN..=Self::MAX).contains(&k) {
            Ok(K(k))
        } else {
            Err(ProofError::KOutOfRange(k))
        }
    }

    /// The raw value.
    #[must_use]
    pub fn get(self) -> u8 {
        self.0
    }

    /// `2^k - 1`.
    #[must_use]
    pub fn mask(self) -> u64 {
        (1u64 << self.0) - 1
    }

    /// `2^k`, the number of x values and of lookup indexes.
    #[must_use]
    pub fn domain(self) -> u64 {
        1u64 << self.0
    }

    /// `2^(k-1)`: P values below this have the top bit clear.
    #[must_use]
    pub fn half(self) -> u64 {
        1u64 << (self.0 - 1)
    }
}

impl TryFrom<u8> for K {
    type Error = ProofError;
    fn try_from(k: u8) -> Result<Self, ProofError> {
        K::new(k)
    }
}

impl From<K> for u8 {
    fn from(k: K) -> u8 {
        k.0
    }
}

impl fmt::Display for K {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

crate::bytes32_newtype!(
    /// `BLAKE3("masspoc/v1/plot" || farmer_pk || [k] || plot_seed)`: names a plot and keys P, F,
    /// the challenge probe and the quality hash.
    PlotId,
    ProofError
);
crate::bytes32_newtype!(
    /// 32 random bytes chosen when a plot is made.
    PlotSeed,
    ProofError
);
crate::bytes32_newtype!(
    /// A farmer's ed25519 public key (the compressed Edwards point, as ed25519 encodes it).
    FarmerPublicKey,
    ProofError
);
crate::bytes32_newtype!(
    /// A 32-byte challenge, derived by the chain rules for one height.
    Challenge,
    ProofError
);
