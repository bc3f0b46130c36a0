//! The VRF key bound to a farmer key against vectors derived independently by
//! `tests/vectors/derive.py` (pure-Python RFC 8032 point arithmetic and RFC 9381 proving in
//! `tests/vectors/ed25519_ref.py`, self-checked against RFC 9381 example 16).

use masspoc_proof::vrf::{
    bound_vrf_public, bound_vrf_secret, prove, verify, vrf_tweak, VrfError, VrfPublicKey,
    VrfSecretKey,
};
use masspoc_proof::FarmerPublicKey;
use serde_json::Value;

fn vectors() -> Value {
    serde_json::from_str(include_str!("vectors/vrf_binding_vectors.json"))
        .expect("vector file parses")
}

fn bytes(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().expect("hex string")).expect("hex")
}

fn hex32(v: &Value) -> [u8; 32] {
    bytes(v).try_into().expect("32 bytes")
}

#[test]
fn tweak_bound_key_secret_and_proof_match_the_independent_derivation() {
    let v = vectors();
    let farmers = v["farmers"].as_array().unwrap();
    assert_eq!(farmers.len(), 4);
    for f in farmers {
        let seed = hex32(&f["seed"]);
        let farmer_pk = FarmerPublicKey(hex32(&f["farmer_pk"]));
        let dalek = ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key();
        assert_eq!(
            dalek.to_bytes(),
            farmer_pk.0,
            "ed25519 public key of the seed"
        );
        assert_eq!(vrf_tweak(&farmer_pk), hex32(&f["tweak"]), "tweak");
        let vrf_pk = VrfPublicKey(hex32(&f["vrf_pk"]));
        assert_eq!(bound_vrf_public(&farmer_pk), Ok(vrf_pk), "bound key");

        let sk = bound_vrf_secret(&seed);
        assert_eq!(sk.public(), vrf_pk, "public of the bound secret");
        let alpha = bytes(&f["alpha"]);
        let pi = prove(&sk, &alpha);
        assert_eq!(pi.0.to_vec(), bytes(&f["pi"]), "pi");
        assert_eq!(
            verify(&vrf_pk, &alpha, &pi).unwrap().0.to_vec(),
            bytes(&f["beta"]),
            "beta"
        );
        // The same key from its scalar and nonce key, as the derivation script computed them.
        let again =
            VrfSecretKey::from_scalar(&hex32(&f["vrf_scalar"]), &hex32(&f["nonce_key"])).unwrap();
        assert_eq!(prove(&again, &alpha), pi);
    }
}

#[test]
fn small_order_mixed_order_and_non_canonical_farmer_keys() {
    let v = vectors();
    for k in v["keys"].as_array().unwrap() {
        let pk = FarmerPublicKey(hex32(&k["farmer_pk"]));
        let got = bound_vrf_public(&pk);
        match k["refused"].as_str() {
            None => assert_eq!(got, Ok(VrfPublicKey(hex32(&k["vrf_pk"]))), "{pk}"),
            Some("small_order") => assert_eq!(got, Err(VrfError::SmallOrderFarmerKey), "{pk}"),
            Some("invalid") => assert_eq!(got, Err(VrfError::InvalidFarmerKey), "{pk}"),
            Some(other) => panic!("unknown refusal {other}"),
        }
    }
}
