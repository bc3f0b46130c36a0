//! Anchoring within bounds on a real regtest litecoind: nobody mining → a bounded number of
//! anchor transactions and "N anchors waiting for a block; is anybody mining?", nothing dropped,
//! and all confirm once blocks come; the fee budget holds new anchors until its window frees
//! (the funded-but-unsent transaction's inputs unlocked); a fee bump by replace-by-fee on the
//! same inputs is tracked, whichever of the two transactions is mined.

use crate::common;

use common::{anchorer, quick};
use masspoc_node_bridge::anchor::budget::Window;
use masspoc_node_bridge::anchor::{
    AnchorConfig, Anchorer, BatchState, Clock, FeeBudget, Hold, Item, ItemKind,
};
use masspoc_node_bridge::regtest::RegtestNode;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

fn item(i: u32) -> Item {
    let mut hash = [0u8; 32];
    hash[..4].copy_from_slice(&i.to_be_bytes());
    hash[31] = 0xab;
    Item {
        kind: ItemKind::Evidence,
        hash,
    }
}

/// Anchor transactions (ours: an `MPOC` output) in the node's mempool.
fn anchors_in_mempool(node: &RegtestNode) -> HashSet<String> {
    let rpc = node.rpc();
    rpc.mempool()
        .unwrap()
        .into_iter()
        .filter(|txid| {
            let tx = rpc
                .call_value("getrawtransaction", json!([txid.to_string(), true]))
                .unwrap();
            tx["vout"].as_array().unwrap().iter().any(|o| {
                masspoc_node_bridge::anchor::AnchorPayload::from_script_hex(
                    o["scriptPubKey"]["hex"].as_str().unwrap_or(""),
                )
                .is_some()
            })
        })
        .map(|t| t.to_string())
        .collect()
}

fn assert_each_batch_once(node: &RegtestNode, a: &Anchorer) {
    assert_each_batch_once_besides(node, a, 0)
}

/// As [`assert_each_batch_once`], with `others` anchors of another outbox on the chain.
fn assert_each_batch_once_besides(node: &RegtestNode, a: &Anchorer, others: usize) {
    let on_chain = common::anchors_on_best_chain(&node.rpc(), 102);
    let batches = a.outbox.batches().unwrap();
    for b in &batches {
        let key = (b.seq, b.root_bytes().unwrap());
        assert_eq!(
            on_chain.get(&key),
            Some(&1),
            "batch {} on chain: {b:?}",
            b.seq
        );
    }
    assert_eq!(on_chain.len(), batches.len() + others);
}

#[test]
fn nobody_mining_bounds_the_transactions_and_says_so_then_all_confirm() {
    let mut node = RegtestNode::start().unwrap();
    node.fund_wallet().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut a = anchorer(
        &node,
        dir.path(),
        AnchorConfig {
            confirmations: 2,
            max_unconfirmed: 4,
            ..quick()
        },
    );
    // A farm queueing an item before every pass, and nobody mining.
    for i in 0..12 {
        a.outbox.enqueue(&[item(i)]).unwrap();
        a.tick().unwrap();
    }
    assert_eq!(
        anchors_in_mempool(&node).len(),
        4,
        "bounded at max_unconfirmed"
    );
    let st = a.status().clone();
    assert_eq!(st.unconfirmed, 4);
    assert_eq!(st.queued, 8, "nothing dropped: {st:?}");
    let hold = st.hold.expect("held");
    assert!(matches!(
        hold,
        Hold::WaitingForBlocks {
            unconfirmed: 4,
            max: 4
        }
    ));
    assert!(
        hold.message()
            .starts_with("4 anchors waiting for a block; is anybody mining?"),
        "{}",
        hold.message()
    );
    // More passes send nothing more.
    for _ in 0..3 {
        a.tick().unwrap();
    }
    assert_eq!(anchors_in_mempool(&node).len(), 4);
    // Mining resumes: everything goes out and becomes final, each batch once.
    for _ in 0..12 {
        node.mine(1).unwrap();
        a.tick().unwrap();
    }
    let batches = a.outbox.batches().unwrap();
    assert!(
        batches.iter().all(|b| b.state == BatchState::Final),
        "{batches:?}"
    );
    assert_eq!(a.outbox.pending_len().unwrap(), 0);
    let items: usize = batches.iter().map(|b| b.items.len()).sum();
    assert_eq!(items, 12);
    assert!(a.status().hold.is_none(), "{:?}", a.status());
    assert_each_batch_once(&node, &a);
}

