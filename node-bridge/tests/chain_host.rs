//! The chain host over HTTP on loopback, with anchoring on a real regtest node: headers made by
//! the verifier's test farmers are accepted, bad ones refused with the rule's code, an
//! equivocation becomes evidence that is anchored and then bans the farmer; long-poll wakes on a
//! new tip and on evidence admitted; a restarted host rebuilds the same chain from its log.

use crate::common;

use common::quick;

use masspoc_node_bridge::anchor::{AnchorConfig, Anchorer};
use masspoc_node_bridge::host::ChainHost;
use masspoc_node_bridge::regtest::RegtestNode;
use masspoc_node_bridge::store::Store;
use masspoc_verifier::testkit::{grow_chain, TestFarmer};
use masspoc_verifier::{Body, ChainSpec, ChainState, Evidence, Header};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

fn spec(beacon: &str) -> ChainSpec {
    common::spec::weak_spec("alpha", beacon)
}

use common::host_server::HostServer as Server;

fn call(method: &str, url: &str, body: Option<Value>) -> (u16, Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(20)))
        .build()
        .into();
    let mut resp = match body {
        Some(b) => agent
            .post(url)
            .header("content-type", "application/json")
            .send(b.to_string().as_bytes()),
        None if method == "GET" => agent.get(url).call(),
        None => agent
            .post(url)
            .header("content-type", "application/json")
            .send(&b"not json"[..]),
    }
    .unwrap();
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string().unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn submit(base: &str, chain: &str, h: &Header) -> (u16, Value) {
    call(
        "POST",
        &format!("{base}/v1/chains/{chain}/headers"),
        Some(json!({"header": h.to_hex()})),
    )
}

