//! Finality when the PoW side misbehaves (`docs/protocol.md` §14): a stalled PoW chain only
//! delays it, a PoW reorganisation removes anchors but never moves the final block back, and
//! anchors of unknown blocks are bounded and count once the block comes.

use crate::common;

use common::farmers;
use common::finality::{
    anchor_each, deliver, expected_final, follow, grow, honest_chain, spec, Pow,
};
use masspoc_verifier::{Block, ChainState, HeaderHash, Height};

/// (d) The PoW side stalls (no anchors, then no PoW blocks at all) while the PoC chain goes on;
/// when anchoring resumes finality catches up, R PoW blocks later, not at once.
#[test]
fn a_pow_stall_delays_finality_and_it_catches_up() {
    let (_, chain) = honest_chain(40);
    let mut s = ChainState::new(spec());
    let mut w = Vec::new();
    deliver(&mut s, &mut w, &chain[..10]);
    let pow = anchor_each(&chain[..10], 2);
    follow(&mut s, &pow, 0);
    let stalled = s.final_block().height;
    assert_eq!(stalled.0, expected_final(2, 10, 5));
    // The stall: 30 more PoC blocks, no PoW block at all, then 3 PoW blocks with no anchors.
    deliver(&mut s, &mut w, &chain[10..]);
    assert_eq!(s.best().height, Height(40), "the chain goes on");
    assert_eq!(s.final_block().height, stalled);
    for j in 6..=8 {
        s.set_pow_tip(j);
    }
    // Only what was anchored before the stall matures: C = 10, M = 10 → final 6.
    assert_eq!(s.final_block().height, Height(6));
    // Anchoring resumes: PoW block 9 anchors the backlog (30 blocks in one batch).
    let backlog: Vec<HeaderHash> = chain[10..].iter().map(Block::hash).collect();
    s.record_anchors(9, &backlog);
    s.set_pow_tip(9);
    s.set_pow_tip(10);
    // Confirmed (tip 10 confirms 9): C = 40, but nothing above 10 is matured yet.
    assert_eq!(s.final_block().height, Height(10));
    s.set_pow_tip(11);
    s.set_pow_tip(12);
    assert_eq!(
        s.final_block().height,
        Height(10),
        "R = 3 PoW blocks before the backlog matures"
    );
    s.set_pow_tip(13);
    assert_eq!(s.final_block().height, Height(36), "caught up: C − c");
    assert_eq!(s.final_block().hash, chain[35].hash());
}

/// (d) A PoW reorganisation: an anchor that leaves the PoW chain before its confirmations never
/// counted; one that leaves it after (a reorg deeper than anchor_confirmations) does not move the
/// final block back; the new branch's anchors finalise again.
#[test]
fn a_pow_reorg_removes_anchors_but_never_moves_the_final_block_back() {
    let (_, chain) = honest_chain(24);
    let mut s = ChainState::new(spec());
    let mut w = Vec::new();
    deliver(&mut s, &mut w, &chain);
    let pow = anchor_each(&chain[..16], 2); // PoW heights 1..=8
    follow(&mut s, &pow, 0);
    assert_eq!(s.final_block().height.0, expected_final(2, 24, 8));
    // PoW block 9 anchors 17, 18; the tip at 9 confirms only PoW height 8.
    s.record_anchors(9, &[chain[16].hash(), chain[17].hash()]);
    s.set_pow_tip(9);
    assert_eq!(s.final_block().height, Height(10));
    // PoW block 9 is reorganised away (one confirmation of 2): its anchors never counted.
    let up = s.forget_anchors_above(8);
    assert!(!up.advanced);
    assert_eq!(s.anchor_height(&chain[16].hash()), None);
    // The new branch's PoW blocks 9', 10', 11' carry nothing: nothing above 16 is anchored.
    for j in 9..=11 {
        s.set_pow_tip(j);
    }
    assert_eq!(s.finality().candidate(), chain[15].hash());
    assert_eq!(s.final_block().height, Height(12));
    let f_before = s.final_block().hash;
    let replays = s.finality().replays();
    // A reorg deeper than the confirmations (PoW heights 5..11 replaced): the anchors of 5..8 are
    // gone and the replay derives less, yet the final block stays where it was.
    let up = s.forget_anchors_above(4);
    assert_eq!(s.finality().replays(), replays + 1);
    assert_eq!(up.final_hash, f_before, "never moves back");
    assert_eq!(s.anchor_height(&chain[8].hash()), None);
    assert_eq!(s.anchor_height(&chain[7].hash()), Some(4));
    assert_eq!(s.finality().candidate(), f_before);
    // The new PoW branch anchors everything again from height 5 on: finality goes on.
    let mut newer: Pow = vec![Vec::new(); 5];
    for c in chain[8..].chunks(4) {
        newer.push(c.iter().map(Block::hash).collect());
    }
    for _ in 0..4 {
        newer.push(Vec::new());
    }
    follow(&mut s, &newer, 5);
    assert_eq!(s.final_block().height, Height(20));
    assert!(s.is_final(&f_before));
}

#[test]
fn anchors_of_unknown_blocks_are_bounded_and_count_when_the_block_comes() {
    let mut builder = ChainState::new(spec());
    let g = builder.best().hash;
    let chain = grow(&mut builder, g, &[&farmers()[0]], 12, 1);
    let mut s = ChainState::new(spec());
    // Junk: 5,000 hashes no block will ever have, at PoW height 1.
    let junk: Vec<HeaderHash> = (0..5_000u32)
        .map(|i| {
            let mut h = [0u8; 32];
            h[..4].copy_from_slice(&i.to_le_bytes());
            h[31] = 0xee;
            HeaderHash(h)
        })
        .collect();
    s.record_anchors(1, &junk);
    assert_eq!(
        s.finality().aside_len(),
        masspoc_verifier::finality::MAX_ASIDE
    );
    // Real anchors arrive later at higher PoW heights; the lowest (junk) ones are dropped first.
    let pow = anchor_each(&chain, 2);
    for (j, a) in pow.iter().enumerate().skip(1) {
        s.record_anchors(j as u64 + 1, a);
    }
    assert_eq!(
        s.finality().aside_len(),
        masspoc_verifier::finality::MAX_ASIDE
    );
    for j in 0..=12 {
        s.set_pow_tip(j);
    }
    // The junk does not stall anything; the blocks, arriving now, count at their anchor heights.
    let mut w = Vec::new();
    assert!(deliver(&mut s, &mut w, &chain).is_empty());
    assert_eq!(s.anchor_height(&chain[0].hash()), Some(2));
    assert!(
        s.final_block().height.0 >= 6,
        "final {}",
        s.final_block().height
    );
}