#[test]
fn a_mempool_chain_limit_is_a_wait_not_inputs_gone() {
    // Without our bound, the node's own limit (25 unconfirmed ancestors) is what stops the
    // chain of anchors: it must hold, not replace transactions (issue 18 item 3).
    let mut node = RegtestNode::start().unwrap();
    node.fund_wallet().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut a = anchorer(&node, dir.path(), AnchorConfig { ..quick() });
    for i in 0..32 {
        a.outbox.enqueue(&[item(i)]).unwrap();
        let _ = a.tick();
    }
    let sent = anchors_in_mempool(&node);
    assert!(sent.len() <= 26, "{} anchors in the mempool", sent.len());
    let batches = a.outbox.batches().unwrap();
    assert!(
        batches.iter().all(|b| b.replaced_txids.is_empty()),
        "no transaction was replaced: {:?}",
        batches
            .iter()
            .map(|b| &b.replaced_txids)
            .collect::<Vec<_>>()
    );
    let hold = a.status().hold.clone();
    assert!(
        matches!(
            hold,
            Some(Hold::MempoolChain { .. } | Hold::WaitingForBlocks { .. })
        ),
        "{hold:?}"
    );
    assert!(hold.unwrap().message().contains("is anybody mining?"));
    for _ in 0..10 {
        node.mine(1).unwrap();
        a.tick().unwrap();
    }
    assert_eq!(a.outbox.pending_len().unwrap(), 0);
    assert_each_batch_once(&node, &a);
}

#[test]
fn the_fee_budget_holds_new_anchors_until_its_window_frees() {
    let mut node = RegtestNode::start().unwrap();
    node.fund_wallet().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let now = Arc::new(AtomicU64::new(1_767_225_600_000));
    let clock = {
        let now = now.clone();
        Clock::new(move || now.load(Ordering::SeqCst))
    };
    // Learn what one anchor costs on this node (the same shape every time).
    let fee = {
        std::fs::create_dir_all(dir.path().join("probe")).unwrap();
        let mut probe = anchorer(&node, &dir.path().join("probe"), quick());
        probe.outbox.enqueue(&[item(1000)]).unwrap();
        probe.tick().unwrap();
        node.mine(1).unwrap();
        probe.outbox.batches().unwrap()[0]
            .tx
            .as_ref()
            .unwrap()
            .fee
            .unwrap()
    };
    assert!(fee > 0);
    let budget = FeeBudget {
        per_hour: fee * 2 + fee / 2,
        per_day: fee * 3 + fee / 2,
    };
    let mut a = anchorer(
        &node,
        dir.path(),
        AnchorConfig {
            budget,
            confirmations: 1,
            ..quick()
        },
    );
    a.set_clock(clock);
    let t0 = now.load(Ordering::SeqCst);
    let pass = |a: &mut Anchorer, node: &mut RegtestNode, i: u32| {
        a.outbox.enqueue(&[item(i)]).unwrap();
        a.tick().unwrap();
        node.mine(1).unwrap();
        now.fetch_add(60_000, Ordering::SeqCst);
    };
    pass(&mut a, &mut node, 0);
    pass(&mut a, &mut node, 1);
    assert_eq!(a.outbox.batches().unwrap().len(), 2);
    assert!(a.status().hold.is_none());
    let locked_before = node
        .wallet()
        .call_value("listlockunspent", json!([]))
        .unwrap();
    pass(&mut a, &mut node, 2);
    // The third would pass the hourly budget: held, queued, and its funding undone.
    let st = a.status().clone();
    let Some(Hold::Budget(e)) = &st.hold else {
        panic!("{st:?}")
    };
    assert_eq!(e.window, Window::Hour);
    assert_eq!(
        e.until_ms,
        Some(t0 + 3_600_000),
        "the first spend leaves the hour"
    );
    assert!(st
        .hold
        .as_ref()
        .unwrap()
        .message()
        .contains("per hour exhausted"));
    assert_eq!(st.queued, 1);
    assert_eq!(st.spent_hour, 2 * fee);
    assert_eq!(
        a.outbox.batches().unwrap().len(),
        2,
        "no new batch while held"
    );
    let locked_after = node
        .wallet()
        .call_value("listlockunspent", json!([]))
        .unwrap();
    assert_eq!(
        locked_before, locked_after,
        "the refused funding's inputs are unlocked"
    );
    // An hour after the first: the third goes out (the day still has room for it).
    now.store(t0 + 3_600_001, Ordering::SeqCst);
    pass(&mut a, &mut node, 3);
    assert_eq!(a.outbox.batches().unwrap().len(), 3);
    assert_eq!(
        a.outbox.pending_len().unwrap(),
        0,
        "items 2 and 3 in one batch"
    );
    // The day is full now (3 of 3.5 fees): the next waits a day after the first.
    now.store(t0 + 2 * 3_600_000, Ordering::SeqCst);
    pass(&mut a, &mut node, 4);
    let Some(Hold::Budget(e)) = a.status().hold.clone() else {
        panic!("{:?}", a.status())
    };
    assert_eq!(e.window, Window::Day);
    assert_eq!(e.until_ms, Some(t0 + 24 * 3_600_000));
    assert_eq!(a.status().queued, 1);
    let total: u64 = a
        .outbox
        .batches()
        .unwrap()
        .iter()
        .filter_map(|b| b.tx.as_ref().and_then(|t| t.fee))
        .sum();
    assert!(
        total <= budget.per_day,
        "spent {total} of {}",
        budget.per_day
    );
    for _ in 0..3 {
        a.tick().unwrap();
        node.mine(1).unwrap();
    }
    assert_each_batch_once_besides(&node, &a, 1);
}

