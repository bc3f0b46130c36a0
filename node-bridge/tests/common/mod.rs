//! Test helpers: a fault-injecting HTTP server, a tampering proxy in front of a real node, and
//! a scan of the best chain for anchors.

pub mod blocks;
pub mod host_server;
pub mod http;
pub mod quick;
pub mod raw_request;
pub mod spec;

#[allow(unused_imports)]
pub use quick::quick;

use masspoc_node_bridge::anchor::{AnchorConfig, AnchorPayload, Anchorer, Outbox};
use masspoc_node_bridge::follower::{Follower, FollowerConfig};
use masspoc_node_bridge::pow::PowParams;
use masspoc_node_bridge::regtest::RegtestNode;
use masspoc_node_bridge::rpc::RpcClient;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// A PoW header follower of the regtest `node` from its genesis, its headers in `store` (as the
/// bridge's own follower keeps them).
pub fn regtest_follower(
    store: &Arc<masspoc_node_bridge::store::Store>,
    node: &RegtestNode,
) -> Follower {
    Follower::on(
        Arc::clone(store),
        node.rpc(),
        FollowerConfig {
            start_height: 0,
            params: PowParams::regtest(),
            chunk: 40,
        },
    )
    .unwrap()
}

/// An anchorer for `node`'s wallet with its outbox in `dir/bridge.redb` (`dir` created).
pub fn anchorer(node: &RegtestNode, dir: &Path, config: AnchorConfig) -> Anchorer {
    std::fs::create_dir_all(dir).unwrap();
    let outbox = Outbox::open(&dir.join("bridge.redb")).unwrap();
    Anchorer::new(outbox, node.rpc(), node.wallet(), config)
}

/// Counts, along the node's best chain from `from_height`, the anchors of each (seq, root).
pub fn anchors_on_best_chain(rpc: &RpcClient, from_height: u64) -> HashMap<(u64, [u8; 32]), u32> {
    let mut out = HashMap::new();
    let tip = rpc.block_count().unwrap();
    for h in from_height..=tip {
        let hash = rpc.block_hash(h).unwrap();
        let block = rpc.block_verbose(&hash).unwrap();
        for tx in block["tx"].as_array().unwrap() {
            for o in tx["vout"].as_array().unwrap() {
                if let Some(p) = o["scriptPubKey"]["hex"]
                    .as_str()
                    .and_then(AnchorPayload::from_script_hex)
                {
                    *out.entry((p.seq, p.root)).or_insert(0) += 1;
                }
            }
        }
    }
    out
}
