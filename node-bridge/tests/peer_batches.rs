//! Other nodes' anchor batches in a real chain host with its store (`host/finality.rs`,
//! `docs/anchoring.md`, "Anchors of other nodes"): roots seen in the PoW chain without their
//! items wait and are wanted from peers; a peer's leaves are taken only for a waited root and
//! only when they hash to it; once taken, the batches' header items make blocks final exactly as
//! the node's own batches would, with one finality replay for the whole pass however many
//! batches arrived late. The PoW chain is a stand-in (a block id per height and the anchors of
//! each block), since only those are read.

use crate::common;
use masspoc_node_bridge::anchor::{merkle, AnchorPayload, FoundAnchor, Item, ItemKind};
use masspoc_node_bridge::host::{BatchOffer, ChainHost, PowView};
use masspoc_node_bridge::pow::Hash256;
use masspoc_node_bridge::store::Store;
use masspoc_node_bridge::AnchorError;
use masspoc_verifier::testkit::{grow_chain, TestFarmer};
use masspoc_verifier::{Beacon, ChainState, Header};
use std::collections::BTreeMap;

/// A PoW chain of `tip` blocks from height 1; `anchors[h]` are the anchors of block `h`.
struct StandIn {
    tip: u64,
    anchors: BTreeMap<u64, Vec<FoundAnchor>>,
}

fn id_at(height: u64) -> Hash256 {
    let mut id = [0xb0; 32];
    id[..8].copy_from_slice(&height.to_be_bytes());
    Hash256(id)
}

impl PowView for StandIn {
    fn start(&self) -> u64 {
        1
    }

    fn tip(&self) -> Option<u64> {
        Some(self.tip)
    }

    fn header_at(&self, height: u64) -> Option<(Hash256, Hash256)> {
        (1..=self.tip)
            .contains(&height)
            .then(|| (id_at(height), Hash256([0; 32])))
    }

    fn scan(&self, id: &Hash256, _merkle_root: &Hash256) -> Result<Vec<FoundAnchor>, AnchorError> {
        let height = u64::from_be_bytes(id.0[..8].try_into().unwrap());
        Ok(self.anchors.get(&height).cloned().unwrap_or_default())
    }
}

/// Another node's batch of the header items of `headers`: its root and leaves.
fn foreign_batch(headers: &[Header]) -> ([u8; 32], Vec<[u8; 33]>) {
    let items: Vec<Item> = headers
        .iter()
        .map(|h| Item {
            kind: ItemKind::Header,
            hash: h.hash().0,
        })
        .collect();
    let root = merkle::root(&items.iter().map(Item::leaf).collect::<Vec<_>>()).unwrap();
    (root, items.iter().map(Item::leaf_data).collect())
}

fn anchor_of(root: [u8; 32], seq: u64) -> FoundAnchor {
    FoundAnchor {
        txid: Hash256([0xa0 + seq as u8; 32]),
        tx_index: 1,
        payload: AnchorPayload {
            kinds: 1,
            seq,
            root,
        },
    }
}