/// Mines a block of exactly `txs` (txids or raw hex), leaving the rest of the mempool out.
fn mine_only(node: &RegtestNode, txs: &[String]) {
    let address = node.wallet().new_address().unwrap();
    node.rpc()
        .call_value("generateblock", json!([address, txs]))
        .unwrap();
}

#[test]
fn a_node_without_replacement_keeps_the_original_and_the_batch_settles() {
    // Litecoin Core's default is -mempoolreplacement=0: the bump is refused
    // (txn-mempool-conflict), forgotten, and the original confirms.
    let mut node = RegtestNode::start().unwrap();
    node.fund_wallet().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut a = anchorer(
        &node,
        dir.path(),
        AnchorConfig {
            confirmations: 2,
            bump_after_blocks: 2,
            ..quick()
        },
    );
    a.outbox.enqueue(&[item(1)]).unwrap();
    a.tick().unwrap();
    let first = a.outbox.batch(0).unwrap().unwrap().tx.unwrap();
    mine_only(&node, &[]);
    mine_only(&node, &[]);
    a.tick().unwrap();
    let b = a.outbox.batch(0).unwrap().unwrap();
    assert_eq!(b.tx.as_ref().unwrap().txid, first.txid);
    assert!(b.replaced_txids.is_empty(), "{b:?}");
    assert_eq!(b.state, BatchState::Broadcast);
    assert_eq!(
        a.status().spent_hour,
        first.fee.unwrap(),
        "the refused bump costs nothing"
    );
    node.mine(2).unwrap();
    a.tick().unwrap();
    assert_eq!(a.outbox.batch(0).unwrap().unwrap().state, BatchState::Final);
    assert_each_batch_once(&node, &a);
}

#[test]
fn a_fee_bump_replaces_on_the_same_inputs_and_either_transaction_settles_the_batch() {
    let mut node = RegtestNode::start_with(&["-mempoolreplacement=1"]).unwrap();
    node.fund_wallet().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut a = anchorer(
        &node,
        dir.path(),
        AnchorConfig {
            confirmations: 2,
            bump_after_blocks: 2,
            ..quick()
        },
    );
    let inputs = |node: &RegtestNode, hex: &str| -> Vec<Value> {
        let v = node
            .rpc()
            .call_value("decoderawtransaction", json!([hex]))
            .unwrap();
        v["vin"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| json!([i["txid"], i["vout"]]))
            .collect()
    };

    // Batch 0: blocks leave it out twice → bumped; the replacement is mined.
    a.outbox.enqueue(&[item(1)]).unwrap();
    a.tick().unwrap();
    let first = a.outbox.batch(0).unwrap().unwrap().tx.unwrap();
    mine_only(&node, &[]);
    mine_only(&node, &[]);
    a.tick().unwrap();
    let b = a.outbox.batch(0).unwrap().unwrap();
    let bumped = b.tx.clone().unwrap();
    assert_ne!(bumped.txid, first.txid);
    assert_eq!(b.replaced_txids, vec![first.txid.clone()]);
    assert!(bumped.fee.unwrap() > first.fee.unwrap());
    assert_eq!(
        inputs(&node, &bumped.hex),
        inputs(&node, &first.hex),
        "same inputs"
    );
    let pool = anchors_in_mempool(&node);
    assert!(
        pool.contains(&bumped.txid) && !pool.contains(&first.txid),
        "{pool:?} {b:?} {:?}",
        node.rpc()
            .call_value("sendrawtransaction", json!([bumped.hex]))
    );
    node.mine(2).unwrap();
    a.tick().unwrap();
    let b = a.outbox.batch(0).unwrap().unwrap();
    assert_eq!(b.state, BatchState::Final, "{b:?}");
    assert_eq!(b.tx.unwrap().txid, bumped.txid);

    // Batch 1: bumped too, but a miner still had the original and mines it: the batch follows
    // the original, which it kept watching.
    a.outbox.enqueue(&[item(2)]).unwrap();
    a.tick().unwrap();
    let original = a.outbox.batch(1).unwrap().unwrap().tx.unwrap();
    mine_only(&node, &[]);
    mine_only(&node, &[]);
    a.tick().unwrap();
    let b = a.outbox.batch(1).unwrap().unwrap();
    let replacement = b.tx.clone().unwrap();
    assert_ne!(replacement.txid, original.txid);
    mine_only(&node, std::slice::from_ref(&original.hex));
    assert!(!anchors_in_mempool(&node).contains(&replacement.txid));
    node.mine(1).unwrap();
    a.tick().unwrap();
    let b = a.outbox.batch(1).unwrap().unwrap();
    assert_eq!(b.state, BatchState::Final, "{b:?}");
    assert_eq!(b.tx.as_ref().unwrap().txid, original.txid);
    assert!(b.replaced_txids.contains(&replacement.txid), "{b:?}");
    assert_each_batch_once(&node, &a);
}
