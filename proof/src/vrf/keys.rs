//! VRF keys: the RFC 8032 expansion of a 32-byte secret, a key from a scalar and a nonce key
//! (what a farmer's bound key is, `super::binding`), and the validated public key.

use super::error::VrfError;
use super::suite::{point_to_string, string_to_point};
use curve25519_dalek::constants::ED25519_BASEPOINT_TABLE;
use curve25519_dalek::edwards::EdwardsPoint;
use curve25519_dalek::scalar::{clamp_integer, Scalar};
use sha2::{Digest, Sha512};
use std::fmt;
use zeroize::Zeroize;

/// A VRF secret key: the secret scalar `x`, the nonce key and the public key `x·B`.
///
/// Made by the RFC 8032 §5.1.5 expansion of a 32-byte secret `SK` ([`VrfSecretKey::from_seed`],
/// what RFC 9381's examples use), or from a scalar and a nonce key ([`VrfSecretKey::from_scalar`];
/// a farmer's key is [`super::bound_vrf_secret`]).
/// Zeroized on drop; `Debug` shows only the public key.
#[derive(Clone)]
pub struct VrfSecretKey {
    pub(super) x: Scalar,
    pub(super) nonce_key: [u8; 32],
    pub(super) public: VrfPublicKey,
}

impl VrfSecretKey {
    /// Expands a 32-byte secret as RFC 8032 §5.1.5 does: `h = SHA512(SK)`, `x` = the clamped
    /// first half read little-endian, `Y = x * B`; the second half of `h` keys the nonce.
    #[must_use]
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        let mut h: [u8; 64] = Sha512::digest(seed).into();
        let mut lower = [0u8; 32];
        lower.copy_from_slice(&h[..32]);
        let mut clamped = clamp_integer(lower);
        let x = Scalar::from_bytes_mod_order(clamped);
        let mut nonce_key = [0u8; 32];
        nonce_key.copy_from_slice(&h[32..]);
        let key = Self::from_parts(x, &nonce_key);
        h.zeroize();
        lower.zeroize();
        clamped.zeroize();
        nonce_key.zeroize();
        key
    }

    /// A key from its secret scalar (32 bytes little-endian, canonical: below the group order
    /// `L`, and not zero) and the 32-byte nonce key that RFC 9381 §5.4.2.2 hashes with `H` to
    /// make each proof's nonce (in an RFC 8032 key, the second half of `SHA512(SK)`).
    pub fn from_scalar(scalar: &[u8; 32], nonce_key: &[u8; 32]) -> Result<Self, VrfError> {
        let x = Option::<Scalar>::from(Scalar::from_canonical_bytes(*scalar))
            .filter(|x| *x != Scalar::ZERO)
            .ok_or(VrfError::InvalidSecretScalar)?;
        Ok(Self::from_parts(x, nonce_key))
    }

    /// The key of scalar `x` and `nonce_key`; the public key is `x·B`.
    pub(super) fn from_parts(x: Scalar, nonce_key: &[u8; 32]) -> Self {
        let public = VrfPublicKey(point_to_string(&(ED25519_BASEPOINT_TABLE * &x)));
        VrfSecretKey {
            x,
            nonce_key: *nonce_key,
            public,
        }
    }

    /// The public key `Y = x * B`, encoded as RFC 8032 does.
    #[must_use]
    pub fn public(&self) -> VrfPublicKey {
        self.public
    }
}

impl Drop for VrfSecretKey {
    fn drop(&mut self) {
        self.x.zeroize();
        self.nonce_key.zeroize();
    }
}

impl fmt::Debug for VrfSecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "VrfSecretKey(public: {}, secret: <redacted>)",
            self.public
        )
    }
}

/// A VRF public key: the 32-byte RFC 8032 encoding of the point `Y`.
///
/// The bytes are public, so a value may hold anything; [`VrfPublicKey::from_bytes`] validates, and
/// [`super::verify`] validates again whatever it is given.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct VrfPublicKey(pub [u8; 32]);

impl VrfPublicKey {
    /// A validated public key: refuses non-canonical encodings, bytes that are not a curve point,
    /// and points of small order (RFC 9381 §5.4.5).
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, VrfError> {
        let key = VrfPublicKey(*bytes);
        key.point()?;
        Ok(key)
    }

    /// Parses exactly 64 hex digits and validates as [`VrfPublicKey::from_bytes`] does.
    pub fn from_hex(s: &str) -> Result<Self, VrfError> {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(s.trim(), &mut bytes)
            .map_err(|e| VrfError::BadEncoding(format!("public key must be 64 hex digits: {e}")))?;
        Self::from_bytes(&bytes)
    }

    /// Lowercase hex of the bytes.
    #[must_use]
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// The decoded, validated point `Y`.
    pub(super) fn point(&self) -> Result<EdwardsPoint, VrfError> {
        let y = string_to_point(&self.0).ok_or(VrfError::InvalidPublicKey)?;
        if y.is_small_order() {
            return Err(VrfError::SmallOrderPublicKey);
        }
        Ok(y)
    }
}

impl fmt::Debug for VrfPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VrfPublicKey({})", self.to_hex())
    }
}

impl fmt::Display for VrfPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}
