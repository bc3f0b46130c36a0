//! The byte layouts and formulas of docs/protocol.md, recomputed here from the document with
//! plain BLAKE3 calls (not through the crate's own encoders).

use crate::common;

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
    enc.extend_from_slice(&p.anchor_confirmations.to_le_bytes());
    enc.extend_from_slice(&p.finality_window.to_le_bytes());
    enc.extend_from_slice(&p.finality_depth.to_le_bytes());
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
    let enc = q.encode();
    assert_eq!(enc[enc.len() - 13], 6, "probe_bits is followed by 12 bytes");
    for bump in [
        |q: &mut masspoc_verifier::ChainParams| q.anchor_confirmations += 1,
        |q: &mut masspoc_verifier::ChainParams| q.finality_window += 1,
        |q: &mut masspoc_verifier::ChainParams| q.finality_depth += 1,
    ] {
        let mut q = params();
        bump(&mut q);
        assert_ne!(q.chain_id(), s.chain_id);
    }
    let mut q = params();
    q.finality_depth = 0x0102_0304;
    assert_eq!(
        &q.encode()[enc.len() - 4..],
        &[4, 3, 2, 1],
        "finality_depth last, u32le"
    );
}

#[test]
fn finality_params_default_and_are_checked() {
    let mut json = serde_json::to_value(params()).unwrap();
    for f in ["anchor_confirmations", "finality_window", "finality_depth"] {
        json.as_object_mut().unwrap().remove(f);
    }
    let p: masspoc_verifier::ChainParams = serde_json::from_value(json).unwrap();
    assert_eq!(
        (p.anchor_confirmations, p.finality_window, p.finality_depth),
        (6, 48, 32)
    );
    for (name, set) in [
        (
            "anchor_confirmations",
            (|q: &mut masspoc_verifier::ChainParams| q.anchor_confirmations = 0) as fn(&mut _),
        ),
        ("anchor_confirmations", |q| q.anchor_confirmations = 1_001),
        ("finality_window", |q| q.finality_window = 0),
        ("finality_depth", |q| q.finality_depth = 0),
        ("finality_depth", |q| q.finality_depth = 100_001),
    ] {
        let mut q = params();
        set(&mut q);
        let e = q.validate().unwrap_err().to_string();
        assert!(e.contains(name), "{e}");
    }
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

/// Chain ids and genesis of `vectors/chain_id.json`, derived from the document's `encode(params)`
/// by `vectors/chain_id.py` (the `blake3` PyPI package, not this crate).
#[test]
fn chain_ids_match_the_python_known_answers() {
    let v: serde_json::Value = serde_json::from_str(include_str!("vectors/chain_id.json")).unwrap();
    let cases = v.as_array().unwrap();
    assert_eq!(cases.len(), 3);
    for c in cases {
        let p: masspoc_verifier::ChainParams = serde_json::from_value(c["params"].clone()).unwrap();
        let s = masspoc_verifier::ChainSpec::new(p).unwrap();
        assert_eq!(s.chain_id.to_hex(), c["chain_id"].as_str().unwrap());
        assert_eq!(s.genesis.hash.to_hex(), c["genesis_hash"].as_str().unwrap());
        assert_eq!(
            hex::encode(s.genesis.beta.0),
            c["genesis_beta"].as_str().unwrap()
        );
    }
    // The first is the shared test chain (its finality parameters at their defaults).
    assert_eq!(
        spec().chain_id.to_hex(),
        cases[0]["chain_id"].as_str().unwrap()
    );
}
