//! The chain node's `GET /v1/status` on a real chain host served with its anchoring outbox, on
//! a real `litecoind -regtest`: before anything, the hosted chain at height 0, no evidence, an
//! empty outbox and no PoW tip; after headers, an equivocation and an anchoring pass mined past
//! its confirmations, the chain's height, the evidence (its height, chain and farmer), the
//! anchor batch with its block and confirmations, and the followed PoW tip. Every answer
//! carries the Content-Security-Policy.

use crate::common;

use common::host_server::HostServer;
use common::quick;
use masspoc_node_bridge::anchor::{AnchorConfig, Anchorer};
use masspoc_node_bridge::host::status::NodeStatus;
use masspoc_node_bridge::host::ChainHost;
use masspoc_node_bridge::regtest::RegtestNode;
use masspoc_node_bridge::store::Store;
use masspoc_verifier::testkit::{grow_chain, TestFarmer};
use masspoc_verifier::{Body, ChainState};
use serde_json::Value;

/// `GET /v1/status`: the JSON, after checking the answer's security header.
fn status(base: &str) -> Value {
    let mut resp = ureq::get(&format!("{base}/v1/status")).call().unwrap();
    assert_eq!(
        resp.headers()["content-security-policy"],
        masspoc_api::assets::CSP
    );
    let text = resp.body_mut().read_to_string().unwrap();
    let typed: NodeStatus = serde_json::from_str(&text).expect("the typed status reads it");
    assert!(typed.now_ms >= typed.started_ms);
    serde_json::from_str(&text).unwrap()
}

#[test]
fn status_shows_chains_evidence_anchors_and_the_pow_tip() {
    let mut node = RegtestNode::start().unwrap();
    node.fund_wallet().unwrap();
    let beacon = node.rpc().block_hash(1).unwrap().to_string();
    let spec = common::spec::weak_spec("alpha", &beacon);
    let chain = spec.chain_id;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_data_dir(dir.path()).unwrap();
    let mut host = ChainHost::open(&store, vec![spec.clone()], true).unwrap();
    host.set_check_clock(false);
    let mut anchorer = Anchorer::shared(
        host.outbox().unwrap(),
        node.rpc(),
        node.wallet(),
        AnchorConfig {
            confirmations: 2,
            ..quick()
        },
    );
    let server = HostServer::start_anchoring(host);
    let host = &server.shared.host;

    let v = status(&server.url);
    assert_eq!(v["chains"].as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v["chains"][0]["name"], "alpha");
    assert_eq!(v["chains"][0]["chain_id"], chain.to_string());
    assert_eq!(v["chains"][0]["height"], 0);
    assert_eq!(v["evidence_total"], 0);
    assert_eq!(v["evidence"], serde_json::json!([]));
    assert_eq!(v["anchors"]["pending_items"], 0, "{v}");
    assert_eq!(v["anchors"]["batches"], serde_json::json!([]));
    assert!(v["pow_height"].is_null() && v["pow_best"].is_null(), "{v}");
    assert!(
        v["peers"].is_null() && v["peer_id"].is_null(),
        "no chain network: {v}"
    );

    // Three headers, then the farmer of height 3 signs a second header there.
    let farmers: Vec<TestFarmer> = (1..=2u8).map(|i| TestFarmer::new([i; 32], &[16])).collect();
    let headers = grow_chain(
        &ChainState::new(spec.clone()),
        &farmers,
        spec.genesis.hash,
        3,
    );
    for h in &headers {
        host.submit_header(&chain, &h.encode(), 0).unwrap();
    }
    let mut replay = ChainState::new(spec.clone());
    for h in &headers[..2] {
        replay.accept_header(h, None).unwrap();
    }
    let parent = headers[1].hash();
    let info = replay.parent_info(&parent).unwrap();
    let difficulty = replay.next_difficulty(&parent).unwrap();
    let cheat = farmers
        .iter()
        .find(|f| f.farmer_pk() == headers[2].farmer())
        .unwrap();
    let c = cheat.candidate(&spec, &info, difficulty, 64).unwrap();
    let mut twin = cheat.header(&spec, &info, difficulty, &c, Body::empty_root());
    twin.timestamp_ms += 1;
    cheat.sign(&mut twin);
    // A valid header (a side branch at height 3), and with its twin, evidence.
    host.submit_header(&chain, &twin.encode(), 0).unwrap();
    let v = status(&server.url);
    assert_eq!(v["chains"][0]["height"], 3, "{v}");
    assert_eq!(v["evidence_total"], 1, "{v}");
    let e = &v["evidence"][0];
    assert_eq!(
        (
            e["chain"].as_str(),
            e["height"].as_u64(),
            e["anchored"].as_bool()
        ),
        (Some("alpha"), Some(3), Some(false)),
        "{e}"
    );
    assert_eq!(e["farmer_pk"], cheat.farmer_pk().to_hex());
    assert_eq!(e["id"].as_str().unwrap().len(), 64, "{e}");
    assert_eq!(
        v["anchors"]["pending_items"], 5,
        "4 headers (the twin too) + 1 evidence queued: {v}"
    );

    // Anchored and mined past its confirmations.
    anchorer.tick().unwrap();
    node.mine(2).unwrap();
    anchorer.tick().unwrap();
    // The PoW tip as the bridge's pass publishes it: its follower's verified tip.
    let mut follower = common::regtest_follower(&store, &node);
    let (tip, tip_hash) = follower.sync(10_000).unwrap().tip.unwrap();
    *server.shared.pow_tip.lock().unwrap() = Some((tip, tip_hash.to_string()));
    let v = status(&server.url);
    assert_eq!(v["pow_height"], node.rpc().block_count().unwrap(), "{v}");
    assert_eq!(
        v["pow_best"],
        node.rpc().best_block_hash().unwrap().to_string()
    );
    let anchors = &v["anchors"];
    assert_eq!(anchors["pending_items"], 0, "{anchors}");
    let batches = anchors["batches"].as_array().unwrap();
    assert_eq!(
        batches
            .iter()
            .map(|b| b["items"].as_u64().unwrap())
            .sum::<u64>(),
        5,
        "{anchors}"
    );
    for b in batches {
        assert_eq!(b["state"], "final", "{b}");
        assert!(b["txid"].is_string(), "{b}");
        assert!(b["block_height"].as_u64().unwrap() <= tip, "{b}");
        assert!(b["confirmations"].as_i64().unwrap() >= 2, "{b}");
    }
    assert_eq!(v["evidence"][0]["anchored"], true, "{v}");
}
