//! Finality on a chain host with a real `litecoind -regtest` (`docs/protocol.md` §14): headers
//! the host accepts are anchored by its anchorer and mined past the chain's confirmations; fed
//! its own anchors on its follower's verified PoW header chain, the host finalises them (the rule's
//! exact height); a heavier branch built afterwards from below the final block, by a farmer with
//! three times the space, is refused with `conflicts_with_final`; a PoW reorganisation that drops
//! the anchoring blocks does not move the final block back. `GET /v1/health` shows the final
//! block (`null` before anything is final).

use crate::common;

use common::host_server::HostServer;
use common::quick;
use masspoc_node_bridge::anchor::{AnchorConfig, Anchorer};
use masspoc_node_bridge::follower::Follower;
use masspoc_node_bridge::host::ChainHost;
use masspoc_node_bridge::regtest::RegtestNode;
use masspoc_node_bridge::store::Store;
use masspoc_node_bridge::HostError;
use masspoc_verifier::testkit::{grow_chain, TestFarmer};
use masspoc_verifier::{Beacon, ChainSpec, ChainState, Height};
use serde_json::Value;

fn spec(beacon: &str) -> ChainSpec {
    common::spec::quick_final_spec("final", Beacon::from_hex(beacon).unwrap())
}

fn feed(host: &ChainHost, follower: &mut Follower) -> u64 {
    let report = follower.sync(10_000).unwrap();
    host.feed_finality(&*follower, report.reorg_ancestor.map(|a| a + 1))
        .unwrap();
    report.tip.unwrap().0
}

/// `GET /v1/health` of the served host.
fn health(base: &str) -> Value {
    let text = ureq::get(&format!("{base}/v1/health"))
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn anchored_blocks_become_final_and_a_heavier_rewrite_is_refused() {
    let mut node = RegtestNode::start().unwrap();
    node.fund_wallet().unwrap();
    let beacon = node.rpc().block_hash(1).unwrap().to_string();
    let spec = spec(&beacon);
    let chain = spec.chain_id;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_data_dir(dir.path()).unwrap();
    let mut host = ChainHost::open(&store, vec![spec.clone()], true).unwrap();
    host.set_check_clock(false);
    // Served, so that `GET /v1/health` shows the final block as the operator sees it.
    let server = HostServer::start(host);
    let host = &server.shared.host;
    // Passes back to back: no interval between rounds (`common::quick`).
    let config = AnchorConfig {
        confirmations: 2,
        max_batch: 64,
        ..quick()
    };
    let mut anchorer = Anchorer::shared(host.outbox().unwrap(), node.rpc(), node.wallet(), config);
    let mut follower = common::regtest_follower(&store, &node);

    let honest = [TestFarmer::new([1; 32], &[16, 16, 16, 16])];
    let headers = grow_chain(
        &ChainState::new(spec.clone()),
        &honest,
        spec.genesis.hash,
        8,
    );
    // Two batches, each mined in its own PoW block (p1: heights 1–4, p2: heights 5–8).
    for part in headers.chunks(4) {
        for h in part {
            host.submit_header(&chain, &h.encode(), 0).unwrap();
        }
        anchorer.tick().unwrap();
        node.mine(1).unwrap();
        anchorer.tick().unwrap();
    }
    // Nothing fed yet: genesis is final; health says nothing is.
    assert_eq!(host.chains()[0].final_height, Height(0));
    let fin = &health(&server.url)["finality"][0];
    assert_eq!(fin["name"], "final", "{fin}");
    assert!(
        fin["final_height"].is_null() && fin["final_hash"].is_null(),
        "{fin}"
    );
    node.mine(3).unwrap();
    anchorer.tick().unwrap();
    feed(host, &mut follower);
    // conf = 1, R = 1, c = 2: at p2, C = 8 and M = 4 → 4; one PoW block later M = 8 → min(8, 6).
    let info = &host.chains()[0];
    assert_eq!(info.final_height, Height(6), "{info:?}");
    assert_eq!(info.final_hash, Some(headers[5].hash()));
    assert_eq!(info.height, Height(8));
    let fin = &health(&server.url)["finality"][0];
    assert_eq!(fin["chain_id"], spec.chain_id.to_string(), "{fin}");
    assert_eq!(fin["final_height"], 6, "{fin}");
    assert_eq!(fin["final_hash"], headers[5].hash().to_hex(), "{fin}");

    // A rewrite from genesis by three times the space, heavier than the honest chain.
    let attacker = [TestFarmer::new([40; 32], &[16; 12])];
    let mut scratch = ChainState::new(spec.clone());
    let mut attack = Vec::new();
    let honest_weight = {
        let mut s = ChainState::new(spec.clone());
        for h in &headers {
            s.accept_header(h, None).unwrap();
        }
        s.best().cumulative
    };
    while scratch.best().cumulative <= honest_weight {
        let next = grow_chain(&scratch, &attacker, scratch.best().hash, 1);
        scratch.accept_header(&next[0], None).unwrap();
        attack.push(next[0]);
    }
    let e = host
        .submit_header(&chain, &attack[0].encode(), 0)
        .unwrap_err();
    match &e {
        HostError::Rejected(r) => assert_eq!(r.code(), "conflicts_with_final", "{r}"),
        other => panic!("expected a rejection, got {other}"),
    }
    assert_eq!(e.code(), "conflicts_with_final");
    assert!(e.to_string().contains(&headers[5].hash().to_hex()), "{e}");
    assert_eq!(host.chains()[0].tip_hash, headers[7].hash());

    // A PoW reorganisation replacing the block of the first batch (and everything above): the
    // anchors it carried leave the PoW chain, the final block does not move back.
    let batches = host.outbox().unwrap().batches().unwrap();
    let p1 = batches[0].block.as_ref().expect("mined").hash.clone();
    node.rpc()
        .call_value("invalidateblock", serde_json::json!([p1]))
        .unwrap();
    node.mine(6).unwrap();
    let report = follower.sync(10_000).unwrap();
    assert!(report.removed > 0, "{report:?}");
    anchorer.tick().unwrap();
    feed(host, &mut follower);
    let info = &host.chains()[0];
    assert!(info.final_height >= Height(6), "{info:?}");
    assert_eq!(info.tip_hash, headers[7].hash());
}
