//! A proxy between the follower and a real node edits `getblockheader` replies; the follower
//! must refuse the node and store nothing from the bad header on, then continue normally with
//! the honest node.

use crate::common;

use common::http::{forward, response, TestServer};
use masspoc_node_bridge::follower::{Follower, FollowerConfig};
use masspoc_node_bridge::pow::{check_pow, BlockHeader, Hash256, PowParams};
use masspoc_node_bridge::regtest::RegtestNode;
use masspoc_node_bridge::rpc::{RpcAuth, RpcClient, RpcConfig};
use masspoc_node_bridge::{FollowError, PowError};
use serde_json::Value;

/// Starts a proxy to `node` that serves `forged` instead of the header `real`; with `forged_id`
/// it also reports that id for the block's height (and maps it back on the way in), so the lie
/// is consistent and only the proof of work can expose it.
fn tampering_proxy(
    node: &RegtestNode,
    real: Hash256,
    forged: [u8; 80],
    forged_id: Option<Hash256>,
) -> TestServer {
    let upstream = node.url().trim_start_matches("http://").to_string();
    let (real_s, forged_hex) = (real.to_string(), hex::encode(forged));
    let forged_id_s = forged_id.map(|h| h.to_string());
    TestServer::start(move |head, body| {
        let req: Value = serde_json::from_slice(body).ok()?;
        let mut reqs = match &req {
            Value::Array(a) => a.clone(),
            other => vec![other.clone()],
        };
        for r in reqs.iter_mut() {
            if r["method"] == "getblockheader" && r["params"][0].as_str() == forged_id_s.as_deref()
            {
                r["params"][0] = Value::from(real_s.clone());
            }
        }
        let out_body = if req.is_array() {
            Value::Array(reqs.clone())
        } else {
            reqs[0].clone()
        };
        let (status, reply) = forward(&upstream, head, out_body.to_string().as_bytes())?;
        let mut reply: Value = serde_json::from_slice(&reply).ok()?;
        let edit = |item: &mut Value| {
            let Some(r) = reqs.iter().find(|r| r["id"] == item["id"]) else {
                return;
            };
            if r["method"] == "getblockheader"
                && r["params"][0] == real_s.as_str()
                && r["params"][1] == false
            {
                item["result"] = Value::from(forged_hex.clone());
            }
            if let (true, Some(id)) = (
                r["method"] == "getblockhash" && item["result"] == real_s.as_str(),
                &forged_id_s,
            ) {
                item["result"] = Value::from(id.clone());
            }
        };
        match &mut reply {
            Value::Array(items) => items.iter_mut().for_each(edit),
            item => edit(item),
        }
        Some(response(&status, reply.to_string().as_bytes()))
    })
}

fn follower(url: &str, node: &RegtestNode, path: &std::path::Path) -> Follower {
    let rpc = RpcClient::new(
        url,
        RpcAuth::Cookie(node.cookie_path()),
        RpcConfig::default(),
    );
    let config = FollowerConfig {
        start_height: 0,
        params: PowParams::regtest(),
        chunk: 4,
    };
    Follower::open(path, rpc, config).unwrap()
}

#[test]
fn tampered_headers_are_refused() {
    let mut node = RegtestNode::start().unwrap();
    node.mine(10).unwrap();
    let real = node.rpc().block_hash(6).unwrap();
    let header = BlockHeader::decode(&node.rpc().raw_header(&real).unwrap()).unwrap();
    let dir = tempfile::tempdir().unwrap();

    // 1. One byte of the merkle root changed: the header no longer hashes to the node's id.
    let mut edited = header;
    edited.merkle_root.0[0] ^= 1;
    let proxy = tampering_proxy(&node, real, edited.encode(), None);
    let path = dir.path().join("a.redb");
    let mut f = follower(&proxy.url, &node, &path);
    match f.sync(u64::MAX) {
        Err(FollowError::InvalidHeader {
            height: 6,
            reason: PowError::IdMismatch { .. },
        }) => {}
        other => panic!("expected an id mismatch at height 6, got {other:?}"),
    }
    assert!(
        f.tip().unwrap().unwrap().height < 6,
        "nothing from height 6 on is stored"
    );
    drop(f);
    drop(proxy);
    // The same store, an honest node: follows to the tip.
    let mut f = follower(&node.url(), &node, &path);
    assert_eq!(
        f.sync(u64::MAX).unwrap().tip,
        Some((10, node.rpc().best_block_hash().unwrap()))
    );

    // 2. A consistent lie: another nonce, and the node "reports" the forged header's id; the
    // forged header fails regtest's proof of work (about half of all nonces do).
    let mut forged = header;
    while check_pow(&forged).verdict.is_ok() {
        forged.nonce = forged.nonce.wrapping_add(1);
    }
    let proxy = tampering_proxy(&node, real, forged.encode(), Some(forged.id()));
    let mut f = follower(&proxy.url, &node, &dir.path().join("b.redb"));
    match f.sync(u64::MAX) {
        Err(
            e @ FollowError::InvalidHeader {
                height: 6,
                reason: PowError::InsufficientWork { .. },
            },
        ) => {
            assert!(e.to_string().contains("invalid header at height 6"), "{e}");
        }
        other => panic!("expected insufficient work at height 6, got {other:?}"),
    }
    assert!(f.tip().unwrap().unwrap().height < 6);
}
