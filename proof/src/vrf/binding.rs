//! The VRF key bound to a farmer's ed25519 key (`docs/vrf.md`, "The farmer's VRF key").
//!
//! `vrf_pk = A + t·B` with `A` the farmer key's point and `t = SHA-512("masspoc/v1/vrf-tweak" ‖
//! farmer_pk) mod L` a public tweak, so anyone derives the one VRF key of a farmer from its
//! `farmer_pk` alone ([`bound_vrf_public`]); the farmer's secret scalar is `a + t`
//! ([`bound_vrf_secret`]), its nonce key an independent BLAKE3 derivation of its seed.

use super::error::VrfError;
use super::keys::{VrfPublicKey, VrfSecretKey};
use super::suite::{point_to_string, string_to_point};
use crate::types::FarmerPublicKey;
use curve25519_dalek::edwards::EdwardsPoint;
use curve25519_dalek::scalar::{clamp_integer, Scalar};
use sha2::{Digest, Sha512};
use zeroize::{Zeroize, Zeroizing};

/// Prefix of the tweak hash: `t = SHA-512(VRF_TWEAK_TAG ‖ farmer_pk) mod L`.
pub const VRF_TWEAK_TAG: &[u8] = b"masspoc/v1/vrf-tweak";

/// BLAKE3 `derive_key` context of the VRF nonce key: `derive_key(VRF_NONCE_CONTEXT, seed)`.
pub const VRF_NONCE_CONTEXT: &str = "masspoc/v1/vrf-nonce";

/// The public tweak `t = SHA-512("masspoc/v1/vrf-tweak" ‖ farmer_pk[32])`, read little-endian
/// and reduced mod L (RFC 8032's 64-byte wide reduction).
#[must_use]
pub fn vrf_tweak(farmer_pk: &FarmerPublicKey) -> [u8; 32] {
    tweak_scalar(farmer_pk).to_bytes()
}

fn tweak_scalar(farmer_pk: &FarmerPublicKey) -> Scalar {
    let wide: [u8; 64] = Sha512::new()
        .chain_update(VRF_TWEAK_TAG)
        .chain_update(farmer_pk.as_bytes())
        .finalize()
        .into();
    Scalar::from_bytes_mod_order_wide(&wide)
}

/// The one VRF public key a verifier accepts for `farmer_pk`: `point_to_string(A + t·B)`.
///
/// `A` is the strict RFC 8032 decoding of `farmer_pk` (it must re-encode to the same bytes) and
/// must not be of small order; the result is refused if it is of small order (which no one can
/// arrange without a fixed point of SHA-512). Needs nothing but `farmer_pk`.
pub fn bound_vrf_public(farmer_pk: &FarmerPublicKey) -> Result<VrfPublicKey, VrfError> {
    let a = string_to_point(farmer_pk.as_bytes()).ok_or(VrfError::InvalidFarmerKey)?;
    if a.is_small_order() {
        return Err(VrfError::SmallOrderFarmerKey);
    }
    let y = a + EdwardsPoint::mul_base(&tweak_scalar(farmer_pk));
    if y.is_small_order() {
        return Err(VrfError::SmallOrderPublicKey);
    }
    Ok(VrfPublicKey(point_to_string(&y)))
}

/// The farmer's VRF secret key from its 32-byte ed25519 seed: scalar `x = (a + t) mod L` with
/// `a = clamp(SHA-512(seed)[0..32])` (the ed25519 signing scalar) and `t` the tweak of its public
/// key `a·B`, so `x·B = A + t·B` = [`bound_vrf_public`]`(farmer_pk)`; nonce key
/// `BLAKE3::derive_key("masspoc/v1/vrf-nonce", seed)` (independent of ed25519's nonce prefix).
#[must_use]
pub fn bound_vrf_secret(seed: &[u8; 32]) -> VrfSecretKey {
    let h = Zeroizing::new(<[u8; 64]>::from(Sha512::digest(seed)));
    let mut lower = Zeroizing::new([0u8; 32]);
    lower.copy_from_slice(&h[..32]);
    let mut a = Scalar::from_bytes_mod_order(clamp_integer(*lower));
    let farmer_pk = FarmerPublicKey(point_to_string(&EdwardsPoint::mul_base(&a)));
    let x = a + tweak_scalar(&farmer_pk);
    a.zeroize();
    let nonce_key = Zeroizing::new(blake3::derive_key(VRF_NONCE_CONTEXT, seed));
    VrfSecretKey::from_parts(x, &nonce_key)
}
