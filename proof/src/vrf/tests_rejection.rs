//! What the VRF must refuse: altered proofs, wrong alpha, wrong key, `s >= L`, small-order keys and
//! non-canonical point encodings; and that honest proofs always verify (proptest).

use super::suite::string_to_point;
use super::*;
use curve25519_dalek::constants::EIGHT_TORSION;
use curve25519_dalek::edwards::CompressedEdwardsY;
use curve25519_dalek::scalar::Scalar;
use proptest::prelude::*;

fn key(n: u8) -> VrfSecretKey {
    VrfSecretKey::from_seed(&[n; 32])
}

/// The group order L, little-endian: `-1 mod L` is `L - 1`, whose low byte (0xec) does not carry.
fn group_order() -> [u8; 32] {
    let mut l = (-Scalar::ONE).to_bytes();
    l[0] += 1;
    l
}

/// `a + b` over 256-bit little-endian integers (no overflow for the values used here).
fn add256(a: &[u8; 32], b: &[u8; 32]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut carry = 0u16;
    for i in 0..32 {
        let sum = u16::from(a[i]) + u16::from(b[i]) + carry;
        out[i] = sum as u8;
        carry = sum >> 8;
    }
    out
}

/// Encodings `y + p` (for y in 0..19) that decode, leniently, to a curve point: non-canonical.
fn non_canonical_encodings() -> Vec<[u8; 32]> {
    let mut found = Vec::new();
    for j in 0u8..19 {
        let mut bytes = [0xffu8; 32];
        bytes[0] = 0xed + j;
        bytes[31] = 0x7f;
        for sign in [0u8, 0x80] {
            let mut b = bytes;
            b[31] |= sign;
            if CompressedEdwardsY(b).decompress().is_some() {
                found.push(b);
            }
        }
    }
    // "Negative zero": x = 0 with the sign bit set, for y = 1 (identity) and y = -1.
    let mut one = [0u8; 32];
    one[0] = 1;
    one[31] = 0x80;
    found.push(one);
    let mut minus_one = [0xffu8; 32];
    minus_one[0] = 0xec;
    minus_one[31] = 0xff;
    found.push(minus_one);
    found
}

#[test]
fn every_flipped_bit_of_a_proof_is_rejected() {
    let sk = key(7);
    let pk = sk.public();
    let alpha = b"masspoc challenge";
    let pi = prove(&sk, alpha);
    assert!(verify(&pk, alpha, &pi).is_ok());
    for byte in 0..VRF_PROOF_LEN {
        for bit in 0..8 {
            let mut bad = pi;
            bad.0[byte] ^= 1 << bit;
            assert!(
                verify(&pk, alpha, &bad).is_err(),
                "flipping bit {bit} of byte {byte} was accepted"
            );
        }
    }
}

#[test]
fn wrong_alpha_and_wrong_key_are_rejected() {
    let sk = key(1);
    let pi = prove(&sk, b"abc");
    assert_eq!(
        verify(&sk.public(), b"abd", &pi),
        Err(VrfError::InvalidProof)
    );
    assert_eq!(verify(&sk.public(), b"", &pi), Err(VrfError::InvalidProof));
    assert_eq!(
        verify(&key(2).public(), b"abc", &pi),
        Err(VrfError::InvalidProof)
    );
}

#[test]
fn non_canonical_s_is_rejected() {
    let sk = key(3);
    let pi = prove(&sk, b"x");
    let mut s = [0u8; 32];
    s.copy_from_slice(&pi.0[48..]);
    let l = group_order();
    for bad_s in [add256(&s, &l), l, [0xff; 32]] {
        let mut bad = pi;
        bad.0[48..].copy_from_slice(&bad_s);
        assert_eq!(
            verify(&sk.public(), b"x", &bad),
            Err(VrfError::NonCanonicalScalar)
        );
        assert_eq!(proof_to_hash(&bad), Err(VrfError::NonCanonicalScalar));
    }
}

#[test]
fn small_order_public_keys_are_rejected() {
    let pi = prove(&key(4), b"x");
    for point in EIGHT_TORSION.iter() {
        let bytes = point.compress().to_bytes();
        assert_eq!(
            VrfPublicKey::from_bytes(&bytes),
            Err(VrfError::SmallOrderPublicKey)
        );
        // Even bypassing from_bytes, verify validates the key itself.
        assert_eq!(
            verify(&VrfPublicKey(bytes), b"x", &pi),
            Err(VrfError::SmallOrderPublicKey)
        );
    }
}

