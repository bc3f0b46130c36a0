//! Finality from PoW anchors (`docs/protocol.md` §14) on real blocks of real test farmers:
//! long-range rewrites are refused by live and late nodes, withheld branches neither take over nor
//! stall finality whatever the arrival order, a stalled PoW side only delays it, unconfirmed or
//! reorganised anchors do not finalise.
//!
//! The PoW chain is modelled as the list of anchored PoC hashes per PoW height (what a node's
//! follower reads from its verified PoW headers); the PoC side is the real `ChainState`.

use crate::common;

use common::{block_on, farmers};
use masspoc_verifier::testkit::TestFarmer;
use masspoc_verifier::{
    Block, ChainParams, ChainSpec, ChainState, HeaderHash, Height, RejectError,
};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use std::sync::OnceLock;

const CONF: u32 = 2;
const R: u32 = 3;
const C: u32 = 4;

fn params() -> ChainParams {
    let mut p = common::params();
    p.anchor_confirmations = CONF;
    p.finality_window = R;
    p.finality_depth = C;
    p
}

fn spec() -> ChainSpec {
    ChainSpec::new(params()).unwrap()
}

/// An attacker with three times the space of one honest farmer (12 k = 16 plots against 4).
fn attacker() -> &'static TestFarmer {
    static A: OnceLock<TestFarmer> = OnceLock::new();
    A.get_or_init(|| TestFarmer::new([40; 32], &[16; 12]))
}

/// A PoW chain: `pow[j]` = the PoC hashes anchored at PoW height `j` (height 0 is the beacon).
type Pow = Vec<Vec<HeaderHash>>;

/// Grows `n` blocks on `parent` in a builder state (no anchors, so it accepts any branch), each
/// block by whichever of `who` offers the earliest timestamp (a race); returns them in order.
fn grow(
    builder: &mut ChainState,
    parent: HeaderHash,
    who: &[&TestFarmer],
    n: usize,
    tag: u8,
) -> Vec<Block> {
    let mut out = Vec::new();
    let mut p = parent;
    for _ in 0..n {
        let f = who
            .iter()
            .min_by_key(|f| common::candidate(builder, f, &p).2.timestamp_ms)
            .expect("a farmer");
        let b = block_on(builder, f, &p, tag);
        builder.accept_block(&b, None).expect("builder accepts");
        p = b.hash();
        out.push(b);
    }
    out
}

/// Honest anchoring: PoW block `j ≥ 1` anchors the blocks `per·(j−1) .. per·j` of `chain`.
fn anchor_each(chain: &[Block], per: usize) -> Pow {
    let mut pow: Pow = vec![Vec::new()];
    for c in chain.chunks(per) {
        pow.push(c.iter().map(Block::hash).collect());
    }
    pow
}

/// Records every PoW height's anchors, then moves the tip there (what a follower does).
fn follow(s: &mut ChainState, pow: &Pow, from: usize) {
    for (j, anchors) in pow.iter().enumerate().skip(from) {
        s.record_anchors(j as u64, anchors);
        s.set_pow_tip(j as u64);
    }
}

/// Accepts blocks like a node: a block whose parent is unknown waits and is retried; returns the
/// refusals other than a missing parent (hash, reason).
fn deliver(
    s: &mut ChainState,
    waiting: &mut Vec<Block>,
    blocks: &[Block],
) -> Vec<(HeaderHash, RejectError)> {
    let mut refused = Vec::new();
    waiting.extend_from_slice(blocks);
    loop {
        let mut progress = false;
        for w in std::mem::take(waiting) {
            match s.accept_block(&w, None) {
                Ok(_) => progress = true,
                Err(RejectError::UnknownParent(_)) => waiting.push(w),
                Err(e) => refused.push((w.hash(), e)),
            }
        }
        if !progress {
            return refused;
        }
    }
}

