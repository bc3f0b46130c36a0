//! RFC 9381 ECVRF-EDWARDS25519-SHA512-TAI (suite `0x03`), pure and deterministic.
//!
//! - keys: [`VrfSecretKey::from_seed`] expands a 32-byte secret as RFC 8032 §5.1.5 does
//!   (`masspoc vrf`, the RFC's examples); a farmer's VRF key is **bound** to its ed25519 key:
//!   [`bound_vrf_public`] derives the only VRF public key a verifier accepts from `farmer_pk`
//!   alone, [`bound_vrf_secret`] the matching secret from the farmer's seed;
//! - [`prove`] gives the 80-byte proof `pi` (Gamma, c, s), [`verify`] checks it with full
//!   validation (canonical point encodings, `s < L`, no small-order key) and gives the 64-byte
//!   output `beta`, [`proof_to_hash`] reads `beta` from a proof.
//!
//! `docs/vrf.md` describes the encodings; the tests replay RFC 9381 Appendix B.3 examples 16–18.

mod binding;
mod ecvrf;
mod error;
mod keys;
mod suite;
mod types;

#[cfg(test)]
mod tests_binding;
#[cfg(test)]
mod tests_rejection;
#[cfg(test)]
mod tests_rfc9381;

pub use binding::{
    bound_vrf_public, bound_vrf_secret, vrf_tweak, VRF_NONCE_CONTEXT, VRF_TWEAK_TAG,
};
pub use ecvrf::{proof_to_hash, prove, verify};
pub use error::VrfError;
pub use keys::{VrfPublicKey, VrfSecretKey};
pub use suite::SUITE;
pub use types::{VrfOutput, VrfProof, VRF_OUTPUT_LEN, VRF_PROOF_LEN};
