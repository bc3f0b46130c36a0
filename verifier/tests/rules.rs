//! Every rejection reason of the chain rules, each from an otherwise valid header.

use crate::common;

use common::{farmers, header_on, spec};
use masspoc_proof::vrf::{self, VrfSecretKey};
use masspoc_verifier::header::HEADER_LEN;
use masspoc_verifier::{ChainParams, ChainSpec, ChainState, Header, Height, RejectError, Slot};

fn fresh() -> (ChainState, Header) {
    let state = ChainState::new(spec());
    let g = state.best().hash;
    let h = header_on(&state, &farmers()[0], &g, 0);
    (state, h)
}

/// Re-signs a modified header with its farmer's key.
fn resign(mut h: Header) -> Header {
    farmers()[0].sign(&mut h);
    h
}

fn reject(state: &mut ChainState, h: &Header) -> RejectError {
    state.accept_header(h, None).expect_err("must be rejected")
}

#[test]
fn an_honest_header_is_accepted_and_round_trips() {
    let (mut state, h) = fresh();
    assert_eq!(Header::decode(&h.encode()).unwrap(), h);
    let a = state.accept_header(&h, Some(h.timestamp_ms)).unwrap();
    assert!(a.best && !a.duplicate);
    assert!(state.accept_header(&h, None).unwrap().duplicate);
}

#[test]
fn bad_encoding() {
    let (_, h) = fresh();
    let b = h.encode();
    assert!(matches!(
        Header::decode(&b[..HEADER_LEN - 1]),
        Err(RejectError::BadEncoding(_))
    ));
    let mut long = b.to_vec();
    long.push(0);
    assert!(matches!(
        Header::decode(&long),
        Err(RejectError::BadEncoding(_))
    ));
    let mut v = b;
    v[0] = 2;
    assert!(matches!(
        Header::decode(&v),
        Err(RejectError::BadEncoding(_))
    ));
    let mut k = b;
    k[1 + 32 + 8 + 32 + 8 + 4 + 8 + 32] = 15; // the proof's k byte
    assert_eq!(Header::decode(&k).unwrap_err().code(), "bad_encoding");
}

#[test]
fn wrong_chain() {
    let (mut state, h) = fresh();
    let mut other = h;
    other.chain_id.0[0] ^= 1;
    // prev_hash still names this chain's genesis, so the parent is known.
    assert!(matches!(
        reject(&mut state, &resign(other)),
        RejectError::WrongChain { .. }
    ));
}

#[test]
fn unknown_parent_and_wrong_height() {
    let (mut state, h) = fresh();
    let mut orphan = h;
    orphan.prev_hash.0[0] ^= 1;
    assert_eq!(reject(&mut state, &resign(orphan)).code(), "unknown_parent");
    let mut high = h;
    high.height = Height(2);
    assert_eq!(reject(&mut state, &resign(high)).code(), "wrong_height");
}

#[test]
fn wrong_difficulty() {
    let (mut state, h) = fresh();
    let mut d = h;
    d.difficulty += 1;
    assert!(matches!(
        reject(&mut state, &resign(d)),
        RejectError::WrongDifficulty {
            expected: 2_000,
            got: 2_001
        }
    ));
}

#[test]
fn plot_below_minimum_k() {
    let mut p: ChainParams = common::params();
    p.min_k = 17;
    let mut state = ChainState::new(ChainSpec::new(p).unwrap());
    let g = state.best().hash;
    let h = header_on(&state, &farmers()[0], &g, 0);
    assert_eq!(reject(&mut state, &h).code(), "plot_too_small");
}

#[test]
fn bad_proof() {
    let (mut state, h) = fresh();
    let mut b = h;
    b.proof.x_prime ^= 1;
    assert_eq!(reject(&mut state, &resign(b)).code(), "bad_proof");
    let mut swapped = h;
    std::mem::swap(&mut swapped.proof.x, &mut swapped.proof.x_prime);
    assert_eq!(reject(&mut state, &resign(swapped)).code(), "bad_proof");
}

#[test]
fn wrong_challenge() {
    let (mut state, h) = fresh();
    // The same valid pair claimed for another slot answers another challenge.
    let mut w = h;
    w.slot = Slot(h.slot.0 + 1);
    w.timestamp_ms += 10 * common::params().slot_ms;
    let e = reject(&mut state, &resign(w));
    assert_eq!(e.code(), "wrong_challenge", "{e}");
}

