//! The byte layouts and formulas of docs/protocol.md, recomputed here from the document with
//! plain BLAKE3 calls (not through the crate's own encoders).

mod common;

use common::{farmers, header_on, params, spec};
use masspoc_verifier::{derive_challenge, ChainState, Evidence, Height, Slot};

fn blake3_of(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    for p in parts {
        h.update(p);
    }
    *h.finalize().as_bytes()
}

#[test]
fn chain_id_and_genesis_follow_the_document() {
    let p = params();
    let mut enc = vec![p.name.len() as u8];
    enc.extend_from_slice(p.name.as_bytes());
    enc.extend_from_slice(&p.beacon.0);
    enc.extend_from_slice(&p.genesis_time_ms.to_le_bytes());
    enc.extend_from_slice(&p.target_interval_ms.to_le_bytes());
    enc.extend_from_slice(&p.slot_ms.to_le_bytes());
    enc.push(p.filter_bits.get() as u8);
    enc.push(p.min_k);
    enc.extend_from_slice(&p.initial_difficulty.to_le_bytes());
    enc.extend_from_slice(&p.retarget_window.to_le_bytes());
    enc.extend_from_slice(&p.max_future_drift_ms.to_le_bytes());
    enc.push(p.probe_bits.get() as u8);
    let id = blake3_of(&[b"masspoc/v1/chain", &enc]);
    let s = spec();
    assert_eq!(s.chain_id.0, id);
    assert_eq!(s.genesis.hash.0, blake3_of(&[b"masspoc/v1/genesis", &id]));
    let mut beta = [0u8; 64];
    let mut h = blake3::Hasher::new();
    h.update(b"masspoc/v1/genesis-beta");
    h.update(&id);
    h.finalize_xof().fill(&mut beta);
    assert_eq!(s.genesis.beta.0, beta);
    // Every parameter is committed to.
    let mut q = params();
    q.max_future_drift_ms += 1;
    assert_ne!(q.chain_id(), s.chain_id);
    let mut q = params();
    q.probe_bits = masspoc_proof::ProbeBits::new(6).unwrap();
    assert_ne!(q.chain_id(), s.chain_id);
    assert_eq!(
        *q.encode().last().unwrap(),
        6,
        "probe_bits is the last byte"
    );
}

#[test]
fn probe_bits_default_to_zero_and_stay_below_min_k() {
    let mut json = serde_json::to_value(params()).unwrap();
    json.as_object_mut().unwrap().remove("probe_bits");
    let p: masspoc_verifier::ChainParams = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(p.probe_bits, masspoc_proof::ProbeBits::NONE);
    json["probe_bits"] = 17.into();
    assert!(serde_json::from_value::<masspoc_verifier::ChainParams>(json).is_err());
    let mut q = params();
    q.probe_bits = masspoc_proof::ProbeBits::new(16).unwrap();
    let e = q.validate().unwrap_err().to_string();
    assert!(e.contains("probe_bits"), "{e}");
    q.min_k = 17;
    q.validate().unwrap();
}

#[test]
fn challenge_follows_the_document() {
    let s = spec();
    let beta = s.genesis.beta;
    let c0 = blake3_of(&[
        b"masspoc/v1/challenge",
        &s.chain_id.0,
        &7u64.to_le_bytes(),
        &beta.0,
    ]);
    assert_eq!(
        derive_challenge(&s.chain_id, Height(7), Slot(0), &beta).0,
        c0
    );
    let c3 = blake3_of(&[
        b"masspoc/v1/challenge",
        &s.chain_id.0,
        &7u64.to_le_bytes(),
        &beta.0,
        &3u32.to_le_bytes(),
    ]);
    assert_eq!(
        derive_challenge(&s.chain_id, Height(7), Slot(3), &beta).0,
        c3
    );
}

#[test]
fn header_bytes_hash_and_signing_message_follow_the_document() {
    let state = ChainState::new(spec());
    let h = header_on(&state, &farmers()[0], &state.best().hash, 5);
    let b = h.encode();
    assert_eq!(b.len(), 382);
    assert_eq!(b[0], 1);
    assert_eq!(&b[1..33], &h.chain_id.0);
    assert_eq!(&b[33..41], &h.height.0.to_le_bytes());
    assert_eq!(&b[41..73], &h.prev_hash.0);
    assert_eq!(&b[73..81], &h.timestamp_ms.to_le_bytes());
    assert_eq!(&b[81..85], &h.slot.0.to_le_bytes());
    assert_eq!(&b[85..93], &h.difficulty.to_le_bytes());
    assert_eq!(&b[93..174], &h.proof.encode());
    assert_eq!(&b[174..206], &h.vrf_pk.0);
    assert_eq!(&b[206..286], &h.vrf_proof.0);
    assert_eq!(&b[286..318], &h.payload_root.0);
    assert_eq!(&b[318..382], &h.signature);
    let hash = blake3_of(&[b"masspoc/v1/header", &b[..318]]);
    assert_eq!(h.hash().0, hash);
    let msg = h.signing_message();
    assert_eq!(&msg[..22], b"masspoc/v1/sign-header");
    assert_eq!(&msg[22..54], &h.chain_id.0);
    assert_eq!(&msg[54..], &hash);
    // The signature verifies with plain ed25519-dalek over those bytes.
    let vk = ed25519_dalek::VerifyingKey::from_bytes(&h.proof.farmer_pk.0).unwrap();
    vk.verify_strict(&msg, &ed25519_dalek::Signature::from_bytes(&h.signature))
        .unwrap();
}

#[test]
fn evidence_bytes_and_id_follow_the_document() {
    let state = ChainState::new(spec());
    let g = state.best().hash;
    let a = header_on(&state, &farmers()[0], &g, 1);
    let b = header_on(&state, &farmers()[0], &g, 2);
    let (lo, hi) = if a.hash().0 < b.hash().0 {
        (a, b)
    } else {
        (b, a)
    };
    let mut enc = lo.encode().to_vec();
    enc.extend_from_slice(&hi.encode());
    let e = Evidence::new(a, b).unwrap();
    assert_eq!(e.encode(), enc);
    assert_eq!(e.id().0, blake3_of(&[b"masspoc/v1/evidence", &enc]));
}

#[test]
fn deadline_is_score_times_difficulty_over_2_pow_80() {
    use masspoc_proof::Score;
    use masspoc_verifier::deadline_ms;
    // 3 * 2^78 * 4 / 2^80 = 3, and a product beyond 128 bits: 2^90 * 2^50 / 2^80 = 2^60.
    assert_eq!(deadline_ms(Score(3 << 78), 4), 3);
    assert_eq!(deadline_ms(Score(1 << 90), 1 << 50), 1 << 60);
}
