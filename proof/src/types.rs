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

macro_rules! bytes32 {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub struct $name(pub [u8; 32]);

        impl $name {
            /// The raw bytes.
            #[must_use]
            pub fn as_bytes(&self) -> &[u8; 32] {
                &self.0
            }

            /// Lowercase hex of the bytes.
            #[must_use]
            pub fn to_hex(&self) -> String {
                hex::encode(self.0)
            }

            /// Parses exactly 64 hex digits.
            pub fn from_hex(s: &str) -> Result<Self, ProofError> {
                let mut out = [0u8; 32];
                hex::decode_to_slice(s.trim(), &mut out).map_err(|e| {
                    ProofError::BadEncoding(format!(
                        concat!(stringify!($name), " must be 64 hex digits: {}"),
                        e
                    ))
                })?;
                Ok($name(out))
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.to_hex())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.to_hex())
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.to_hex())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                $name::from_hex(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

bytes32!(
    /// `BLAKE3("masspoc/v1/plot" || farmer_pk || [k] || plot_seed)`: names a plot and keys P, F,
    /// the challenge probe and the quality hash.
    PlotId
);
bytes32!(
    /// 32 random bytes chosen when a plot is made.
    PlotSeed
);
bytes32!(
    /// A farmer's ed25519 public key (the compressed Edwards point, as ed25519 encodes it).
    FarmerPublicKey
);
bytes32!(
    /// A 32-byte challenge, derived by the chain rules for one height.
    Challenge
);