#[test]
fn non_canonical_point_encodings_are_rejected() {
    let encodings = non_canonical_encodings();
    assert!(
        encodings.len() >= 4,
        "expected several lenient-decodable encodings"
    );
    let sk = key(5);
    let pi = prove(&sk, b"x");
    for bytes in encodings {
        assert!(string_to_point(&bytes).is_none(), "{}", hex::encode(bytes));
        assert_eq!(
            VrfPublicKey::from_bytes(&bytes),
            Err(VrfError::InvalidPublicKey)
        );
        assert_eq!(
            verify(&VrfPublicKey(bytes), b"x", &pi),
            Err(VrfError::InvalidPublicKey)
        );
        let mut bad = pi;
        bad.0[..32].copy_from_slice(&bytes);
        assert_eq!(
            verify(&sk.public(), b"x", &bad),
            Err(VrfError::InvalidGamma)
        );
        assert_eq!(proof_to_hash(&bad), Err(VrfError::InvalidGamma));
    }
}

#[test]
fn bytes_off_the_curve_are_rejected() {
    // y = 2: (y^2 - 1) / (d y^2 + 1) is not a square, so no x exists.
    let mut two = [0u8; 32];
    two[0] = 2;
    assert!(CompressedEdwardsY(two).decompress().is_none());
    assert_eq!(
        VrfPublicKey::from_bytes(&two),
        Err(VrfError::InvalidPublicKey)
    );
}

#[test]
fn hex_parsing_checks_lengths() {
    assert!(matches!(
        VrfProof::from_hex("00"),
        Err(VrfError::BadEncoding(_))
    ));
    assert!(matches!(
        VrfOutput::from_hex("zz"),
        Err(VrfError::BadEncoding(_))
    ));
    assert!(matches!(
        VrfPublicKey::from_hex(""),
        Err(VrfError::BadEncoding(_))
    ));
}

#[test]
fn secret_key_debug_redacts_the_secret() {
    let sk = key(9);
    let shown = format!("{sk:?}");
    assert!(shown.contains("redacted"));
    assert!(!shown.contains(&hex::encode(sk.x.as_bytes())));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn honest_proofs_verify_and_are_deterministic(
        seed in any::<[u8; 32]>(),
        alpha in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        let sk = VrfSecretKey::from_seed(&seed);
        let pi = prove(&sk, &alpha);
        prop_assert_eq!(prove(&sk, &alpha), pi);
        let beta = verify(&sk.public(), &alpha, &pi).expect("honest proof");
        prop_assert_eq!(proof_to_hash(&pi).expect("decodes"), beta);
    }

    /// Arbitrary bytes never panic and never verify.
    #[test]
    fn random_inputs_are_rejected_without_panicking(
        pk in any::<[u8; 32]>(),
        alpha in proptest::collection::vec(any::<u8>(), 0..16),
        gamma in any::<[u8; 32]>(),
        rest in any::<[u8; 48]>(),
    ) {
        let mut pi = [0u8; VRF_PROOF_LEN];
        pi[..32].copy_from_slice(&gamma);
        pi[32..].copy_from_slice(&rest);
        let _ = proof_to_hash(&VrfProof(pi));
        prop_assert!(verify(&VrfPublicKey(pk), &alpha, &VrfProof(pi)).is_err());
    }

    #[test]
    fn altered_proofs_or_inputs_never_verify(
        seed in any::<[u8; 32]>(),
        alpha in proptest::collection::vec(any::<u8>(), 0..32),
        other in proptest::collection::vec(any::<u8>(), 0..32),
        byte in 0usize..VRF_PROOF_LEN,
        mask in 1u8..=255,
    ) {
        let sk = VrfSecretKey::from_seed(&seed);
        let pi = prove(&sk, &alpha);
        let mut bad = pi;
        bad.0[byte] ^= mask;
        prop_assert!(verify(&sk.public(), &alpha, &bad).is_err());
        if other != alpha {
            prop_assert!(verify(&sk.public(), &other, &pi).is_err());
        }
    }
}
