//! The VRF key bound to the farmer key: the secret from the seed matches the public key anyone
//! derives from `farmer_pk` (ed25519-dalek computes `farmer_pk`, not this crate), keys that cannot
//! be bound are refused, and the nonce key is not ed25519's.

use super::*;
use curve25519_dalek::constants::EIGHT_TORSION;
use curve25519_dalek::scalar::Scalar;
use proptest::prelude::*;
use sha2::{Digest, Sha512};

fn ed25519_public(seed: &[u8; 32]) -> crate::FarmerPublicKey {
    crate::FarmerPublicKey(
        ed25519_dalek::SigningKey::from_bytes(seed)
            .verifying_key()
            .to_bytes(),
    )
}

#[test]
fn small_order_and_non_canonical_farmer_keys_have_no_bound_key() {
    for t in EIGHT_TORSION {
        let pk = crate::FarmerPublicKey(t.compress().to_bytes());
        assert_eq!(
            bound_vrf_public(&pk),
            Err(VrfError::SmallOrderFarmerKey),
            "{pk}"
        );
    }
    // y = p (non-canonical encoding of y = 0, a small-order point) and y = 2 (not on the curve).
    let mut y_is_p = [0xffu8; 32];
    y_is_p[0] = 0xed;
    y_is_p[31] = 0x7f;
    let mut y_is_2 = [0u8; 32];
    y_is_2[0] = 2;
    for bytes in [y_is_p, y_is_2] {
        assert_eq!(
            bound_vrf_public(&crate::FarmerPublicKey(bytes)),
            Err(VrfError::InvalidFarmerKey)
        );
    }
    // Negative zero: x = 0 with the sign bit set (the identity's encoding with the top bit).
    let mut neg_zero = [0u8; 32];
    neg_zero[0] = 1;
    neg_zero[31] = 0x80;
    assert_eq!(
        bound_vrf_public(&crate::FarmerPublicKey(neg_zero)),
        Err(VrfError::InvalidFarmerKey)
    );
}

#[test]
fn a_mixed_order_farmer_key_is_another_identity_with_its_own_bound_key() {
    let pk = ed25519_public(&[5; 32]);
    let a = super::suite::string_to_point(pk.as_bytes()).unwrap();
    let mixed = crate::FarmerPublicKey((a + EIGHT_TORSION[1]).compress().to_bytes());
    let bound = bound_vrf_public(&mixed).expect("mixed order is not small order");
    assert_ne!(bound, bound_vrf_public(&pk).unwrap());
}

#[test]
fn the_nonce_key_is_a_domain_separated_blake3_key_not_ed25519s_nonce_prefix() {
    let seed = [42u8; 32];
    let sk = bound_vrf_secret(&seed);
    assert_eq!(
        sk.nonce_key,
        blake3::derive_key("masspoc/v1/vrf-nonce", &seed)
    );
    let expanded = Sha512::digest(seed);
    assert_ne!(sk.nonce_key[..], expanded[32..]);
    assert_ne!(sk.public().0, ed25519_public(&seed).0);
    // The RFC 8032 expansion of the same seed is another key altogether.
    assert_ne!(sk.public(), VrfSecretKey::from_seed(&seed).public());
}

#[test]
fn from_scalar_refuses_zero_and_non_canonical_scalars() {
    let nonce_key = [9u8; 32];
    assert_eq!(
        VrfSecretKey::from_scalar(&[0; 32], &nonce_key).err(),
        Some(VrfError::InvalidSecretScalar)
    );
    let mut l = (-Scalar::ONE).to_bytes();
    l[0] += 1; // L itself
    assert_eq!(
        VrfSecretKey::from_scalar(&l, &nonce_key).err(),
        Some(VrfError::InvalidSecretScalar)
    );
    assert_eq!(
        VrfSecretKey::from_scalar(&[0xff; 32], &nonce_key).err(),
        Some(VrfError::InvalidSecretScalar)
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// `bound_vrf_public(ed25519_public(seed)) == public(bound_vrf_secret(seed))`, and the
    /// farmer's proofs verify under the key a verifier derives from `farmer_pk` alone.
    #[test]
    fn the_bound_secret_matches_the_publicly_derived_key(
        seed in any::<[u8; 32]>(),
        alpha in proptest::collection::vec(any::<u8>(), 0..48),
    ) {
        let farmer_pk = ed25519_public(&seed);
        let public = bound_vrf_public(&farmer_pk).expect("an ed25519 key has a bound vrf key");
        let sk = bound_vrf_secret(&seed);
        prop_assert_eq!(sk.public(), public);
        prop_assert_ne!(public.0, farmer_pk.0);
        let pi = prove(&sk, &alpha);
        prop_assert!(verify(&public, &alpha, &pi).is_ok());
        // The same key rebuilt from its scalar and nonce key proves the same bytes.
        let again = VrfSecretKey::from_scalar(&sk.x.to_bytes(), &sk.nonce_key).unwrap();
        prop_assert_eq!(prove(&again, &alpha), pi);
    }

    /// Another farmer key never accepts this farmer's proofs.
    #[test]
    fn another_farmers_bound_key_refuses_the_proof(a in any::<[u8; 32]>(), b in any::<[u8; 32]>()) {
        prop_assume!(a != b);
        let pi = prove(&bound_vrf_secret(&a), b"alpha");
        let other = bound_vrf_public(&ed25519_public(&b)).unwrap();
        prop_assert_eq!(verify(&other, b"alpha", &pi), Err(VrfError::InvalidProof));
    }
}
