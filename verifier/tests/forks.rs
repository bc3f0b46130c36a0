//! Fork choice is a function of the set of blocks, whatever order they arrive in; batch acceptance agrees with one-by-one acceptance; no farmer can pick a future challenge.

use crate::common;

use common::{block_on, farmers, spec, topological_shuffle};
use masspoc_verifier::batch::accept_sequence;
use masspoc_verifier::testkit::grow_chain;
use masspoc_verifier::{derive_challenge, Block, Body, ChainState, Height, Slot};
use rand::{rngs::StdRng, SeedableRng};

/// A block tree: a main line of 6 by racing farmers, a side branch of 3 from height 2 and two
/// competing siblings at the tip.
fn tree() -> Vec<Block> {
    let state = ChainState::new(spec());
    let g = state.best().hash;
    let main = grow_chain(&state, farmers(), g, 6);
    let mut s = state.clone();
    for h in &main {
        s.accept_header(h, None).unwrap();
    }
    let side = grow_chain(&s, &farmers()[1..2], main[1].hash(), 3);
    let sib_a = block_on(&s, &farmers()[2], &main[5].hash(), 10);
    let sib_b = block_on(&s, &farmers()[1], &main[5].hash(), 11);
    let mut all: Vec<Block> = main.into_iter().chain(side).map(Block::empty).collect();
    all.push(sib_a);
    all.push(sib_b);
    all
}

#[test]
fn forks_resolve_identically_in_every_order() {
    let blocks = tree();
    let mut rng = StdRng::seed_from_u64(5);
    let mut tips = Vec::new();
    for _ in 0..30 {
        let mut state = ChainState::new(spec());
        for b in topological_shuffle(&blocks, &mut rng) {
            state.accept_block(&b, None).unwrap();
        }
        tips.push(state.best().hash);
    }
    tips.dedup();
    assert_eq!(tips.len(), 1, "every order must end on the same tip");
}

#[test]
fn batch_acceptance_matches_one_by_one() {
    let blocks = tree();
    let mut one = ChainState::new(spec());
    for b in &blocks {
        one.accept_block(b, None).unwrap();
    }
    let mut batch = ChainState::new(spec());
    let results = accept_sequence(&mut batch, &blocks, None);
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(one.best().hash, batch.best().hash);
    // A bad header in the middle rejects it and its descendants only.
    let mut bad = blocks.clone();
    bad[2].header.signature[0] ^= 1;
    let mut state = ChainState::new(spec());
    let r = accept_sequence(&mut state, &bad, None);
    assert_eq!(r[2].as_ref().unwrap_err().code(), "bad_signature");
    assert_eq!(r[3].as_ref().unwrap_err().code(), "unknown_parent");
    assert!(r[0].is_ok() && r[1].is_ok() && r[6].is_ok());
}

#[test]
fn reorg_bound_refuses_deep_switches() {
    let state0 = ChainState::new(spec());
    let g = state0.best().hash;
    let a = grow_chain(&state0, &farmers()[..1], g, 2);
    // The other farmers on branch b (so the branches differ from height 1 whatever the chain's
    // challenges are): its 30 blocks outweigh a's 2.
    let b = grow_chain(&state0, &farmers()[1..], g, 30);
    let mut bounded = state0.clone();
    bounded.set_max_reorg_depth(Some(1));
    for h in &a {
        bounded.accept_header(h, None).unwrap();
    }
    let mut refused = false;
    for h in &b {
        refused |= bounded.accept_header(h, None).unwrap().reorg_refused;
    }
    let mut free = state0.clone();
    for h in a.iter().chain(&b) {
        free.accept_header(h, None).unwrap();
    }
    // Unbounded, the heavier branch wins; bounded to depth 1, the switch is refused.
    assert_eq!(free.best().hash, b[29].hash());
    assert!(free.reorg_count() >= 1);
    assert!(refused);
    assert_eq!(bounded.best().hash, a[1].hash());
}

