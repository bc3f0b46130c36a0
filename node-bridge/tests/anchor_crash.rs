//! Crashes: the node is SIGKILLed and restarted with batches in every state, and the anchorer
//! itself stops at its two dangerous points and is re-opened from its store. Every batch must
//! end up anchored exactly once on the best chain.

use crate::common;

use common::quick;

use masspoc_node_bridge::anchor::{
    AnchorConfig, Anchorer, BatchState, CrashPoint, Item, ItemKind, Outbox,
};
use masspoc_node_bridge::regtest::RegtestNode;
use masspoc_node_bridge::rpc::RpcConfig;
use masspoc_node_bridge::AnchorError;
use std::path::Path;
use std::time::Duration;

fn item(i: u8) -> Item {
    Item {
        kind: ItemKind::Header,
        hash: [i; 32],
    }
}

fn anchorer(node: &RegtestNode, path: &Path) -> Anchorer {
    let outbox = Outbox::open(path).unwrap();
    let config = AnchorConfig {
        confirmations: 2,
        max_batch: 2,
        ..quick()
    };
    Anchorer::new(outbox, node.rpc(), node.wallet(), config)
}

fn assert_each_batch_once(node: &RegtestNode, a: &Anchorer, expected_batches: usize) {
    let on_chain = common::anchors_on_best_chain(&node.rpc(), 102);
    let batches = a.outbox.batches().unwrap();
    assert_eq!(batches.len(), expected_batches);
    for b in &batches {
        assert_eq!(b.state, BatchState::Final, "{b:?}");
        let key = (b.seq, b.root_bytes().unwrap());
        assert_eq!(
            on_chain.get(&key),
            Some(&1),
            "batch {} anchored {:?} times",
            b.seq,
            on_chain.get(&key)
        );
    }
    assert_eq!(on_chain.len(), expected_batches);
}

#[test]
fn node_killed_and_restarted_mid_batch() {
    let mut node = RegtestNode::start().unwrap();
    node.fund_wallet().unwrap();
    node.flush().unwrap(); // the funding blocks survive the kills below
    let dir = tempfile::tempdir().unwrap();
    let mut a = anchorer(&node, &dir.path().join("anchors.redb"));

    // Three batches (at most two items each) at different steps when the node dies:
    a.outbox
        .enqueue(&[item(1), item(2), item(3), item(4), item(5)])
        .unwrap();
    // batch 0 sent, but the anchorer stopped before recording it;
    a.crash_at(Some(CrashPoint::AfterBroadcast));
    assert!(matches!(a.tick(), Err(AnchorError::CrashPoint(_))));
    assert_eq!(node.rpc().mempool().unwrap().len(), 1);
    // batch 0 then found in the mempool and adopted (not sent again), batch 1 signed, not sent;
    a.crash_at(Some(CrashPoint::AfterSign));
    assert!(matches!(a.tick(), Err(AnchorError::CrashPoint(_))));
    // batch 2 only sealed.
    let states: Vec<_> = a
        .outbox
        .batches()
        .unwrap()
        .iter()
        .map(|b| b.state)
        .collect();
    assert_eq!(
        states,
        [
            BatchState::Broadcast,
            BatchState::Signed,
            BatchState::Sealed
        ]
    );
    // (the send before the crash was never recorded, and no second send happened)
    assert_eq!(a.outbox.batches().unwrap()[0].broadcasts, 0);

    // SIGKILL: the mempool is lost. A bridge pass while the node is down fails cleanly.
    node.kill();
    let impatient = node.rpc().with_config(RpcConfig {
        retry_for: Duration::from_millis(300),
        ..RpcConfig::default()
    });
    let mut down = Anchorer::new(
        Outbox::open(&dir.path().join("down.redb")).unwrap(),
        impatient.clone(),
        impatient.with_wallet("masspoc"),
        quick(),
    );
    down.outbox.enqueue(&[item(9)]).unwrap();
    let e = down.tick().unwrap_err();
    assert!(e.to_string().contains("cannot reach"), "{e}");

    node.restart().unwrap();
    assert_eq!(node.rpc().block_count().unwrap(), 101);
    a.tick().unwrap();
    let batches = a.outbox.batches().unwrap();
    assert!(
        batches.iter().all(|b| b.state == BatchState::Broadcast),
        "{batches:?}"
    );
    node.mine(1).unwrap();
    a.tick().unwrap();
    assert!(a
        .outbox
        .batches()
        .unwrap()
        .iter()
        .all(|b| b.state == BatchState::Confirmed));

    // Killed again before the anchoring block was flushed: the node comes back without it,
    // so the anchors left the chain. They are sent again, and land once.
    node.kill();
    node.restart().unwrap();
    assert_eq!(
        node.rpc().block_count().unwrap(),
        101,
        "the unflushed block is gone"
    );
    a.tick().unwrap();
    node.mine(2).unwrap();
    a.tick().unwrap();
    assert_each_batch_once(&node, &a, 3);
}

#[test]
fn bridge_killed_and_reopened_resumes() {
    let mut node = RegtestNode::start().unwrap();
    node.fund_wallet().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("anchors.redb");
    {
        let mut a = anchorer(&node, &path);
        a.outbox.enqueue(&[item(1), item(2), item(3)]).unwrap();
        a.crash_at(Some(CrashPoint::AfterSign));
        assert!(a.tick().is_err());
    } // the anchorer is gone (its store closed as in a crash: every step was committed)
    {
        let mut a = anchorer(&node, &path);
        a.outbox.enqueue(&[item(4)]).unwrap();
        a.crash_at(Some(CrashPoint::AfterBroadcast));
        assert!(a.tick().is_err());
    }
    {
        // While the store is open, a second bridge cannot open it.
        let a = anchorer(&node, &path);
        let e = Outbox::open(&path).unwrap_err();
        assert!(e.to_string().contains("already open"), "{e}");
        drop(a);
    }
    let mut a = anchorer(&node, &path);
    a.tick().unwrap();
    node.mine(2).unwrap();
    a.tick().unwrap();
    assert_each_batch_once(&node, &a, 3);
    assert!(a
        .outbox
        .batches()
        .unwrap()
        .iter()
        .all(|b| b.replaced_txids.is_empty()));
}