/// The final height the rule of `docs/protocol.md` §14 gives for one chain anchored `per` blocks
/// per PoW block (PoW block `j` anchors up to height `per·j`), `len` blocks long, PoW tip `tip`:
/// at confirmed height `p`, `C` is at `min(per·p, len)`, `M` at `min(per·(p−R), len)`, and the final
/// height is `min(M, C − c)` (never below what it was).
fn expected_final(per: u64, len: u64, tip: u64) -> u64 {
    let (conf, r, c) = (u64::from(CONF), u64::from(R), u64::from(C));
    let mut f = 0;
    for p in 1..=(tip + 1).saturating_sub(conf) {
        let cand = (per * p).min(len);
        let matured = if p > r { (per * (p - r)).min(len) } else { 0 };
        f = f.max(matured.min(cand.saturating_sub(c)));
    }
    f
}

#[test]
fn finality_follows_the_rule_and_needs_confirmations() {
    let mut builder = ChainState::new(spec());
    let g = builder.best().hash;
    let chain = grow(&mut builder, g, &[&farmers()[0], &farmers()[1]], 24, 1);
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

#[test]
fn a_block_conflicting_with_the_final_block_is_refused_and_names_it() {
    let mut builder = ChainState::new(spec());
    let g = builder.best().hash;
    let chain = grow(&mut builder, g, &[&farmers()[0], &farmers()[1]], 16, 1);
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

/// A random order of `blocks` in which every parent comes before its children.
fn parents_first(blocks: &[Block], genesis: HeaderHash, rng: &mut StdRng) -> Vec<Block> {
    let mut pool = blocks.to_vec();
    pool.shuffle(rng);
    let mut known = std::collections::HashSet::from([genesis]);
    let mut out = Vec::new();
    while !pool.is_empty() {
        let i = pool
            .iter()
            .position(|b| known.contains(&b.header.prev_hash))
            .expect("a ready block");
        let b = pool.remove(i);
        known.insert(b.hash());
        out.push(b);
    }
    out
}

/// One arrival event.
#[derive(Clone)]
enum Event {
    Block(Box<Block>),
    /// A PoW block: its height and anchors (recorded, then the tip moves to it).
    Pow(u64, Vec<HeaderHash>),
}

/// Plays events; returns (final block, best tip) and how many blocks were refused as conflicting.
fn play(events: &[Event]) -> ((HeaderHash, HeaderHash), usize) {
    let mut conflicts = 0;
    let mut s = ChainState::new(spec());
    let mut w = Vec::new();
    for e in events {
        match e {
            Event::Block(b) => {
                for (_, r) in deliver(&mut s, &mut w, std::slice::from_ref(b)) {
                    assert_eq!(r.code(), "conflicts_with_final", "{r}");
                    conflicts += 1;
                }
            }
            Event::Pow(j, a) => {
                s.record_anchors(*j, a);
                s.set_pow_tip(*j);
            }
        }
    }
    ((s.final_block().hash, s.best().hash), conflicts)
}

/// (b) A withheld branch whose anchors are in the PoW chain before the honest ones at every PoW
/// height, revealed at random times: in every arrival order the final block and the best tip are
/// the same, on the honest chain, and finality does not stall.
#[test]
fn a_withheld_branch_anchored_first_neither_takes_over_nor_stalls_in_any_order() {
    let mut builder = ChainState::new(spec());
    let g = builder.best().hash;
    let honest_farmers = [&farmers()[0], &farmers()[1]];
    let common_part = grow(&mut builder, g, &honest_farmers, 4, 1);
    let fork = common_part.last().unwrap().hash();
    let honest_rest = grow(&mut builder, fork, &honest_farmers, 28, 1);
    // The withholder (a fifth of the space: 2 plots against 8) builds from the fork, in secret.
    let withholder = TestFarmer::new([41; 32], &[16, 16]);
    let withheld = grow(&mut builder, fork, &[&withholder], 12, 77);
    let honest: Vec<Block> = common_part.iter().chain(&honest_rest).cloned().collect();
    let honest_tip = honest.last().unwrap().hash();
    assert!(
        builder
            .node(&withheld.last().unwrap().hash())
            .unwrap()
            .cumulative
            < builder.node(&honest_tip).unwrap().cumulative
    );
    // PoW block j anchors withheld block j − 2 (at one block per PoW block, half the honest
    // rate, as fast as its farmer builds it; its first block is anchored before the honest block
    // of the same height), listed before the honest blocks 2j − 1, 2j.
    let mut pow: Pow = vec![Vec::new()];
    for j in 1..=20usize {
        let mut a: Vec<HeaderHash> = Vec::new();
        if let Some(b) = j.checked_sub(2).and_then(|k| withheld.get(k)) {
            a.push(b.hash());
        }
        a.extend(honest.iter().skip(2 * (j - 1)).take(2).map(Block::hash));
        pow.push(a);
    }
    // Real time: honest block i arrives before PoW block i/2 + 1; the withheld branch never.
    let mut base: Vec<Event> = Vec::new();
    for (j, a) in pow.iter().enumerate().skip(1) {
        for b in honest.iter().skip(2 * (j - 1)).take(2) {
            base.push(Event::Block(Box::new(b.clone())));
        }
        base.push(Event::Pow(j as u64, a.clone()));
    }
    let (reference, none) = play(&base);
    assert_eq!(none, 0);
    assert_eq!(reference.1, honest_tip);
    let fh = builder.node(&reference.0).unwrap().height.0;
    assert!(fh >= 20, "finality did not stall: final height {fh}");
    assert_eq!(builder.ancestor(&honest_tip, Height(fh)), Some(reference.0));

    let mut rng = StdRng::seed_from_u64(7);
    let mut refused_runs = 0;
    for i in 0..30 {
        let mut ev = base.clone();
        // Reveal the withheld branch at a random moment, in a random order.
        let mut w: Vec<Block> = withheld.clone();
        w.shuffle(&mut rng);
        let at = rng.gen_range(0..=ev.len());
        for (k, b) in w.into_iter().enumerate() {
            ev.insert(at + k, Event::Block(Box::new(b)));
        }
        // Delay some honest blocks past later PoW blocks (out-of-order delivery).
        for _ in 0..rng.gen_range(0..6) {
            let from = rng.gen_range(0..ev.len());
            if matches!(ev[from], Event::Block(_)) {
                let e = ev.remove(from);
                let to = rng.gen_range(from..=(from + 4).min(ev.len()));
                ev.insert(to, e);
            }
        }
        let (out, conflicts) = play(&ev);
        assert_eq!(out, reference, "order {i}");
        refused_runs += usize::from(conflicts > 0);
    }
    // Both cases occurred: revealed before the fork was final (kept beside, never best) and after
    // (refused as conflicting).
    assert!(
        (1..30).contains(&refused_runs),
        "{refused_runs} of 30 runs refused it"
    );
    // The same events with the PoW chain entirely before the blocks (a node replaying its store)
    // and entirely after them.
    let (blocks, pows): (Vec<Event>, Vec<Event>) = base
        .iter()
        .cloned()
        .partition(|e| matches!(e, Event::Block(_)));
    let mut after: Vec<Event> = blocks.clone();
    after.extend(withheld.iter().cloned().map(|b| Event::Block(Box::new(b))));
    after.extend(pows.clone());
    assert_eq!(play(&after), (reference, 0), "blocks first");
    let mut before = pows;
    before.extend(blocks);
    before.extend(withheld.iter().cloned().map(|b| Event::Block(Box::new(b))));
    assert_eq!(play(&before).0, reference, "PoW chain first");
}

/// (d) The PoW side stalls (no anchors, then no PoW blocks at all) while the PoC chain goes on;
/// when anchoring resumes finality catches up, R PoW blocks later, not at once.
#[test]
fn a_pow_stall_delays_finality_and_it_catches_up() {
    let mut builder = ChainState::new(spec());
    let g = builder.best().hash;
    let chain = grow(&mut builder, g, &[&farmers()[0], &farmers()[1]], 40, 1);
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
    let mut builder = ChainState::new(spec());
    let g = builder.best().hash;
    let chain = grow(&mut builder, g, &[&farmers()[0], &farmers()[1]], 24, 1);
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

/// A node that follows the PoW chain first and then loads a whole chain (a restart replaying its
/// store) derives the same final block with one replay when it defers them, against one replay per
/// block when it does not.
#[test]
fn deferred_replays_derive_the_same_final_block_once() {
    let mut builder = ChainState::new(spec());
    let g = builder.best().hash;
    let chain = grow(&mut builder, g, &[&farmers()[0], &farmers()[1]], 20, 1);
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