#[test]
fn a_peers_batches_are_taken_only_when_they_match_and_finalise_as_the_nodes_own() {
    let spec = common::spec::quick_final_spec("peer", Beacon([9; 32]));
    let farmers: Vec<TestFarmer> = (1..=2u8).map(|i| TestFarmer::new([i; 32], &[16])).collect();
    let chain = grow_chain(
        &ChainState::new(spec.clone()),
        &farmers,
        spec.genesis.hash,
        8,
    );
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_data_dir(dir.path()).unwrap();
    let mut host = ChainHost::open(&store, vec![spec.clone()], true).unwrap();
    host.set_check_clock(false);
    for h in &chain {
        host.submit_header(&spec.chain_id, &h.encode(), 0).unwrap();
    }
    // Another node anchored the chain in eight batches of one header each, in PoW blocks 1..=8;
    // block 9 confirms the last. This node sent none of them.
    let batches: Vec<([u8; 32], Vec<[u8; 33]>)> =
        chain.iter().map(|h| foreign_batch(&[*h])).collect();
    let pow = StandIn {
        tip: 9,
        anchors: batches
            .iter()
            .enumerate()
            .map(|(i, (root, _))| (i as u64 + 1, vec![anchor_of(*root, i as u64)]))
            .collect(),
    };
    let report = host.feed_finality(&pow, None).unwrap();
    assert_eq!(report.scanned, 9);
    assert_eq!(report.waiting, 8, "every root waits for its items");
    assert_eq!(report.pow_height, Some(9));
    assert_eq!(
        host.chains()[0].final_height.0,
        0,
        "nothing counts without items"
    );
    let mut wanted = host.wanted_batches(64);
    wanted.sort_unstable();
    let mut roots: Vec<[u8; 32]> = batches.iter().map(|(r, _)| *r).collect();
    roots.sort_unstable();
    assert_eq!(wanted, roots);
    // Round robin: three at a time, then the next three.
    let first = host.wanted_batches(3);
    let next = host.wanted_batches(3);
    assert_eq!(first.len(), 3);
    assert!(
        first.iter().all(|r| !next.contains(r)),
        "{first:?} {next:?}"
    );

    // Junk: leaves of another batch for a root, a root never seen, a batch cut short.
    let (root0, _) = &batches[0];
    let (_, leaves1) = &batches[1];
    assert_eq!(
        host.offer_batch(root0, leaves1).unwrap(),
        BatchOffer::Invalid
    );
    let (unseen, unseen_leaves) = foreign_batch(&chain[..2]);
    assert_eq!(
        host.offer_batch(&unseen, &unseen_leaves).unwrap(),
        BatchOffer::Known,
        "a root not seen in the PoW chain is not stored"
    );
    assert_eq!(host.batch_leaves(&unseen), None);
    assert_eq!(host.offer_batch(root0, &[]).unwrap(), BatchOffer::Invalid);
    assert_eq!(host.batch_leaves(root0), None);
    let report = host.feed_finality(&pow, None).unwrap();
    assert_eq!((report.scanned, report.waiting), (0, 8));
    assert_eq!(host.chains()[0].final_height.0, 0);

    // The real items: stored, served to others, and fed in one pass with one replay.
    let replays = |host: &ChainHost| {
        host.with_state(&spec.chain_id, |s| s.finality().replays())
            .unwrap()
    };
    let before = replays(&host);
    for (root, leaves) in &batches {
        assert_eq!(host.offer_batch(root, leaves).unwrap(), BatchOffer::Stored);
        assert_eq!(host.offer_batch(root, leaves).unwrap(), BatchOffer::Known);
        assert_eq!(host.batch_leaves(root).as_ref(), Some(leaves));
    }
    assert!(host.wanted_batches(64).is_empty());
    let report = host.feed_finality(&pow, None).unwrap();
    assert_eq!(report.waiting, 0);
    assert_eq!(report.fed_heights, 8);
    assert!(
        replays(&host) <= before + 1,
        "eight late batches replayed {} times",
        replays(&host) - before
    );
    // The rule on the same anchors fed from scratch: what the node's own batches would give.
    let mut fresh = ChainState::new(spec.clone());
    for h in &chain {
        fresh.accept_header(h, None).unwrap();
    }
    for (i, h) in chain.iter().enumerate() {
        fresh.record_anchors(i as u64 + 1, &[h.hash()]);
    }
    fresh.set_pow_tip(9);
    assert!(fresh.final_block().height.0 > 0);
    assert_eq!(host.chains()[0].final_height, fresh.final_block().height);
    assert_eq!(host.chains()[0].final_hash, Some(fresh.final_block().hash));

    // Restarted on the same store: the scans and the peer's items are kept; nothing is wanted.
    drop(host);
    let mut host = ChainHost::open(&store, vec![spec.clone()], true).unwrap();
    host.set_check_clock(false);
    let report = host.feed_finality(&pow, None).unwrap();
    assert_eq!((report.scanned, report.waiting), (0, 0));
    assert_eq!(host.chains()[0].final_height, fresh.final_block().height);
}