#[test]
fn bad_vrf() {
    let (mut state, h) = fresh();
    let mut v = h;
    v.vrf_proof.0[40] ^= 1;
    assert_eq!(reject(&mut state, &resign(v)).code(), "bad_vrf");
    // A VRF proof over another alpha (the challenge of another slot).
    let mut other = h;
    let beta = state.best().beta;
    other.slot = Slot(h.slot.0 + 1);
    farmers()[0].reprove_vrf(&mut other, &beta);
    other.slot = h.slot;
    assert_eq!(reject(&mut state, &resign(other)).code(), "bad_vrf");
}

#[test]
fn deadline_not_met_and_future_drift() {
    let (mut state, h) = fresh();
    let mut early = h;
    early.timestamp_ms -= 1;
    let e = reject(&mut state, &resign(early));
    assert!(
        matches!(e, RejectError::DeadlineNotMet { earliest_ms, got_ms } if earliest_ms == h.timestamp_ms && got_ms + 1 == h.timestamp_ms),
        "{e}"
    );
    let drift = common::params().max_future_drift_ms;
    let now = h.timestamp_ms - drift - 1;
    let e = state.accept_header(&h, Some(now)).unwrap_err();
    assert_eq!(e.code(), "too_far_in_future");
    assert!(state.accept_header(&h, Some(now + 1)).is_ok());
}

#[test]
fn bad_signature() {
    let (mut state, h) = fresh();
    let mut s = h;
    s.signature[5] ^= 1;
    assert_eq!(reject(&mut state, &s), RejectError::BadSignature);
    // Signed by another farmer's key.
    let mut other = h;
    farmers()[1].sign(&mut other);
    assert_eq!(reject(&mut state, &other), RejectError::BadSignature);
    // Any change to a signed field breaks the signature.
    // (Checked on the header alone: in a block, the changed root no longer matches the body and
    // `body_mismatch` comes first.)
    let mut p = h;
    p.payload_root.0[0] ^= 1;
    assert_eq!(p.verify_signature(), Err(RejectError::BadSignature));
    assert_eq!(reject(&mut state, &p).code(), "body_mismatch");
}

/// The header `h` with a VRF key chosen freely (the RFC 8032 key of `sk_seed`) and a valid VRF
/// proof under it over the header's own challenge, re-signed by its farmer: everything valid but
/// the binding.
fn with_free_vrf_key(state: &ChainState, h: &Header, sk_seed: u8) -> Header {
    let other = VrfSecretKey::from_seed(&[sk_seed; 32]);
    let beta = state.node(&h.prev_hash).unwrap().beta;
    let c = masspoc_verifier::derive_challenge(&h.chain_id, h.height, h.slot, &beta);
    let mut g = *h;
    g.vrf_pk = other.public();
    g.vrf_proof = vrf::prove(&other, c.as_bytes());
    assert!(vrf::verify(&g.vrf_pk, c.as_bytes(), &g.vrf_proof).is_ok());
    resign(g)
}

/// The grinding attack of issue 11: one proof and timestamp, two freely chosen VRF keys, two
/// different next challenges. Both are refused at height 1 (the farmer's first header on the
/// branch, where a per-branch rule has nothing to compare with) and deeper, while the honest
/// header with the bound key is accepted.
#[test]
fn freely_chosen_vrf_keys_are_refused_at_height_one_and_deeper() {
    let f = &farmers()[0];
    let mut state = ChainState::new(spec());
    let mut parent = state.best().hash;
    for height in 1..=4u8 {
        let honest = header_on(&state, f, &parent, 0);
        let a = with_free_vrf_key(&state, &honest, 91);
        let b = with_free_vrf_key(&state, &honest, 92);
        assert_eq!((a.proof, a.timestamp_ms), (b.proof, b.timestamp_ms));
        assert_ne!(
            vrf::proof_to_hash(&a.vrf_proof).unwrap(),
            vrf::proof_to_hash(&b.vrf_proof).unwrap(),
            "two keys, two outputs: the choice the binding takes away"
        );
        for forged in [a, b] {
            let e = reject(&mut state, &forged);
            assert_eq!(e.code(), "vrf_key_not_bound", "height {height}: {e}");
            // The same header checked alone, as `verify-header` does: no state needed.
            assert!(matches!(
                masspoc_verifier::rules::check_vrf_binding(&forged),
                Err(RejectError::VrfKeyNotBound(_))
            ));
        }
        assert_eq!(
            Ok(honest.vrf_pk),
            vrf::bound_vrf_public(&honest.farmer()),
            "the honest header carries the bound key"
        );
        assert!(state.accept_header(&honest, None).unwrap().best);
        parent = honest.hash();
    }
}

