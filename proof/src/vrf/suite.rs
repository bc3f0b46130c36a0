//! The building blocks of ECVRF-EDWARDS25519-SHA512-TAI (RFC 9381 §5.4, §5.5): point decoding,
//! try-and-increment encode_to_curve, nonce generation and challenge generation.

use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use sha2::{Digest, Sha512};

/// `suite_string` of ECVRF-EDWARDS25519-SHA512-TAI (RFC 9381 §5.5).
pub const SUITE: u8 = 0x03;
/// `ptLen`: length of an encoded point.
pub const PT_LEN: usize = 32;
/// `cLen`: length of the encoded challenge.
pub const C_LEN: usize = 16;
/// `qLen`: length of an encoded scalar.
pub const Q_LEN: usize = 32;

/// `string_to_point` (RFC 8032 §5.1.3, strict): `None` unless `bytes` is the canonical encoding
/// of a curve point. Decoding then re-encoding must give the same bytes, which rejects `y >= p`
/// and the "negative zero" x (x = 0 with the sign bit set), as RFC 8032 requires.
#[must_use]
pub fn string_to_point(bytes: &[u8; 32]) -> Option<EdwardsPoint> {
    let point = CompressedEdwardsY(*bytes).decompress()?;
    if point.compress().to_bytes() == *bytes {
        Some(point)
    } else {
        None
    }
}

/// `point_to_string` (RFC 8032 §5.1.2).
#[must_use]
pub fn point_to_string(point: &EdwardsPoint) -> [u8; 32] {
    point.compress().to_bytes()
}

/// `ECVRF_encode_to_curve_try_and_increment` (RFC 9381 §5.4.1.1) with `encode_to_curve_salt =
/// PK_string`. `None` only if all 256 counter values fail, which happens with probability about
/// 2^-256.
#[must_use]
pub fn encode_to_curve(salt: &[u8; 32], alpha: &[u8]) -> Option<EdwardsPoint> {
    for ctr in 0..=u8::MAX {
        let hash = Sha512::new()
            .chain_update([SUITE, 0x01])
            .chain_update(salt)
            .chain_update(alpha)
            .chain_update([ctr, 0x00])
            .finalize();
        let mut candidate = [0u8; 32];
        candidate.copy_from_slice(&hash[..32]);
        // interpret_hash_value_as_a_point, then clear the cofactor (cofactor = 8).
        if let Some(point) = string_to_point(&candidate) {
            let h = point.mul_by_cofactor();
            if h != EdwardsPoint::default() {
                return Some(h);
            }
        }
    }
    None
}

/// `ECVRF_nonce_generation_RFC8032` (RFC 9381 §5.4.2.2): `k = SHA512(nonce_key || h_string) mod
/// L`, where `nonce_key` is the second half of `SHA512(SK)` (RFC 8032 §5.1.6 step 1).
#[must_use]
pub fn nonce(nonce_key: &[u8; 32], h_string: &[u8; 32]) -> Scalar {
    let k_string: [u8; 64] = Sha512::new()
        .chain_update(nonce_key)
        .chain_update(h_string)
        .finalize()
        .into();
    Scalar::from_bytes_mod_order_wide(&k_string)
}

/// `ECVRF_challenge_generation` (RFC 9381 §5.4.3): the first `cLen` bytes of
/// `SHA512(suite || 0x02 || P1 || P2 || P3 || P4 || P5 || 0x00)`.
#[must_use]
pub fn challenge(points: [&[u8; 32]; 5]) -> [u8; C_LEN] {
    let mut hasher = Sha512::new().chain_update([SUITE, 0x02]);
    for p in points {
        hasher.update(p);
    }
    let hash = hasher.chain_update([0x00]).finalize();
    let mut c = [0u8; C_LEN];
    c.copy_from_slice(&hash[..C_LEN]);
    c
}

/// The challenge bytes as a scalar (`string_to_int`, little-endian; always below L).
#[must_use]
pub fn challenge_scalar(c: &[u8; C_LEN]) -> Scalar {
    let mut wide = [0u8; 32];
    wide[..C_LEN].copy_from_slice(c);
    Scalar::from_bytes_mod_order(wide)
}

/// `ECVRF_proof_to_hash` step 4 (RFC 9381 §5.2): `SHA512(suite || 0x03 || point_to_string(8 *
/// Gamma) || 0x00)`.
#[must_use]
pub fn gamma_to_hash(gamma: &EdwardsPoint) -> [u8; 64] {
    Sha512::new()
        .chain_update([SUITE, 0x03])
        .chain_update(point_to_string(&gamma.mul_by_cofactor()))
        .chain_update([0x00])
        .finalize()
        .into()
}
