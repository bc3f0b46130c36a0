//! What the anchorer drops (`host/anchor_pick.rs`, `Pick::Drop`): once finality has passed a
//! side branch, its header can never become best and leaves the queue; a side header above the
//! final block still waits, and best-chain headers are anchored. Finality is fed as the node
//! feeds it (`ChainHost::feed_finality`) from a sealed batch whose commitment is in a PoW block;
//! the PoW chain itself is a stand-in (a block id per height and the anchors of each block),
//! since only those are read.

use crate::common;
use masspoc_node_bridge::anchor::{FoundAnchor, Item, ItemKind, Pick};
use masspoc_node_bridge::host::{ChainHost, PowView};
use masspoc_node_bridge::pow::Hash256;
use masspoc_node_bridge::store::Store;
use masspoc_node_bridge::AnchorError;
use masspoc_verifier::testkit::{grow_chain, TestFarmer};
use masspoc_verifier::{Beacon, ChainState, Header};

/// A two-block PoW chain whose block 1 carries `anchor`.
struct StandIn {
    anchor: FoundAnchor,
}

impl PowView for StandIn {
    fn start(&self) -> u64 {
        1
    }

    fn tip(&self) -> Option<u64> {
        Some(2)
    }

    fn header_at(&self, height: u64) -> Option<(Hash256, Hash256)> {
        (1..=2)
            .contains(&height)
            .then(|| (Hash256([0xb0 + height as u8; 32]), Hash256([0; 32])))
    }

    fn scan(&self, id: &Hash256, _merkle_root: &Hash256) -> Result<Vec<FoundAnchor>, AnchorError> {
        Ok(if id.0[0] == 0xb1 {
            vec![self.anchor]
        } else {
            Vec::new()
        })
    }
}

fn item(h: &Header) -> Item {
    Item {
        kind: ItemKind::Header,
        hash: h.hash().0,
    }
}

/// A second valid header of `h`'s farmer at `h`'s height (the same proof a moment later).
fn twin_of(h: &Header, farmers: &[TestFarmer]) -> Header {
    let f = farmers
        .iter()
        .find(|f| f.farmer_pk() == h.farmer())
        .unwrap();
    let mut twin = *h;
    twin.timestamp_ms += 1;
    f.sign(&mut twin);
    assert_ne!(twin.hash(), h.hash());
    twin
}

#[test]
fn a_side_header_at_or_below_the_final_block_is_dropped_one_above_it_waits() {
    // conf = 1, R = 1, c = 2: a block 2 below the best anchored one becomes final one PoW block
    // after its anchor.
    let spec = common::spec::quick_final_spec("pick", Beacon([9; 32]));
    let farmers: Vec<TestFarmer> = (1..=2u8).map(|i| TestFarmer::new([i; 32], &[16])).collect();
    let mut state = ChainState::new(spec.clone());
    let chain = grow_chain(&state, &farmers, spec.genesis.hash, 8);
    for h in &chain {
        state.accept_header(h, None).unwrap();
    }
    // Side headers at heights 2 and 7 (equivocations, but valid headers: kept off the best chain).
    let (low, high) = (twin_of(&chain[1], &farmers), twin_of(&chain[6], &farmers));

    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_data_dir(dir.path()).unwrap();
    let mut host = ChainHost::open(&store, vec![spec.clone()], true).unwrap();
    host.set_check_clock(false);
    for h in chain.iter().chain([&low, &high]) {
        host.submit_header(&spec.chain_id, &h.encode(), 0).unwrap();
    }
    assert_eq!(host.chains()[0].tip_hash, chain[7].hash());
    // Before anything is final, both side headers wait.
    assert_eq!(host.anchor_pick(&item(&low)), Pick::Wait);
    assert_eq!(host.anchor_pick(&item(&high)), Pick::Wait);

    // The best chain is sealed and its batch lands in PoW block 1; PoW block 2 then confirms it.
    let outbox = host.outbox().unwrap();
    let batch = outbox
        .seal_picked(64, &|i| host.anchor_pick(i), Some(1))
        .unwrap()
        .unwrap();
    // Sealed: the best chain and the evidence the twins made; the side headers stay queued.
    let mut pending = outbox.pending_items().unwrap();
    pending.sort_by_key(|i| i.hash);
    let mut side = vec![item(&low), item(&high)];
    side.sort_by_key(|i| i.hash);
    assert_eq!(pending, side);
    // The stand-in PoW chain: block 1 carries the batch's commitment, block 2 confirms it.
    let pow = StandIn {
        anchor: FoundAnchor {
            txid: Hash256([0xa1; 32]),
            tx_index: 1,
            payload: batch.payload().unwrap(),
        },
    };
    host.feed_finality(&pow, None).unwrap();
    let final_height = host.chains()[0].final_height.0;
    assert_eq!(final_height, 6, "c = 2 below the best anchored block (8)");

    // Height 2 is at or below the final block: dropped. Height 7 is above: still waiting.
    assert_eq!(host.anchor_pick(&item(&low)), Pick::Drop);
    assert_eq!(host.anchor_pick(&item(&high)), Pick::Wait);
    for h in &chain {
        assert_eq!(host.anchor_pick(&item(h)), Pick::Anchor);
    }
}
