//! `ECVRF_prove`, `ECVRF_verify` and `ECVRF_proof_to_hash` (RFC 9381 §5.1–§5.3) for
//! ECVRF-EDWARDS25519-SHA512-TAI, with `validate_key = TRUE`.

use super::error::VrfError;
use super::keys::{VrfPublicKey, VrfSecretKey};
use super::suite::{
    challenge, challenge_scalar, encode_to_curve, gamma_to_hash, nonce, point_to_string,
    string_to_point, C_LEN, PT_LEN, Q_LEN,
};
use super::types::{VrfOutput, VrfProof, VRF_PROOF_LEN};
use curve25519_dalek::constants::ED25519_BASEPOINT_TABLE;
use curve25519_dalek::edwards::EdwardsPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::VartimeMultiscalarMul;
use zeroize::Zeroize;

const _: () = assert!(VRF_PROOF_LEN == PT_LEN + C_LEN + Q_LEN);

/// `ECVRF_prove(SK, alpha_string)` (RFC 9381 §5.1): the 80-byte proof `pi` for `alpha`.
///
/// Deterministic: the same key and alpha always give the same proof.
#[must_use]
pub fn prove(sk: &VrfSecretKey, alpha: &[u8]) -> VrfProof {
    let pk_string = sk.public.0;
    // The try-and-increment loop fails only if 256 independent SHA-512 outputs all miss the curve
    // (probability about 2^-256); no input can be chosen to cause it without breaking SHA-512.
    let h = encode_to_curve(&pk_string, alpha)
        .expect("try-and-increment found no curve point in 256 tries (probability 2^-256)");
    let h_string = point_to_string(&h);
    let gamma = sk.x * h;
    let mut k = nonce(&sk.nonce_key, &h_string);
    let gamma_string = point_to_string(&gamma);
    let u_string = point_to_string(&(ED25519_BASEPOINT_TABLE * &k));
    let v_string = point_to_string(&(k * h));
    let c = challenge([&pk_string, &h_string, &gamma_string, &u_string, &v_string]);
    let s = k + challenge_scalar(&c) * sk.x;
    // The nonce is as secret as the key: k and c reveal x.
    k.zeroize();

    let mut pi = [0u8; VRF_PROOF_LEN];
    pi[..PT_LEN].copy_from_slice(&gamma_string);
    pi[PT_LEN..PT_LEN + C_LEN].copy_from_slice(&c);
    pi[PT_LEN + C_LEN..].copy_from_slice(s.as_bytes());
    VrfProof(pi)
}

/// A decoded proof: `(Gamma, c, s)` (RFC 9381 §5.4.4).
struct Decoded {
    gamma: EdwardsPoint,
    c: [u8; C_LEN],
    s: Scalar,
}

/// `ECVRF_decode_proof` (RFC 9381 §5.4.4): Gamma must be a canonical point encoding and `s < L`.
fn decode_proof(proof: &VrfProof) -> Result<Decoded, VrfError> {
    let pi = &proof.0;
    let mut gamma_string = [0u8; PT_LEN];
    gamma_string.copy_from_slice(&pi[..PT_LEN]);
    let gamma = string_to_point(&gamma_string).ok_or(VrfError::InvalidGamma)?;
    let mut c = [0u8; C_LEN];
    c.copy_from_slice(&pi[PT_LEN..PT_LEN + C_LEN]);
    let mut s_bytes = [0u8; 32];
    s_bytes.copy_from_slice(&pi[PT_LEN + C_LEN..]);
    let s = Option::<Scalar>::from(Scalar::from_canonical_bytes(s_bytes))
        .ok_or(VrfError::NonCanonicalScalar)?;
    Ok(Decoded { gamma, c, s })
}

/// `ECVRF_proof_to_hash(pi_string)` (RFC 9381 §5.2): the 64-byte output `beta` of a proof.
///
/// This does not verify the proof: call it only on a proof already checked with [`verify`] (which
/// returns the same output), or to read the output of a proof one made oneself.
pub fn proof_to_hash(proof: &VrfProof) -> Result<VrfOutput, VrfError> {
    let d = decode_proof(proof)?;
    Ok(VrfOutput(gamma_to_hash(&d.gamma)))
}

/// `ECVRF_verify(PK_string, alpha_string, pi_string)` (RFC 9381 §5.3) with full validation:
/// the key must be a canonical encoding of a point not of small order, Gamma a canonical point
/// encoding, `s < L`, and the recomputed challenge must equal `c`. Returns `beta` when valid.
pub fn verify(pk: &VrfPublicKey, alpha: &[u8], proof: &VrfProof) -> Result<VrfOutput, VrfError> {
    let y = pk.point()?;
    let d = decode_proof(proof)?;
    let h = encode_to_curve(&pk.0, alpha).ok_or(VrfError::InvalidProof)?;
    let c = challenge_scalar(&d.c);
    // U = s*B - c*Y, V = s*H - c*Gamma (public values only, so variable time is fine).
    let u = EdwardsPoint::vartime_double_scalar_mul_basepoint(&(-c), &y, &d.s);
    let v = EdwardsPoint::vartime_multiscalar_mul([d.s, -c], [h, d.gamma]);
    let c_prime = challenge([
        &pk.0,
        &point_to_string(&h),
        &point_to_string(&d.gamma),
        &point_to_string(&u),
        &point_to_string(&v),
    ]);
    if c_prime == d.c {
        Ok(VrfOutput(gamma_to_hash(&d.gamma)))
    } else {
        Err(VrfError::InvalidProof)
    }
}
