//! Why a VRF key, proof or encoding was rejected.

use thiserror::Error;

/// Why a VRF public key, proof or encoding was rejected.
///
/// Each variant names one reason, so `masspoc vrf verify` and the chain rules can say exactly what
/// failed. None of them carries secret material.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum VrfError {
    /// The public key bytes are not the canonical encoding of a curve point (RFC 8032 §5.1.3).
    #[error("public key is not a canonical encoding of an edwards25519 point")]
    InvalidPublicKey,
    /// The public key is a point of small order (RFC 9381 §5.4.5, `ECVRF_validate_key`).
    #[error("public key is a small-order point")]
    SmallOrderPublicKey,
    /// The proof's Gamma is not the canonical encoding of a curve point.
    #[error("proof's gamma is not a canonical encoding of an edwards25519 point")]
    InvalidGamma,
    /// The proof's scalar `s` is not below the group order `L` (RFC 9381 §5.4.4).
    #[error("proof's scalar s is not canonical (s >= L)")]
    NonCanonicalScalar,
    /// The proof is well formed but its challenge does not match: wrong key, wrong alpha or a
    /// forged or altered proof.
    #[error("proof does not verify for this public key and alpha")]
    InvalidProof,
    /// A secret scalar that is not canonical (`>= L`) or is zero ([`super::VrfSecretKey::from_scalar`]).
    #[error("secret scalar is not canonical (>= L) or is zero")]
    InvalidSecretScalar,
    /// The farmer key is not the canonical encoding of an edwards25519 point, so no VRF key is
    /// bound to it ([`super::bound_vrf_public`]).
    #[error("farmer key is not a canonical encoding of an edwards25519 point")]
    InvalidFarmerKey,
    /// The farmer key is a point of small order, so no VRF key is bound to it.
    #[error("farmer key is a small-order point")]
    SmallOrderFarmerKey,
    /// A hex or length error in an encoded key, proof or output.
    #[error("bad encoding: {0}")]
    BadEncoding(String),
}
