//! Evidence carried in block bodies: the body encoding against independent known answers, its
//! strictness, the body root check, bans per branch from the including block, junk evidence
//! refused with its reason, and the same tip and bans in every arrival order
//! (`docs/protocol.md`, "Block body" and "Evidence in blocks and bans").

use crate::common;

use common::{body_of, farmers, header_on, spec, topological_shuffle};
use masspoc_verifier::body::{MAX_BODY_EVIDENCE, MAX_PAYLOAD_LEN};
use masspoc_verifier::evidence::EVIDENCE_LEN;
use masspoc_verifier::{
    Block, Body, BodyError, ChainParams, ChainSpec, ChainState, Evidence, HeaderHash, Height,
    RejectError,
};
use rand::seq::SliceRandom;
use rand::{rngs::StdRng, SeedableRng};
use std::collections::{BTreeMap, BTreeSet};

const VECTORS: &str = include_str!("vectors/body.json");
const VECTOR_EVIDENCE: &str = include_str!("vectors/body_evidence.txt");

fn vector_evidence() -> Vec<Evidence> {
    VECTOR_EVIDENCE
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| Evidence::from_hex(l).unwrap())
        .collect()
}

/// `body.json` was computed by `vectors/body.py` with the `blake3` PyPI package.
#[test]
fn body_encoding_and_root_match_the_python_known_answers() {
    let v: serde_json::Value = serde_json::from_str(VECTORS).unwrap();
    let ev = vector_evidence();
    for (e, id) in ev.iter().zip(v["evidence_ids"].as_array().unwrap()) {
        assert_eq!(e.id().to_hex(), id.as_str().unwrap());
    }
    let cases = v["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 4);
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let picked: Vec<Evidence> = c["evidence_inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| ev[i.as_u64().unwrap() as usize])
            .collect();
        let payload = hex::decode(c["payload_hex"].as_str().unwrap()).unwrap();
        let body = Body::new(picked, payload).unwrap();
        let enc = hex::decode(c["encoding_hex"].as_str().unwrap()).unwrap();
        assert_eq!(body.encode(), enc, "{name}: encoding");
        assert_eq!(
            body.root().to_hex(),
            c["root_hex"].as_str().unwrap(),
            "{name}: root"
        );
        assert_eq!(Body::decode(&enc).unwrap(), body, "{name}: decode");
    }
    assert_eq!(
        Body::empty_root().to_hex(),
        cases[0]["root_hex"].as_str().unwrap()
    );
}

#[test]
fn the_body_encoding_is_strict() {
    let ev = vector_evidence();
    let two = Body::new(ev.clone(), b"xyz".to_vec()).unwrap();
    let enc = two.encode();
    let err = |b: &[u8]| Body::decode(b).unwrap_err();
    // Trailing and missing bytes.
    let mut long = enc.clone();
    long.push(0);
    assert_eq!(err(&long), BodyError::TrailingBytes(1));
    assert!(matches!(
        err(&enc[..enc.len() - 1]),
        BodyError::Truncated(_)
    ));
    assert!(matches!(err(&[0]), BodyError::Truncated(_)));
    assert!(matches!(err(&[]), BodyError::Truncated(_)));
    // The two pieces of evidence swapped: unsorted.
    let mut swapped = enc[..2].to_vec();
    swapped.extend_from_slice(&enc[2 + EVIDENCE_LEN..2 + 2 * EVIDENCE_LEN]);
    swapped.extend_from_slice(&enc[2..2 + EVIDENCE_LEN]);
    swapped.extend_from_slice(&enc[2 + 2 * EVIDENCE_LEN..]);
    assert_eq!(err(&swapped), BodyError::UnsortedEvidence(1));
    // The same piece twice.
    let mut dup = enc[..2 + EVIDENCE_LEN].to_vec();
    dup.extend_from_slice(&enc[2..]);
    dup.truncate(2 + 2 * EVIDENCE_LEN);
    dup.extend_from_slice(&enc[2 + 2 * EVIDENCE_LEN..]);
    assert_eq!(err(&dup), BodyError::DuplicateEvidence(1));
    assert_eq!(
        Body::new(vec![ev[0], ev[0]], Vec::new()).unwrap_err(),
        BodyError::DuplicateEvidence(1)
    );
    // Too much evidence: refused from the count alone.
    let mut many = ((MAX_BODY_EVIDENCE + 1) as u16).to_le_bytes().to_vec();
    many.extend_from_slice(&enc[2..]);
    assert_eq!(err(&many), BodyError::TooMuchEvidence(17));
    // A payload one byte too long, by its length field and by value.
    let mut big = vec![0, 0];
    big.extend_from_slice(&((MAX_PAYLOAD_LEN + 1) as u32).to_le_bytes());
    big.resize(big.len() + MAX_PAYLOAD_LEN + 1, 7);
    assert_eq!(err(&big), BodyError::PayloadTooLong(65_537));
    assert_eq!(
        Body::new(Vec::new(), vec![0; MAX_PAYLOAD_LEN + 1]).unwrap_err(),
        BodyError::PayloadTooLong(65_537)
    );
    assert!(Body::new(Vec::new(), vec![0; MAX_PAYLOAD_LEN]).is_ok());
    // Evidence that does not verify.
    let mut forged = enc.clone();
    forged[2 + EVIDENCE_LEN - 1] ^= 1; // last signature byte of the first evidence
    assert!(matches!(err(&forged), BodyError::BadEvidence(0, _)));
    // A block is the header then the body, round trip.
    let state = ChainState::new(spec());
    let h = header_on(&state, &farmers()[0], &state.best().hash, 0);
    let block = Block {
        header: h,
        body: two.clone(),
    };
    assert_eq!(Block::decode(&block.encode()).unwrap(), block);
    let mut tail = block.encode();
    tail.push(1);
    assert_eq!(Block::decode(&tail).unwrap_err().code(), "bad_body");
}

#[test]
fn a_body_that_does_not_match_its_root_is_refused() {
    let mut state = ChainState::new(spec());
    let g = state.best().hash;
    let good = common::block_on(&state, &farmers()[0], &g, 5);
    let wrong = Block {
        header: good.header,
        body: body_of(6),
    };
    assert_eq!(
        state.accept_block(&wrong, None).unwrap_err().code(),
        "body_mismatch"
    );
    // `accept_header` means "with the empty body".
    assert_eq!(
        state.accept_header(&good.header, None).unwrap_err().code(),
        "body_mismatch"
    );
    // A body breaking its own rules (built by hand, unsorted) is `bad_body` even under its root.
    let ev = vector_evidence();
    let mut unsorted = Body::new(ev.clone(), Vec::new()).unwrap();
    unsorted.evidence.reverse();
    let info = state.parent_info(&g).unwrap();
    let d = state.next_difficulty(&g).unwrap();
    let c = farmers()[0].candidate(state.spec(), &info, d, 64).unwrap();
    let bad = Block {
        header: farmers()[0].header(state.spec(), &info, d, &c, unsorted.root()),
        body: unsorted,
    };
    assert_eq!(
        state.accept_block(&bad, None).unwrap_err().code(),
        "bad_body"
    );
    // Refusing a body leaves the header free: with its real body it is accepted.
    assert!(state.accept_block(&good, None).unwrap().best);
}

/// Builds a block of farmer `f` on `parent` carrying `evidence` and payload `[tag]`.
fn build(state: &ChainState, f: usize, parent: &HeaderHash, tag: u8, ev: Vec<Evidence>) -> Block {
    let (info, d, c) = common::candidate(state, &farmers()[f], parent);
    let body = Body::new(ev, vec![tag]).unwrap();
    farmers()[f].block(state.spec(), &info, d, &c, body)
}

/// Builds and accepts; returns the block.
fn grow(s: &mut ChainState, f: usize, parent: &HeaderHash, tag: u8, ev: Vec<Evidence>) -> Block {
    let b = build(s, f, parent, tag, ev);
    s.accept_block(&b, None).expect("valid block");
    b
}

/// Equivocation of farmer `f` at the child height of `parent`: two blocks, different payloads.
fn equivocation(state: &ChainState, f: usize, parent: &HeaderHash) -> (Block, Block, Evidence) {
    let a = build(state, f, parent, 200, Vec::new());
    let b = build(state, f, parent, 201, Vec::new());
    let e = Evidence::new(a.header, b.header).unwrap();
    (a, b, e)
}

/// The scenario of the ban tests and the orders test.
///
/// ```text
/// G - a1(f1) - a2(f0) - a3(f1) - a4(f2, evidence e) - a5(f1) - [a6(f0): banned]
///           \  x2(f0)  (twin of a2: e = evidence(a2, x2))
///                           \ b4(f2) - b5(f0) - b6(f1, evidence e) - [b7(f0): banned]
///                                           \ c6(f0) - c7(f2)
/// ```
struct Scenario {
    valid: Vec<Block>,
    banned: Vec<Block>,
    e: Evidence,
    a4: Block,
    b6: Block,
    c7: Block,
}

fn scenario() -> Scenario {
    let mut s = ChainState::new(spec());
    let g = s.best().hash;
    let a1 = grow(&mut s, 1, &g, 1, Vec::new());
    let (a2, x2, e) = equivocation(&s, 0, &a1.hash());
    s.accept_block(&a2, None).unwrap();
    s.accept_block(&x2, None).unwrap();
    let a3 = grow(&mut s, 1, &a2.hash(), 3, Vec::new());
    let a4 = grow(&mut s, 2, &a3.hash(), 4, vec![e]);
    let a5 = grow(&mut s, 1, &a4.hash(), 5, Vec::new());
    let a6 = build(&s, 0, &a5.hash(), 6, Vec::new());
    let b4 = grow(&mut s, 2, &a3.hash(), 14, Vec::new());
    let b5 = grow(&mut s, 0, &b4.hash(), 15, Vec::new());
    let b6 = grow(&mut s, 1, &b5.hash(), 16, vec![e]);
    let b7 = build(&s, 0, &b6.hash(), 17, Vec::new());
    let c6 = grow(&mut s, 0, &b5.hash(), 26, Vec::new());
    let c7 = grow(&mut s, 2, &c6.hash(), 27, Vec::new());
    Scenario {
        valid: vec![
            a1,
            a2,
            x2,
            a3,
            a4.clone(),
            a5,
            b4,
            b5,
            b6.clone(),
            c6,
            c7.clone(),
        ],
        banned: vec![a6, b7],
        e,
        a4,
        b6,
        c7,
    }
}

#[test]
fn a_ban_applies_from_the_including_block_on_its_branch_only() {
    let sc = scenario();
    let f0 = farmers()[0].farmer_pk();
    let mut s = ChainState::new(spec());
    for b in &sc.valid {
        s.accept_block(b, None).unwrap();
    }
    // Bans are read from the branch: from a4 on the a branch, from b6 on the b branch, none on c.
    let a4 = s.node(&sc.a4.hash()).unwrap();
    assert_eq!(a4.branch.banned_from(&f0), Some(Height(4)));
    assert_eq!(
        s.node(&sc.b6.hash()).unwrap().branch.banned_from(&f0),
        Some(Height(6))
    );
    let c7 = s.node(&sc.c7.hash()).unwrap();
    assert_eq!(c7.branch.banned_from(&f0), None);
    assert_eq!(c7.branch.ban_count(), 0);
    // The offender's descendants of the including block are refused...
    for b in &sc.banned {
        let e = s.accept_block(b, None).unwrap_err();
        assert!(matches!(e, RejectError::BannedKey { .. }), "{e}");
    }
    // ...its ancestors of it (a2, b5: above the equivocation height 2 for b5) stay, and on the
    // branch without the evidence it still farms (c6 above).
    assert!(s.node(&sc.valid[1].hash()).is_some());
    assert!(s.node(&sc.valid[7].hash()).is_some());
    // A new block on c can still include the evidence, and then f0 is banned there too.
    let c8 = build(&s, 1, &sc.c7.hash(), 28, vec![sc.e]);
    s.accept_block(&c8, None).unwrap();
    let after = build(&s, 0, &c8.hash(), 29, Vec::new());
    assert_eq!(
        s.accept_block(&after, None).unwrap_err(),
        RejectError::BannedKey { from: 8 }
    );
}

#[test]
fn evidence_is_refused_with_its_reason() {
    let sc = scenario();
    let mut s = ChainState::new(spec());
    for b in &sc.valid {
        s.accept_block(b, None).unwrap();
    }
    let code = |s: &mut ChainState, b: &Block| s.accept_block(b, None).unwrap_err().code();
    let a5 = sc.valid[5].hash();
    // Once per branch: the same evidence again, or another pair of the same farmer.
    let again = build(&s, 2, &a5, 40, vec![sc.e]);
    assert_eq!(code(&mut s, &again), "evidence_already_included");
    let a1 = sc.valid[0].hash();
    let (_, _, e_other) = {
        let a = build(&s, 0, &a1, 210, Vec::new());
        let b = build(&s, 0, &a1, 211, Vec::new());
        (
            a.clone(),
            b.clone(),
            Evidence::new(a.header, b.header).unwrap(),
        )
    };
    assert_ne!(e_other.id(), sc.e.id());
    let other_pair = build(&s, 2, &a5, 41, vec![e_other]);
    assert_eq!(code(&mut s, &other_pair), "evidence_already_included");
    assert_eq!(
        s.includable(&a5, &e_other).unwrap_err().code(),
        "evidence_already_included"
    );
    // Two pieces against one farmer in one body.
    let c7 = sc.c7.hash();
    let both = build(&s, 1, &c7, 42, vec![sc.e, e_other]);
    assert_eq!(code(&mut s, &both), "evidence_already_included");
    // Not against the including block's own signer.
    let own = build(&s, 0, &c7, 43, vec![sc.e]);
    assert_eq!(code(&mut s, &own), "evidence_against_signer");
    // A farmer with no block on the branch (f2 farmed only on a4 and later, not on a1's branch).
    let (_, _, e_f2) = equivocation(&s, 2, &a1);
    assert_eq!(
        s.includable(&a1, &e_f2).unwrap_err().code(),
        "evidence_unknown_farmer"
    );
    let unknown = build(&s, 1, &a1, 44, vec![e_f2]);
    assert_eq!(code(&mut s, &unknown), "evidence_unknown_farmer");
    assert!(s.includable(&c7, &e_f2).is_ok());
    // Evidence of another chain instance.
    let mut p: ChainParams = common::params();
    p.name = "another chain".into();
    let other = ChainState::new(ChainSpec::new(p).unwrap());
    let og = other.best().hash;
    let x = header_on(&other, &farmers()[1], &og, 1);
    let y = header_on(&other, &farmers()[1], &og, 2);
    let e_chain = Evidence::new(x, y).unwrap();
    assert_eq!(
        s.includable(&c7, &e_chain).unwrap_err().code(),
        "evidence_wrong_chain"
    );
    let wrong = build(&s, 2, &c7, 45, vec![e_chain]);
    assert_eq!(code(&mut s, &wrong), "evidence_wrong_chain");
    // The pool's check on an unknown parent.
    assert_eq!(
        s.includable(&HeaderHash([9; 32]), &sc.e)
            .unwrap_err()
            .code(),
        "unknown_parent"
    );
    // And where it is includable, it is.
    assert!(s.includable(&c7, &sc.e).is_ok());
}

/// What a node ends with: best tip, the bans of its branch, the blocks it refused.
type Outcome = (
    HeaderHash,
    Vec<(masspoc_proof::FarmerPublicKey, Height)>,
    BTreeSet<HeaderHash>,
);

/// Feeds blocks in `order` as a node would: a block whose parent is unknown waits beside and is
/// retried after each acceptance; a refused block is remembered.
fn run(order: &[Block]) -> Outcome {
    let mut s = ChainState::new(spec());
    let mut waiting: Vec<Block> = Vec::new();
    let mut refused = BTreeSet::new();
    for b in order {
        waiting.push(b.clone());
        loop {
            let mut progress = false;
            let mut still = Vec::new();
            for w in std::mem::take(&mut waiting) {
                match s.accept_block(&w, None) {
                    Ok(_) => progress = true,
                    Err(RejectError::UnknownParent(_)) => still.push(w),
                    Err(_) => {
                        refused.insert(w.hash());
                    }
                }
            }
            waiting = still;
            if !progress {
                break;
            }
        }
    }
    assert!(waiting.is_empty(), "every parent arrived");
    (s.best().hash, s.best().branch.bans().collect(), refused)
}

#[test]
fn every_arrival_order_reaches_the_same_tip_and_bans() {
    let sc = scenario();
    let mut all: Vec<Block> = sc.valid.iter().chain(&sc.banned).cloned().collect();
    let reference = run(&all);
    let expect_refused: BTreeSet<HeaderHash> = sc.banned.iter().map(Block::hash).collect();
    assert_eq!(reference.2, expect_refused);
    let mut rng = StdRng::seed_from_u64(12);
    let mut tips = BTreeMap::new();
    for i in 0..40 {
        // Half the runs in any order (orphans wait), half parents first.
        if i % 2 == 0 {
            all.shuffle(&mut rng);
        } else {
            all = topological_shuffle(&all, &mut rng);
        }
        let out = run(&all);
        assert_eq!(out, reference, "order {i}");
        *tips.entry(out.0).or_insert(0) += 1;
    }
    assert_eq!(tips.len(), 1);
    // The batch path agrees.
    let mut batch = ChainState::new(spec());
    let ordered = topological_shuffle(&sc.valid, &mut rng);
    assert!(batch
        .accept_sequence(&ordered, None)
        .iter()
        .all(Result::is_ok));
    assert_eq!(batch.best().hash, reference.0);
    let banned = topological_shuffle(&all, &mut rng);
    let r = masspoc_verifier::batch::accept_sequence(&mut ChainState::new(spec()), &banned, None);
    for (b, r) in banned.iter().zip(&r) {
        assert_eq!(r.is_err(), expect_refused.contains(&b.hash()), "batch");
    }
}
