//! Anchoring on a real regtest node: a batch goes into an OP_RETURN, is tracked to its
//! confirmations, and every item gets a proof that checks against the node.

use crate::common::quick;
use masspoc_node_bridge::anchor::proof::{build_proof, verify_proof};
use masspoc_node_bridge::anchor::txparse::parse_tx;
use masspoc_node_bridge::anchor::{AnchorConfig, Anchorer, BatchState, Item, ItemKind, Outbox};
use masspoc_node_bridge::regtest::RegtestNode;
use serde_json::Value;

fn items(n: u8, kind: ItemKind) -> Vec<Item> {
    (0..n)
        .map(|i| Item {
            kind,
            hash: [i.wrapping_add(kind as u8 * 100); 32],
        })
        .collect()
}

#[test]
fn anchor_round_trip_and_inclusion_proof() {
    let mut node = RegtestNode::start().unwrap();
    node.fund_wallet().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::open(&dir.path().join("anchors.redb")).unwrap();
    let mut all = items(5, ItemKind::Header);
    all.extend(items(2, ItemKind::Evidence));
    assert_eq!(outbox.enqueue(&all).unwrap(), 7);
    assert_eq!(
        outbox.enqueue(&all[..2]).unwrap(),
        0,
        "re-enqueueing is a no-op"
    );
    let config = AnchorConfig {
        confirmations: 3,
        max_batch: 4,
        ..quick()
    };
    let mut anchorer = Anchorer::new(outbox, node.rpc(), node.wallet(), config);

    let batches = anchorer.tick().unwrap();
    assert_eq!(batches.len(), 2, "7 items in batches of at most 4");
    assert!(
        batches.iter().all(|b| b.state == BatchState::Broadcast),
        "{batches:?}"
    );
    assert_eq!(node.rpc().mempool().unwrap().len(), 2);

    node.mine(1).unwrap();
    let batches = anchorer.tick().unwrap();
    assert!(batches.iter().all(|b| b.state == BatchState::Confirmed));
    node.mine(2).unwrap();
    let batches = anchorer.tick().unwrap();
    assert!(
        batches.iter().all(|b| b.state == BatchState::Final),
        "{batches:?}"
    );
    assert!(batches.iter().all(|b| b.broadcasts == 1));

    for item in &all {
        let proof = build_proof(&anchorer.outbox, &node.rpc(), item).unwrap();
        let check = verify_proof(&node.rpc(), &proof).unwrap();
        assert!(check.valid);
        assert_eq!(check.confirmations, 3);
        // Any edit breaks it.
        let mut forged = proof.clone();
        forged.item = hex::encode([0xee; 32]);
        assert!(verify_proof(&node.rpc(), &forged).is_err());
        let mut forged = proof.clone();
        forged.tx_index ^= 1;
        assert!(verify_proof(&node.rpc(), &forged).is_err());
    }
    let unknown = Item {
        kind: ItemKind::Header,
        hash: [0x55; 32],
    };
    assert!(build_proof(&anchorer.outbox, &node.rpc(), &unknown).is_err());

    // Our txid computation agrees with the node on every transaction of the anchoring block.
    let block = batches[0].block.as_ref().unwrap().hash.clone();
    let v = node
        .rpc()
        .block_verbose(&masspoc_node_bridge::pow::Hash256::from_display_hex(&block).unwrap())
        .unwrap();
    let txs = v["tx"].as_array().unwrap();
    assert_eq!(txs.len(), 3, "coinbase + two anchors");
    for tx in txs {
        let parsed = parse_tx(&hex::decode(tx["hex"].as_str().unwrap()).unwrap()).unwrap();
        assert_eq!(parsed.txid.to_string(), tx["txid"].as_str().unwrap());
    }
    let anchors = txs
        .iter()
        .flat_map(|t| t["vout"].as_array().unwrap().iter())
        .filter_map(|o| o["scriptPubKey"]["hex"].as_str())
        .filter(|s| s.starts_with("6a2e4d504f43"))
        .count();
    assert_eq!(anchors, 2);
    let _ = Value::Null;
}

#[test]
fn works_without_txindex() {
    // A production node may run without -txindex: the anchorer follows its transactions through
    // the wallet, and proofs name their block.
    let mut node = RegtestNode::start_with(&["-txindex=0"]).unwrap();
    let indexed = node
        .rpc()
        .call_value("getindexinfo", serde_json::json!([]))
        .unwrap();
    assert!(
        indexed.get("txindex").is_none(),
        "txindex is off: {indexed}"
    );
    node.fund_wallet().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::open(&dir.path().join("anchors.redb")).unwrap();
    let all = items(3, ItemKind::Header);
    outbox.enqueue(&all).unwrap();
    let config = AnchorConfig {
        confirmations: 2,
        max_batch: 8,
        ..quick()
    };
    let mut anchorer = Anchorer::new(outbox, node.rpc(), node.wallet(), config);
    anchorer.tick().unwrap();
    node.mine(2).unwrap();
    let batches = anchorer.tick().unwrap();
    assert_eq!(batches[0].state, BatchState::Final, "{batches:?}");
    let proof = build_proof(&anchorer.outbox, &node.rpc(), &all[1]).unwrap();
    assert!(verify_proof(&node.rpc(), &proof).unwrap().valid);
}
