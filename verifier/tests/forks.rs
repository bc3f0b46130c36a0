//! Fork choice is a function of the set of blocks, whatever order they arrive in; bans rewind;
//! batch acceptance agrees with one-by-one acceptance; no farmer can pick a future challenge.

mod common;

use common::{farmers, header_on, spec};
use masspoc_verifier::batch::accept_sequence;
use masspoc_verifier::testkit::grow_chain;
use masspoc_verifier::{derive_challenge, ChainState, Header, HeaderHash, Height, Slot};
use rand::seq::SliceRandom;
use rand::{rngs::StdRng, SeedableRng};

/// A block tree: a main line of 6 by racing farmers, a side branch of 3 from height 2 and two
/// competing siblings at the tip.
fn tree() -> Vec<Header> {
    let state = ChainState::new(spec());
    let g = state.best().hash;
    let main = grow_chain(&state, farmers(), g, 6);
    let mut s = state.clone();
    for h in &main {
        s.accept_header(h, None).unwrap();
    }
    let side = grow_chain(&s, &farmers()[1..2], main[1].hash(), 3);
    let sib_a = header_on(&s, &farmers()[2], &main[5].hash(), 10);
    let sib_b = header_on(&s, &farmers()[1], &main[5].hash(), 11);
    let mut all = main;
    all.extend(side);
    all.push(sib_a);
    all.push(sib_b);
    all
}

/// A random order in which every parent comes before its children.
fn topological_shuffle(headers: &[Header], rng: &mut StdRng) -> Vec<Header> {
    let mut pool: Vec<Header> = headers.to_vec();
    pool.shuffle(rng);
    let mut known: Vec<HeaderHash> = vec![ChainState::new(spec()).best().hash];
    let mut out = Vec::new();
    while !pool.is_empty() {
        let i = pool
            .iter()
            .position(|h| known.contains(&h.prev_hash))
            .expect("a ready header");
        let h = pool.remove(i);
        known.push(h.hash());
        out.push(h);
    }
    out
}

#[test]
fn forks_resolve_identically_in_every_order() {
    let headers = tree();
    let mut rng = StdRng::seed_from_u64(5);
    let mut tips = Vec::new();
    for _ in 0..30 {
        let mut state = ChainState::new(spec());
        for h in topological_shuffle(&headers, &mut rng) {
            state.accept_header(&h, None).unwrap();
        }
        tips.push(state.best().hash);
    }
    tips.dedup();
    assert_eq!(tips.len(), 1, "every order must end on the same tip");
}

#[test]
fn batch_acceptance_matches_one_by_one() {
    let headers = tree();
    let mut one = ChainState::new(spec());
    for h in &headers {
        one.accept_header(h, None).unwrap();
    }
    let mut batch = ChainState::new(spec());
    let results = accept_sequence(&mut batch, &headers, None);
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(one.best().hash, batch.best().hash);
    // A bad header in the middle rejects it and its descendants only.
    let mut bad = headers.clone();
    bad[2].signature[0] ^= 1;
    let mut state = ChainState::new(spec());
    let r = accept_sequence(&mut state, &bad, None);
    assert_eq!(r[2].as_ref().unwrap_err().code(), "bad_signature");
    assert_eq!(r[3].as_ref().unwrap_err().code(), "unknown_parent");
    assert!(r[0].is_ok() && r[1].is_ok() && r[6].is_ok());
}

#[test]
fn a_ban_rewinds_the_banned_farmers_blocks() {
    let headers = tree();
    let mut state = ChainState::new(spec());
    for h in &headers {
        state.accept_header(h, None).unwrap();
    }
    let victim = state
        .node(&state.main_at(Height(4)).unwrap())
        .unwrap()
        .farmer
        .unwrap();
    state.ban(victim, Height(4));
    assert!(state.best().height.0 >= 3);
    for h in 4..=state.best().height.0 {
        let n = state.node(&state.main_at(Height(h)).unwrap()).unwrap();
        assert_ne!(n.farmer, Some(victim));
    }
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
    let h1 = header_on(&state, f, &g, 1);
    let mut h2 = header_on(&state, f, &g, 2);
    h2.timestamp_ms += 5_000;
    f.sign(&mut h2);
    let mut s1 = state.clone();
    let mut s2 = state.clone();
    s1.accept_header(&h1, None).unwrap();
    s2.accept_header(&h2, None).unwrap();
    let b1 = s1.node(&h1.hash()).unwrap().beta;
    let b2 = s2.node(&h2.hash()).unwrap().beta;
    assert_eq!(b1, b2);
    let c1 = derive_challenge(&h1.chain_id, Height(2), Slot(0), &b1);
    assert_eq!(c1, derive_challenge(&h2.chain_id, Height(2), Slot(0), &b2));
    // Withholding only hands the height to another farmer, whose output the withholder does not
    // control; the order in which blocks arrive changes nothing.
    let other = header_on(&state, &farmers()[1], &g, 3);
    let mut s3 = state.clone();
    s3.accept_header(&other, None).unwrap();
    assert_ne!(s3.node(&other.hash()).unwrap().beta, b1);
    let mut ab = state.clone();
    let mut ba = state.clone();
    ab.accept_header(&h1, None).unwrap();
    ab.accept_header(&other, None).unwrap();
    ba.accept_header(&other, None).unwrap();
    ba.accept_header(&h1, None).unwrap();
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
    let root = masspoc_verifier::PayloadRoot([0; 32]);
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
