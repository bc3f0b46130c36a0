//! A withheld branch anchored in the PoW chain before the honest blocks (`docs/protocol.md`
//! §14): in every arrival order it neither takes over nor stalls finality.

use crate::common;

use common::farmers;
use common::finality::{deliver, grow, spec, Pow};
use masspoc_verifier::testkit::TestFarmer;
use masspoc_verifier::{Block, ChainState, HeaderHash, Height};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

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
