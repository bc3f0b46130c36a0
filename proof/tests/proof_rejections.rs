//! Swapped, out-of-range, tampered and malformed proofs are rejected with the right reason.

use masspoc_proof::{Challenge, FilterBits, ProbeBits, Proof, ProofError, PROOF_LEN};
use proptest::prelude::*;
use serde_json::Value;

fn valid() -> (Proof, Challenge) {
    let v: Value =
        serde_json::from_str(include_str!("vectors/proof_vectors.json")).expect("vectors parse");
    let vp = &v["plots"][0]["valid_proof"];
    let proof = Proof::decode(&hex::decode(vp["encoded"].as_str().unwrap()).unwrap()).unwrap();
    let mut c = [0u8; 32];
    hex::decode_to_slice(vp["challenge"].as_str().unwrap(), &mut c).unwrap();
    (proof, Challenge(c))
}

#[test]
fn swapped_pair_is_wrong_order() {
    let (p, c) = valid();
    let swapped = Proof {
        x: p.x_prime,
        x_prime: p.x,
        ..p
    };
    assert_eq!(
        swapped.verify(&c, FilterBits::NONE, ProbeBits::NONE),
        Err(ProofError::WrongOrder)
    );
}

#[test]
fn out_of_range_members() {
    let (p, c) = valid();
    let k = p.k;
    for (x, xp) in [
        (k.domain(), p.x_prime),
        (p.x, k.domain()),
        (u64::MAX, p.x_prime),
    ] {
        let bad = Proof {
            x,
            x_prime: xp,
            ..p
        };
        assert_eq!(
            bad.verify(&c, FilterBits::NONE, ProbeBits::NONE),
            Err(ProofError::OutOfRange { k: k.get() })
        );
    }
}

#[test]
fn bad_encodings() {
    let (p, _) = valid();
    let enc = p.encode();
    assert!(matches!(
        Proof::decode(&enc[..PROOF_LEN - 1]),
        Err(ProofError::BadEncoding(_))
    ));
    let mut long = enc.to_vec();
    long.push(0);
    assert!(matches!(
        Proof::decode(&long),
        Err(ProofError::BadEncoding(_))
    ));
    for bad_k in [0u8, 15, 41, 255] {
        let mut e = enc;
        e[32] = bad_k;
        assert_eq!(Proof::decode(&e), Err(ProofError::KOutOfRange(bad_k)));
    }
}

#[test]
fn another_challenge_gives_wrong_index_or_filter() {
    let (p, c) = valid();
    let mut other = c;
    other.0[0] ^= 1;
    assert!(matches!(
        p.verify(&other, FilterBits::NONE, ProbeBits::NONE),
        Err(ProofError::WrongIndex { .. })
    ));
}

proptest! {
    /// Flipping any bit of the encoding never yields another valid proof for the same challenge
    /// (only the unchanged encoding verifies).
    #[test]
    fn tampered_proofs_are_rejected(byte in 0usize..PROOF_LEN, bit in 0u8..8) {
        let (p, c) = valid();
        let mut e = p.encode();
        e[byte] ^= 1 << bit;
        match Proof::decode(&e) {
            Err(ProofError::KOutOfRange(_)) => {}
            Err(other) => prop_assert!(false, "unexpected decode error {other}"),
            Ok(t) => prop_assert!(t.verify(&c, FilterBits::NONE, ProbeBits::NONE).is_err(), "tampered proof verified: byte {byte} bit {bit}"),
        }
    }

    /// Arbitrary bytes never panic the decoder or the verifier.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200), c in any::<[u8; 32]>(), bits in 0u32..40, probe in 0u32..20) {
        let (f, b) = (FilterBits::new(bits), ProbeBits::new(probe));
        prop_assert_eq!(f.is_ok(), bits <= 32);
        prop_assert_eq!(b.is_ok(), probe <= 16);
        if let (Ok(p), Ok(f), Ok(b)) = (Proof::decode(&bytes), f, b) {
            let _ = p.verify(&Challenge(c), f, b);
        }
    }
}