/// Another farmer's bound key is not this farmer's: refused too.
#[test]
fn another_farmers_bound_vrf_key_is_refused() {
    let (mut state, h) = fresh();
    let theirs = vrf::bound_vrf_secret(&[2; 32]);
    let beta = state.best().beta;
    let c = masspoc_verifier::derive_challenge(&h.chain_id, h.height, h.slot, &beta);
    let mut g = h;
    g.vrf_pk = theirs.public();
    g.vrf_proof = vrf::prove(&theirs, c.as_bytes());
    assert_eq!(reject(&mut state, &resign(g)).code(), "vrf_key_not_bound");
}

/// The binding comes before the link checks in the validation order: a header for another chain
/// with an unbound key is refused for its key.
#[test]
fn the_binding_is_checked_before_the_chain_id() {
    let (mut state, h) = fresh();
    let mut g = with_free_vrf_key(&state, &h, 93);
    g.chain_id.0[0] ^= 1;
    assert_eq!(reject(&mut state, &resign(g)).code(), "vrf_key_not_bound");
}

#[test]
fn every_single_byte_change_is_refused() {
    let (state, h) = fresh();
    let good = h.encode();
    for i in 0..good.len() {
        for bit in [0x01u8, 0x80] {
            let mut b = good;
            b[i] ^= bit;
            if let Ok(m) = Header::decode(&b) {
                let mut s = state.clone();
                assert!(
                    s.accept_header(&m, None).is_err(),
                    "byte {i} bit {bit:#x} accepted"
                );
            }
        }
    }
}

#[test]
fn main_headers_pages_along_the_best_chain() {
    let state = ChainState::new(spec());
    let chain = masspoc_verifier::testkit::grow_chain(&state, farmers(), state.best().hash, 10);
    let mut s = state.clone();
    for h in &chain {
        s.accept_header(h, None).unwrap();
    }
    assert_eq!(s.main_headers(Height(0), 3), chain[..3].to_vec());
    assert_eq!(s.main_headers(Height(4), 100), chain[3..].to_vec());
    assert!(s.main_headers(Height(11), 5).is_empty());
    assert_eq!(s.best().height.next(), Some(Height(11)));
}

/// The chain's `probe_bits` is the window the rules check: honest headers of a b = 6 chain whose
/// pair lies in the window but not at the challenge's index `z` are accepted there and refused
/// (`wrong_challenge`) by the rules of a b = 0 chain.
#[test]
fn the_probe_window_is_the_chains() {
    use masspoc_proof::{f_value, probe, ProbeBits};
    use masspoc_verifier::rules::{check_proof, header_challenge};
    let mut p6 = common::params();
    p6.probe_bits = ProbeBits::new(6).unwrap();
    let spec6 = ChainSpec::new(p6).unwrap();
    let spec0 = spec();
    let mut state = ChainState::new(spec6.clone());
    let g = state.best().hash;
    let parent = state.parent_info(&g).unwrap();
    let mut off_index = 0;
    for f in farmers() {
        let h = header_on(&state, f, &g, 0);
        let ch = header_challenge(&h, &parent);
        let pr = &h.proof;
        let pid = pr.plot_id();
        let at_z = f_value(&pid, pr.k, pr.x, pr.x_prime) == probe(&pid, pr.k, &ch).z;
        check_proof(&h, &ch, &spec6).expect("in the window of a b = 6 chain");
        match check_proof(&h, &ch, &spec0) {
            Ok(_) => assert!(at_z, "a b = 0 chain accepts only the index z"),
            Err(e) => {
                assert!(!at_z);
                assert_eq!(e.code(), "wrong_challenge");
                off_index += 1;
            }
        }
        state
            .accept_header(&h, None)
            .expect("valid on the b = 6 chain");
    }
    assert!(off_index >= 1, "three proofs all at z: 1 in 2^18");
}