#[test]
fn no_farmer_can_pick_the_next_challenge() {
    let state = ChainState::new(spec());
    let g = state.best().hash;
    let f = &farmers()[0];
    // Whatever the winner varies in its block (payload, timestamp), its VRF output is the same,
    // so the next challenge is the same.
    let blk1 = block_on(&state, f, &g, 1);
    let mut blk2 = block_on(&state, f, &g, 2);
    blk2.header.timestamp_ms += 5_000;
    f.sign(&mut blk2.header);
    let (h1, h2) = (blk1.header, blk2.header);
    let mut s1 = state.clone();
    let mut s2 = state.clone();
    s1.accept_block(&blk1, None).unwrap();
    s2.accept_block(&blk2, None).unwrap();
    let b1 = s1.node(&h1.hash()).unwrap().beta;
    let b2 = s2.node(&h2.hash()).unwrap().beta;
    assert_eq!(b1, b2);
    let c1 = derive_challenge(&h1.chain_id, Height(2), Slot(0), &b1);
    assert_eq!(c1, derive_challenge(&h2.chain_id, Height(2), Slot(0), &b2));
    // Withholding only hands the height to another farmer, whose output the withholder does not
    // control; the order in which blocks arrive changes nothing.
    let other = block_on(&state, &farmers()[1], &g, 3);
    let mut s3 = state.clone();
    s3.accept_block(&other, None).unwrap();
    assert_ne!(s3.node(&other.hash()).unwrap().beta, b1);
    let mut ab = state.clone();
    let mut ba = state.clone();
    ab.accept_block(&blk1, None).unwrap();
    ab.accept_block(&other, None).unwrap();
    ba.accept_block(&other, None).unwrap();
    ba.accept_block(&blk1, None).unwrap();
    assert_eq!(ab.best().hash, ba.best().hash);
    let next = |s: &ChainState| {
        let tip = s.best();
        derive_challenge(
            &s.spec().chain_id,
            tip.height.next().unwrap(),
            Slot(0),
            &tip.beta,
        )
    };
    assert_eq!(next(&ab), next(&ba));
}

#[test]
fn a_later_slot_loses_and_offering_both_is_slashable() {
    let state = ChainState::new(spec());
    let g = state.best().hash;
    let f = &farmers()[0];
    let info = state.parent_info(&g).unwrap();
    let d = state.next_difficulty(&g).unwrap();
    let best = f.candidate(state.spec(), &info, d, 64).unwrap();
    // The same farmer's best candidate among slots after its best one.
    let later = (best.slot.0 + 1..best.slot.0 + 64)
        .find_map(|s| {
            let c = derive_challenge(&state.spec().chain_id, Height(1), Slot(s), &info.beta);
            let (proof, score) = f.best_proof(
                &c,
                masspoc_proof::FilterBits::NONE,
                masspoc_proof::ProbeBits::NONE,
            )?;
            let dl = masspoc_verifier::deadline_ms(score, d);
            let ts = masspoc_verifier::rules::earliest_timestamp(
                info.timestamp_ms,
                Slot(s),
                state.spec().params.slot_ms,
                dl,
            )?;
            Some(masspoc_verifier::testkit::Candidate {
                slot: Slot(s),
                proof,
                timestamp_ms: ts,
            })
        })
        .unwrap();
    let root = Body::empty_root();
    let h_best = f.header(state.spec(), &info, d, &best, root);
    let h_late = f.header(state.spec(), &info, d, &later, root);
    for order in [[h_best, h_late], [h_late, h_best]] {
        let mut s = state.clone();
        for h in &order {
            s.accept_header(h, None).unwrap();
        }
        assert_eq!(
            s.best().hash,
            h_best.hash(),
            "the earlier block wins in any order"
        );
    }
    assert!(masspoc_verifier::Evidence::new(h_best, h_late).is_ok());
}
