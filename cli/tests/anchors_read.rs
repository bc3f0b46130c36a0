//! The anchor commands that only read never create a store and fail fast: a missing store is an
//! error naming it (and nothing is created), and an unreachable node is given up on in seconds.

use crate::common;

use common::{masspoc_with, Run};
use masspoc_node_bridge::anchor::{AnchorProof, Item, ItemKind};
use std::time::{Duration, Instant};

#[test]
fn reading_a_missing_store_creates_nothing() {
    let dir = common::scratch();
    let data = dir.path().join("no-bridge-here");
    for cmd in [
        &["anchors", "list"][..],
        &["anchors", "prove", &"ab".repeat(32)][..],
    ] {
        let ran = masspoc_with(cmd).arg("--data").arg(&data).run();
        assert_eq!(ran.code(), 2, "{}", ran.both());
        assert!(
            ran.stderr.contains("no bridge database at"),
            "{}",
            ran.stderr
        );
        assert!(ran.stderr.contains("no-bridge-here"), "{}", ran.stderr);
        assert!(!data.exists(), "{cmd:?} created {}", data.display());
    }
}

#[test]
fn an_unreachable_node_is_given_up_on_in_seconds() {
    // A port nothing listens on (bound, then released).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // A proof whose batch path holds (one item, its leaf is the root), so checking it needs the
    // node.
    let item = Item {
        kind: ItemKind::Header,
        hash: [7; 32],
    };
    let proof = AnchorProof {
        item: hex::encode(item.hash),
        kind: item.kind,
        batch_seq: 0,
        leaf_index: 0,
        leaf_count: 1,
        batch_path: Vec::new(),
        root: hex::encode(item.leaf()),
        txid: "11".repeat(32),
        block_hash: "22".repeat(32),
        block_height: 1,
        tx_index: 0,
        tx_path: Vec::new(),
    };
    let proof = serde_json::to_string(&proof).unwrap();
    let start = Instant::now();
    let ran = masspoc_with(["anchors", "verify", "--rpc-url"])
        .arg(format!("http://127.0.0.1:{port}"))
        .arg(&proof)
        .run();
    let took = start.elapsed();
    assert_eq!(ran.code(), 2, "{}", ran.both());
    assert!(
        ran.stderr.contains(&port.to_string()),
        "names the node: {}",
        ran.stderr
    );
    assert!(
        took < Duration::from_secs(10),
        "took {took:?}: {}",
        ran.both()
    );
}
