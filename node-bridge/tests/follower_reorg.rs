//! The follower and the anchorer across a restart and two reorganisations made with
//! `invalidateblock` on a real node; in the second, the anchor's input is double-spent on the new
//! branch, so the dropped anchor must be re-sent in a new transaction.

use crate::common;

use common::quick;

use masspoc_node_bridge::anchor::{AnchorConfig, Anchorer, BatchState, Item, ItemKind, Outbox};
use masspoc_node_bridge::follower::{Follower, FollowerConfig};
use masspoc_node_bridge::pow::{Hash256, PowParams};
use masspoc_node_bridge::regtest::RegtestNode;
use serde_json::{json, Value};
use std::path::Path;

fn follower(node: &RegtestNode, path: &Path) -> Follower {
    let config = FollowerConfig {
        start_height: 0,
        params: PowParams::regtest(),
        chunk: 40,
    };
    Follower::open(path, node.rpc(), config).unwrap()
}

fn assert_on_best_chain(node: &RegtestNode, f: &Follower) {
    let rpc = node.rpc();
    let tip = f.tip().unwrap().unwrap();
    assert_eq!(tip.height, rpc.block_count().unwrap());
    assert_eq!(tip.id, rpc.best_block_hash().unwrap());
    for h in 0..=tip.height {
        assert_eq!(
            f.header_at(h).unwrap().unwrap().id,
            rpc.block_hash(h).unwrap(),
            "height {h}"
        );
    }
}

/// Replaces the anchor transaction with one spending the same inputs back to the wallet (BIP 125).
fn double_spend(node: &RegtestNode, anchor_hex: &str) -> Hash256 {
    let w = node.wallet();
    let tx = w
        .call_value("decoderawtransaction", json!([anchor_hex]))
        .unwrap();
    let mut inputs = Vec::new();
    let mut total = 0.0;
    for vin in tx["vin"].as_array().unwrap() {
        let (txid, vout) = (vin["txid"].as_str().unwrap(), vin["vout"].as_u64().unwrap());
        let out = w
            .call_value("gettxout", json!([txid, vout, false]))
            .unwrap();
        total += out["value"].as_f64().unwrap();
        inputs.push(json!({"txid": txid, "vout": vout, "sequence": 4294967293u32}));
    }
    let address = w.new_address().unwrap();
    let amount = ((total - 0.01) * 1e8).round() / 1e8;
    let raw: String = w
        .call("createrawtransaction", json!([inputs, [{address: amount}]]))
        .unwrap();
    let signed = w
        .call_value("signrawtransactionwithwallet", json!([raw]))
        .unwrap();
    let txid = w
        .call_value("sendrawtransaction", json!([signed["hex"]]))
        .unwrap();
    Hash256::from_display_hex(txid.as_str().unwrap()).unwrap()
}

#[test]
fn follows_restarts_and_reorgs_and_resends_dropped_anchors() {
    // Litecoin Core 0.21 relays BIP 125 replacements only with -mempoolreplacement=1; the test
    // uses one to double-spend the anchor's input on the new branch.
    let mut node = RegtestNode::start_with(&["-mempoolreplacement=1"]).unwrap();
    node.fund_wallet().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let fpath = dir.path().join("headers.redb");

    // Partial sync, then the follower "crashes" and a new one resumes from its store.
    let mut f = follower(&node, &fpath);
    assert_eq!(f.sync(50).unwrap().tip.map(|t| t.0), Some(49));
    drop(f);
    let mut f = follower(&node, &fpath);
    let r = f.sync(u64::MAX).unwrap();
    assert_eq!((r.added, r.removed), (52, 0));
    assert_on_best_chain(&node, &f);

    let outbox = Outbox::open(&dir.path().join("anchors.redb")).unwrap();
    let config = AnchorConfig {
        confirmations: 3,
        max_batch: 16,
        ..quick()
    };
    let mut a = Anchorer::new(outbox, node.rpc(), node.wallet(), config);
    let items: Vec<Item> = (0..3u8)
        .map(|i| Item {
            kind: ItemKind::Evidence,
            hash: [i + 40; 32],
        })
        .collect();
    a.outbox.enqueue(&items).unwrap();
    a.tick().unwrap();
    let x = node.mine(1).unwrap()[0];
    let b = &a.tick().unwrap()[0];
    assert_eq!(b.state, BatchState::Confirmed);
    assert_eq!(b.block.as_ref().unwrap().hash, x.to_string());
    let first_txid = b.tx.as_ref().unwrap().txid.clone();
    f.sync(u64::MAX).unwrap();

    // Reorg 1: the anchoring block is invalidated; its tx returns to the mempool.
    node.rpc().invalidate_block(&x).unwrap();
    let b = &a.tick().unwrap()[0];
    assert_eq!(b.state, BatchState::Broadcast, "{b:?}");
    assert!(b.block.is_none());
    let x2 = node.mine(1).unwrap()[0];
    let r = f.sync(u64::MAX).unwrap();
    assert_eq!((r.reorg_ancestor, r.removed, r.added), (Some(101), 1, 1));
    assert_on_best_chain(&node, &f);
    let b = &a.tick().unwrap()[0];
    assert_eq!(b.block.as_ref().unwrap().hash, x2.to_string());
    assert_eq!(b.tx.as_ref().unwrap().txid, first_txid);

    // Reorg 2: invalidated again, and this time the anchor's input is spent elsewhere.
    node.rpc().invalidate_block(&x2).unwrap();
    let conflict = double_spend(&node, &b.tx.as_ref().unwrap().hex);
    assert_eq!(node.rpc().mempool().unwrap(), vec![conflict]);
    node.mine(2).unwrap();
    let b = &a.tick().unwrap()[0];
    assert_eq!(b.state, BatchState::Broadcast, "{b:?}");
    assert_eq!(b.replaced_txids, vec![first_txid.clone()]);
    assert_ne!(b.tx.as_ref().unwrap().txid, first_txid);
    node.mine(3).unwrap();
    let b = &a.tick().unwrap()[0];
    assert_eq!(b.state, BatchState::Final);
    let r = f.sync(u64::MAX).unwrap();
    assert_eq!(r.reorg_ancestor, Some(101));
    assert_on_best_chain(&node, &f);

    let on_chain = common::anchors_on_best_chain(&node.rpc(), 102);
    assert_eq!(on_chain.len(), 1);
    assert_eq!(on_chain.values().copied().collect::<Vec<_>>(), vec![1]);
    let _: Option<Value> = None;
}

#[test]
fn client_rides_through_a_node_restart() {
    let mut node = RegtestNode::start().unwrap();
    node.mine(3).unwrap();
    node.flush().unwrap();
    node.kill();
    let rpc = node.rpc();
    let waiter = std::thread::spawn(move || rpc.block_count());
    std::thread::sleep(std::time::Duration::from_millis(300));
    node.restart().unwrap();
    assert_eq!(waiter.join().unwrap().unwrap(), 3);
}
