//! The finality rule itself (`docs/protocol.md` §14) on real blocks of real test farmers: the
//! final height follows the rule and needs confirmations, and deferring the replays of a whole
//! loaded chain derives the same final block once.

use crate::common;

use common::finality::{anchor_each, deliver, expected_final, follow, honest_chain, spec};
use masspoc_verifier::{ChainState, Height};

#[test]
fn finality_follows_the_rule_and_needs_confirmations() {
    let (_, chain) = honest_chain(24);
    let pow = anchor_each(&chain, 2);
    let mut s = ChainState::new(spec());
    let mut w = Vec::new();
    assert!(deliver(&mut s, &mut w, &chain).is_empty());
    let mut seen_moves = 0;
    for (j, anchors) in pow.iter().enumerate() {
        let j = j as u64;
        s.record_anchors(j, anchors);
        // Recorded but not yet confirmed (CONF = 2): the tip at j leaves j unvisited.
        let before = s.final_block().height.0;
        let up = s.set_pow_tip(j);
        assert_eq!(up.final_height.0, expected_final(2, 24, j), "tip {j}");
        assert_eq!(up.final_hash, s.main_at(up.final_height).unwrap());
        assert_eq!(up.advanced, up.final_height.0 != before);
        seen_moves += u32::from(up.advanced);
        // Ancestors of the final block are final, the tip is not.
        assert!(s.is_final(&up.final_hash));
        assert!(s.descends_from_final(&s.best().hash));
    }
    assert!(seen_moves >= 5, "finality moved {seen_moves} times");
    // Tip 12 confirms PoW height 11 (anchors up to height 22): C = 22, M = 16 → final 16.
    assert_eq!(s.final_block().height, Height(16));
    // Two more PoW blocks without anchors mature the rest: C = 24, M = 24 → final 20.
    s.set_pow_tip(13);
    s.set_pow_tip(14);
    s.set_pow_tip(15);
    assert_eq!(s.final_block().height, Height(20));
    assert_eq!(s.final_block().height.0, expected_final(2, 24, 15));
    assert_eq!(s.anchor_height(&chain[0].hash()), Some(1));
}

/// A node that follows the PoW chain first and then loads a whole chain (a restart replaying its
/// store) derives the same final block with one replay when it defers them, against one replay per
/// block when it does not.
#[test]
fn deferred_replays_derive_the_same_final_block_once() {
    let (_, chain) = honest_chain(20);
    let pow = anchor_each(&chain, 2);
    let mut eager = ChainState::new(spec());
    follow(&mut eager, &pow, 0);
    eager.set_pow_tip(14);
    let mut w = Vec::new();
    assert!(deliver(&mut eager, &mut w, &chain).is_empty());
    assert_eq!(eager.finality().replays(), 20);
    let mut lazy = ChainState::new(spec());
    follow(&mut lazy, &pow, 0);
    lazy.set_pow_tip(14);
    lazy.defer_finality();
    let mut w = Vec::new();
    assert!(deliver(&mut lazy, &mut w, &chain).is_empty());
    assert_eq!(
        lazy.final_block().height,
        Height(0),
        "deferred: nothing moved yet"
    );
    let up = lazy.resume_finality();
    assert!(up.advanced);
    assert_eq!(lazy.finality().replays(), 1);
    assert_eq!(up.final_hash, eager.final_block().hash);
    assert_eq!(up.final_height.0, expected_final(2, 20, 14));
}
