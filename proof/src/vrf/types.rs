//! The VRF proof `pi` (80 bytes) and output `beta` (64 bytes), with hex and serde (lowercase hex
//! strings) encodings. The public key's serde encoding lives here too.

use super::error::VrfError;
use super::keys::VrfPublicKey;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Length of a proof `pi_string`: `ptLen + cLen + qLen = 32 + 16 + 32`.
pub const VRF_PROOF_LEN: usize = 80;
/// Length of an output `beta_string` (SHA-512).
pub const VRF_OUTPUT_LEN: usize = 64;

/// A VRF proof `pi_string = point_to_string(Gamma) || c (16 bytes) || s (32 bytes)`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct VrfProof(pub [u8; VRF_PROOF_LEN]);

/// A VRF output `beta_string = proof_to_hash(pi)`, 64 bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct VrfOutput(pub [u8; VRF_OUTPUT_LEN]);

macro_rules! hex_bytes {
    ($name:ident, $len:expr, $what:literal) => {
        impl $name {
            /// The raw bytes.
            #[must_use]
            pub fn as_bytes(&self) -> &[u8; $len] {
                &self.0
            }

            /// Lowercase hex of the bytes.
            #[must_use]
            pub fn to_hex(&self) -> String {
                hex::encode(self.0)
            }

            /// Parses exactly the right number of hex digits.
            pub fn from_hex(s: &str) -> Result<Self, VrfError> {
                let mut out = [0u8; $len];
                hex::decode_to_slice(s.trim(), &mut out).map_err(|e| {
                    VrfError::BadEncoding(format!(
                        concat!($what, " must be {} hex digits: {}"),
                        2 * $len,
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
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.to_hex())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                $name::from_hex(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

hex_bytes!(VrfProof, VRF_PROOF_LEN, "vrf proof");
hex_bytes!(VrfOutput, VRF_OUTPUT_LEN, "vrf output");

impl Serialize for VrfPublicKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

/// Deserializing validates the key (canonical, on the curve, not of small order).
impl<'de> Deserialize<'de> for VrfPublicKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        VrfPublicKey::from_hex(&s).map_err(serde::de::Error::custom)
    }
}