#[test]
fn chain_host_end_to_end() {
    let mut node = RegtestNode::start().unwrap();
    node.fund_wallet().unwrap();
    let beacon = node.rpc().block_hash(1).unwrap().to_string();
    let spec = spec(&beacon);
    let chain = hex::encode(spec.chain_id.as_bytes());
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_data_dir(dir.path()).unwrap();
    let config = AnchorConfig {
        confirmations: 2,
        max_batch: 64,
        ..quick()
    };
    let host = ChainHost::open(&store, vec![spec.clone()], true).unwrap();
    let mut anchorer = Anchorer::shared(host.outbox().unwrap(), node.rpc(), node.wallet(), config);
    let server = Server::start(host);
    let base = server.url.clone();

    let farmers: Vec<TestFarmer> = (1..=3u8)
        .map(|i| TestFarmer::new([i; 32], &[16, 16]))
        .collect();
    let state = ChainState::new(spec.clone());
    let headers = grow_chain(&state, &farmers, spec.genesis.hash, 6);
    for h in &headers[..5] {
        let (status, v) = submit(&base, &chain, h);
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["hash"], h.hash().to_hex());
    }
    // Re-submitting is fine; the chain list and the work follow the tip.
    assert_eq!(submit(&base, &chain, &headers[4]).0, 200);
    let (_, chains) = call("GET", &format!("{base}/v1/chains"), None);
    assert_eq!(chains["chains"][0]["height"], 5);
    assert_eq!(chains["chains"][0]["name"], "alpha");
    let (_, work) = call("GET", &format!("{base}/v1/chains/{chain}/challenge"), None);
    assert_eq!(work["height"], 6);
    assert_eq!(work["parent_hash"], headers[4].hash().to_hex());
    assert!(!work["challenges"].as_array().unwrap().is_empty());
    // The shapes the farmer's client reads (docs/bridge-api.md, `Work`).
    assert_eq!(
        work["parent_vrf_output"].as_str().map(str::len),
        Some(128),
        "{work}"
    );
    assert_eq!(
        work["challenges"][0]["challenge"].as_str().map(str::len),
        Some(64)
    );
    assert!(work["now_ms"].is_u64() && work["difficulty"].is_u64() && work["slot_ms"].is_u64());
    let (_, got) = call(
        "GET",
        &format!("{base}/v1/chains/{chain}/headers?from=1&limit=3"),
        None,
    );
    let want: Vec<String> = headers[..3].iter().map(Header::to_hex).collect();
    assert_eq!(got["headers"], json!(want));

    // Long-poll: answers as soon as the next header lands.
    let poll_url = format!("{base}/v1/chains/{chain}/challenge?wait_ms=20000");
    let poller = std::thread::spawn(move || {
        let t = Instant::now();
        (call("GET", &poll_url, None).1, t.elapsed())
    });
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(submit(&base, &chain, &headers[5]).0, 200);
    let (work, waited) = poller.join().unwrap();
    assert_eq!(work["height"], 7);
    assert!(waited < Duration::from_secs(10), "{waited:?}");
    // A long-poll naming a tip that is no longer the tip (the change came before the request)
    // answers at once; naming the tip it is, it waits.
    let stale = format!(
        "{base}/v1/chains/{chain}/challenge?wait_ms=20000&tip={}",
        headers[4].hash().to_hex()
    );
    let t = Instant::now();
    let (status, work) = call("GET", &stale, None);
    assert_eq!((status, &work["height"]), (200, &json!(7)), "{work}");
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    let current = format!(
        "{base}/v1/chains/{chain}/challenge?wait_ms=600&tip={}",
        headers[5].hash().to_hex()
    );
    let t = Instant::now();
    assert_eq!(call("GET", &current, None).1["height"], 7);
    assert!(
        t.elapsed() >= Duration::from_millis(550),
        "{:?}",
        t.elapsed()
    );

    // Refusals carry the rule's code.
    let mut bad = headers[5];
    bad.timestamp_ms += 1; // signature no longer matches
    let (status, v) = submit(&base, &chain, &bad);
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (422, Some("bad_signature")),
        "{v}"
    );
    let (status, v) = call(
        "POST",
        &format!("{base}/v1/chains/{chain}/headers"),
        Some(json!({"header": "00ff"})),
    );
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (422, Some("bad_encoding")),
        "{v}"
    );
    let (status, v) = call("POST", &format!("{base}/v1/chains/{chain}/headers"), None);
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (400, Some("bad_request")),
        "{v}"
    );
    let (status, v) = call(
        "GET",
        &format!("{base}/v1/chains/{chain}/headers?from=x"),
        None,
    );
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (400, Some("bad_request")),
        "{v}"
    );
    let (status, v) = submit(&base, &"ab".repeat(32), &headers[0]);
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (404, Some("unknown_chain")),
        "{v}"
    );

    // Equivocation: the farmer of height 6 signs another header for it.
    let mut replay = ChainState::new(spec.clone());
    for h in &headers[..5] {
        replay.accept_header(h, None).unwrap();
    }
    let parent = headers[4].hash();
    let info = replay.parent_info(&parent).unwrap();
    let difficulty = replay.next_difficulty(&parent).unwrap();
    let cheat = farmers
        .iter()
        .find(|f| f.farmer_pk() == headers[5].farmer())
        .unwrap();
    let c = cheat.candidate(&spec, &info, difficulty, 64).unwrap();
    // Same empty body, one millisecond later: a valid header, a different hash.
    let mut twin = cheat.header(&spec, &info, difficulty, &c, Body::empty_root());
    twin.timestamp_ms += 1;
    cheat.sign(&mut twin);
    assert_ne!(twin.hash(), headers[5].hash());
    // A long-poll held open at the tip it names answers soon after evidence is admitted (the
    // tip does not move), with the evidence to include.
    let poll_url = format!(
        "{base}/v1/chains/{chain}/challenge?wait_ms=20000&tip={}",
        headers[5].hash().to_hex()
    );
    let poller = std::thread::spawn(move || call("GET", &poll_url, None).1);
    std::thread::sleep(Duration::from_millis(500));
    let evidence = Evidence::new(headers[5], twin).unwrap();
    let t = Instant::now();
    let (status, v) = call(
        "POST",
        &format!("{base}/v1/evidence"),
        Some(json!({"evidence": hex::encode(evidence.encode())})),
    );
    assert_eq!((status, v["new"].as_bool()), (200, Some(true)), "{v}");
    let work = poller.join().unwrap();
    assert!(
        t.elapsed() < Duration::from_secs(3),
        "the long-poll answered {:?} after the evidence",
        t.elapsed()
    );
    assert_eq!(work["height"], 7, "{work}");
    assert_eq!(
        work["evidence"],
        json!([hex::encode(evidence.encode())]),
        "{work}"
    );
    let (status, v) = submit(&base, &chain, &twin);
    assert_eq!(
        status, 200,
        "a valid header is accepted; the pair is evidence: {v}"
    );
    let (_, ev) = call("GET", &format!("{base}/v1/evidence"), None);
    assert_eq!(ev["evidence"].as_array().unwrap().len(), 1);
    assert_eq!(ev["evidence"][0]["anchored"], false);
    let (status, v) = call(
        "POST",
        &format!("{base}/v1/evidence"),
        Some(json!({"evidence": ev["evidence"][0]["evidence"]})),
    );
    assert_eq!((status, v["new"].as_bool()), (200, Some(false)), "{v}");

    // Anchoring: headers and evidence go out (a record; the ban comes from a block).
    anchorer.tick().unwrap();
    node.mine(2).unwrap();
    let batches = anchorer.tick().unwrap();
    assert!(batches
        .iter()
        .all(|b| b.state == masspoc_node_bridge::anchor::BatchState::Final));
    assert_eq!(
        batches.iter().map(|b| b.items.len()).sum::<usize>(),
        8,
        "7 headers + 1 evidence"
    );
    let (_, ev) = call("GET", &format!("{base}/v1/evidence"), None);
    assert_eq!(ev["evidence"][0]["anchored"], true);
    // No node-local ban: the evidence bans once a block includes it
    // (`docs/protocol.md`, "Evidence in blocks and bans").
    let (status, v) = submit(&base, &chain, &headers[5]);
    assert_eq!(status, 200, "no node-local ban: {v}");

    // Metrics count what happened above.
    let metrics = ureq::get(&format!("{base}/metrics"))
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    for line in [
        "masspoc_bridge_submissions_rejected_total{reason=\"bad_signature\"} 1",
        "masspoc_bridge_submissions_rejected_total{reason=\"unknown_chain\"} 1",
        "masspoc_bridge_evidence_submitted_total 2",
    ] {
        assert!(
            metrics.lines().any(|l| l == line),
            "{line} missing:\n{metrics}"
        );
    }
    let accepted: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("masspoc_bridge_submissions_accepted_total "))
        .and_then(|v| v.parse().ok())
        .unwrap();
    assert!(accepted >= 8, "{accepted} accepted:\n{metrics}");

    let (_, health) = call("GET", &format!("{base}/v1/health"), None);
    assert_eq!(
        (health["status"].as_str(), health["chains"].as_u64()),
        (Some("ok"), Some(1))
    );
    let (_, before) = call("GET", &format!("{base}/v1/chains"), None);
    drop(server);

    // Restart: the log rebuilds the same state.
    let host = ChainHost::open(&store, vec![spec], true).unwrap();
    let server = Server::start(host);
    let (_, after) = call("GET", &format!("{}/v1/chains", server.url), None);
    assert_eq!(before, after);
    let (status, _) = submit(&server.url, &chain, &headers[5]);
    assert_eq!(status, 200, "no node-local ban");
}
