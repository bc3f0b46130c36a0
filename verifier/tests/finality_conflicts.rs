//! Blocks conflicting with the final block (`docs/protocol.md` §14): one is refused naming the
//! final block, and a long-range rewrite by an attacker with three times the space is refused by
//! live and late nodes alike.

use crate::common;

use common::finality::{
    anchor_each, attacker, deliver, expected_final, follow, grow, honest_chain, spec,
};
use common::{block_on, farmers, parents_first};
use masspoc_verifier::{Block, ChainState, Height, RejectError};
use rand::rngs::StdRng;
use rand::SeedableRng;

#[test]
fn a_block_conflicting_with_the_final_block_is_refused_and_names_it() {
    let (builder, chain) = honest_chain(16);
    let mut s = ChainState::new(spec());
    let mut w = Vec::new();
    deliver(&mut s, &mut w, &chain);
    follow(&mut s, &anchor_each(&chain, 2), 0);
    s.set_pow_tip(12);
    let f = s.final_block().hash;
    let fh = s.final_block().height.0;
    assert!(fh >= 8, "final height {fh}");
    // A twin of the final block's child's sibling: a block on the final block's parent.
    let parent = chain[fh as usize - 2].hash();
    let twin = block_on(&builder, &farmers()[2], &parent, 9);
    let e = s.accept_block(&twin, None).unwrap_err();
    assert_eq!(e.code(), "conflicts_with_final");
    assert_eq!(
        e,
        RejectError::ConflictsWithFinal {
            height: fh,
            hash: f.to_hex()
        }
    );
    assert!(e.to_string().contains(&f.to_hex()), "{e}");
    // A child of the final block on a new branch is fine (it descends from it).
    let child = block_on(&builder, &farmers()[2], &f, 9);
    assert!(s.accept_block(&child, None).is_ok());
}

/// (a) A long-range rewrite: after the honest chain is final, an attacker with three times the
/// space builds a heavier branch from genesis and anchors it. Refused by the live node; a late
/// node that replays every block (the attacker's too, in any order) and then the PoW chain
/// derives the same final block and the honest tip.
#[test]
fn a_long_range_rewrite_with_three_times_the_space_is_refused_by_every_node() {
    let mut builder = ChainState::new(spec());
    let g = builder.best().hash;
    let honest = grow(&mut builder, g, &[&farmers()[0]], 20, 1);
    let honest_tip = honest.last().unwrap().hash();
    let mut pow = anchor_each(&honest, 2);
    // Built after the fact, from genesis, until it is heavier than the honest chain.
    let mut attack = Vec::new();
    let mut p = g;
    while builder.node(&p).unwrap().cumulative <= builder.node(&honest_tip).unwrap().cumulative {
        let b = block_on(&builder, attacker(), &p, 66);
        builder.accept_block(&b, None).unwrap();
        p = b.hash();
        attack.push(b);
    }
    // Without finality the attacker's branch wins fork choice: the attack is real.
    let mut bare = ChainState::new(spec());
    let mut w = Vec::new();
    deliver(&mut bare, &mut w, &honest);
    deliver(&mut bare, &mut w, &attack);
    assert_eq!(bare.best().hash, attack.last().unwrap().hash());
    // The attacker anchors its branch in the PoW blocks after the honest ones.
    for c in attack.chunks(4) {
        pow.push(c.iter().map(Block::hash).collect());
    }
    for _ in 0..4 {
        pow.push(Vec::new());
    }

    // The live node: honest blocks, the PoW chain as it comes, then the attack.
    let mut live = ChainState::new(spec());
    let mut w = Vec::new();
    deliver(&mut live, &mut w, &honest);
    follow(&mut live, &pow[..=12].to_vec(), 0);
    let final_live = live.final_block().hash;
    assert_eq!(live.final_block().height.0, expected_final(2, 20, 12));
    assert!(live.final_block().height.0 >= 14);
    let refused = deliver(&mut live, &mut w, &attack);
    assert_eq!(
        refused.len(),
        1,
        "the first attack block is refused, the rest wait for it"
    );
    assert_eq!(refused[0].1.code(), "conflicts_with_final");
    assert_eq!(w.len(), attack.len() - 1);
    follow(&mut live, &pow, 13);
    assert_eq!(live.best().hash, honest_tip);
    assert!(live.final_block().height.0 >= 14);
    assert!(live.is_final(&final_live));

    // Late nodes: every block first (honest and attack in random parent-first orders), then the
    // PoW chain.
    let mut rng = StdRng::seed_from_u64(3);
    let all: Vec<Block> = honest.iter().chain(&attack).cloned().collect();
    for i in 0..8 {
        let order = parents_first(&all, g, &mut rng);
        let mut late = ChainState::new(spec());
        let mut w = Vec::new();
        assert!(deliver(&mut late, &mut w, &order).is_empty());
        follow(&mut late, &pow, 0);
        assert_eq!(late.best().hash, honest_tip, "late node {i}");
        assert!(late.is_final(&final_live), "late node {i}");
        assert_eq!(
            late.final_block().hash,
            live.final_block().hash,
            "late node {i}"
        );
    }
    // A late node that follows the PoW chain first and then receives the honest chain (the
    // chain the honest nodes serve) before the attack derives the same.
    let mut late = ChainState::new(spec());
    follow(&mut late, &pow, 0);
    assert_eq!(late.final_block().height, Height(0));
    assert!(late.finality().aside_len() > 0);
    let mut w = Vec::new();
    assert!(deliver(&mut late, &mut w, &honest).is_empty());
    assert_eq!(late.final_block().hash, live.final_block().hash);
    let refused = deliver(&mut late, &mut w, &attack);
    assert_eq!(refused[0].1.code(), "conflicts_with_final");
    assert_eq!(late.best().hash, honest_tip);
}
