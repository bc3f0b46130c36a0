//! `masspoc bridge run --chains` SIGKILLed while a client submits headers (and an equivocation)
//! and the bridge anchors them, on a real regtest litecoind: every header the bridge acknowledged
//! survives every kill, and after restarts each header and the evidence are batched exactly once,
//! each batch root stands in exactly one OP_RETURN, and the evidence is kept once.

use crate::common;
use common::local_chain::{free_port, now_ms, op_returns_with};

use common::{node_args, Run};
use masspoc_node_bridge::host::config::load_chains;
use masspoc_node_bridge::regtest::RegtestNode;
use masspoc_verifier::testkit::{grow_chain, TestFarmer};
use masspoc_verifier::{ChainState, Header};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into()
}

fn get(url: &str) -> Option<Value> {
    let mut r = agent().get(url).call().ok()?;
    serde_json::from_str(&r.body_mut().read_to_string().ok()?).ok()
}

/// POSTs a header; `Some(status)` when the bridge answered.
fn post_header(base: &str, chain: &str, h: &Header) -> Option<u16> {
    agent()
        .post(&format!("{base}/v1/chains/{chain}/headers"))
        .header("content-type", "application/json")
        .send(json!({"header": h.to_hex()}).to_string().as_bytes())
        .ok()
        .map(|r| r.status().as_u16())
}

fn start_bridge(nargs: &[String], data: &str, chains: &str, port: u16) -> Child {
    let mut c = common::masspoc();
    c.args(["--log", "warn", "bridge", "run", "--network", "regtest"])
        .args([
            "--confirmations",
            "2",
            "--poll-ms",
            "50",
            // A test chain: short interval, small plots, nothing at stake.
            "--allow-weak-params",
            "--chains",
            chains,
        ])
        .args(["--listen", &format!("127.0.0.1:{port}"), "--data", data])
        .args(nargs)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c.spawn().unwrap()
}

fn wait_healthy(base: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while get(&format!("{base}/v1/health")).is_none() {
        assert!(Instant::now() < deadline, "bridge not up at {base}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn bridge_host_killed_while_taking_headers_loses_and_duplicates_nothing() {
    let mut node = RegtestNode::start().expect("litecoind starts");
    node.fund_wallet().unwrap();
    // Sixteen mature coinbases, so that anchors sent while nobody mines need not chain their
    // change (the wallet refuses long unconfirmed chains).
    node.mine(15).unwrap();
    let nargs = node_args(&node);
    let dir = common::scratch();
    let data = dir.path().join("bridge").display().to_string();
    let chains_path = dir.path().join("chains.toml");
    std::fs::write(
        &chains_path,
        format!(
            "[[chain]]\nname = \"kill\"\nbeacon = \"{}\"\ngenesis_time_ms = {}\n\
             target_interval_ms = 2000\nslot_ms = 12000\nfilter_bits = 0\nmin_k = 16\n\
             initial_difficulty = 2000\nretarget_window = 16\nmax_future_drift_ms = 15000\n",
            node.rpc().block_hash(1).unwrap(),
            now_ms() - 300_000
        ),
    )
    .unwrap();
    let spec = load_chains(&chains_path).unwrap().remove(0);
    let chain = hex::encode(spec.chain_id.as_bytes());

    // Twelve honest headers and, after the eighth, a second header of height 6's farmer.
    let farmers: Vec<TestFarmer> = (1..=3u8).map(|i| TestFarmer::new([i; 32], &[16])).collect();
    let honest = grow_chain(
        &ChainState::new(spec.clone()),
        &farmers,
        spec.genesis.hash,
        12,
    );
    let mut replay = ChainState::new(spec.clone());
    for h in &honest[..5] {
        replay.accept_header(h, None).unwrap();
    }
    assert!(replay.parent_info(&honest[4].hash()).is_some());
    let cheat = farmers
        .iter()
        .find(|f| f.farmer_pk() == honest[5].farmer())
        .unwrap();
    // The equivocation: the same slot and proof, 1 ms later, signed again (a block's payload
    // root must be its body's, so the twin differs by its timestamp, as the devnet's does).
    let mut twin = honest[5];
    twin.timestamp_ms += 1;
    cheat.sign(&mut twin);
    let mut sends: Vec<Header> = honest[..8].to_vec();
    sends.push(twin);
    sends.extend_from_slice(&honest[8..]);

    let acked: Arc<Mutex<BTreeSet<String>>> = Arc::default();
    let chains = chains_path.display().to_string();
    for kill_after_ms in [300u64, 700, 1500] {
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let mut child = start_bridge(&nargs, &data, &chains, port);
        wait_healthy(&base);
        let (base2, chain2, sends2, acked2) =
            (base.clone(), chain.clone(), sends.clone(), acked.clone());
        let client = std::thread::spawn(move || {
            for h in &sends2 {
                match post_header(&base2, &chain2, h) {
                    Some(200) => {
                        acked2.lock().unwrap().insert(h.hash().to_hex());
                    }
                    Some(status) => panic!("header refused with {status}"),
                    None => return,
                }
                std::thread::sleep(Duration::from_millis(60));
            }
        });
        std::thread::sleep(Duration::from_millis(kill_after_ms));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        client.join().unwrap();
        // Restarted, the bridge already holds every header it acknowledged: its chain reaches the
        // highest acknowledged honest header (or the next one, stored but killed before the
        // reply).
        let mut child = start_bridge(&nargs, &data, &chains, port);
        wait_healthy(&base);
        let list = get(&format!("{base}/v1/chains")).unwrap();
        let height = list["chains"][0]["height"].as_u64().unwrap();
        let acked_now = acked.lock().unwrap().clone();
        let highest = honest
            .iter()
            .rposition(|h| acked_now.contains(&h.hash().to_hex()))
            .map_or(0, |i| i as u64 + 1);
        assert!(
            (highest..=highest + 1).contains(&height),
            "after the kill at {kill_after_ms} ms: height {height}, highest acknowledged {highest}"
        );
        if acked_now.contains(&twin.hash().to_hex()) {
            let ev = get(&format!("{base}/v1/evidence")).unwrap();
            assert_eq!(ev["evidence"].as_array().unwrap().len(), 1, "{ev}");
        }
        child.kill().unwrap();
        child.wait().unwrap();
    }

    // A last run takes whatever was never acknowledged (a re-send is answered as accepted).
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = start_bridge(&nargs, &data, &chains, port);
    wait_healthy(&base);
    for h in &sends {
        assert_eq!(post_header(&base, &chain, h), Some(200));
    }
    let ev = get(&format!("{base}/v1/evidence")).unwrap();
    assert_eq!(ev["evidence"].as_array().unwrap().len(), 1, "{ev}");
    child.kill().unwrap();
    child.wait().unwrap();

    // Anchoring finishes over passes with blocks mined between them (a pass may fail while the
    // wallet has no confirmed coin; the next one goes on).
    let deadline = Instant::now() + Duration::from_secs(180);
    let listed = loop {
        node.mine(1).unwrap();
        let mut once = common::masspoc();
        once.args(["--log", "warn", "bridge", "run", "--network", "regtest"])
            .args(["--confirmations", "2", "--once", "--data", &data])
            .args(&nargs);
        once.run();
        let mut list = common::masspoc();
        list.args([
            "--log", "warn", "anchors", "list", "--json", "--data", &data,
        ])
        .args(&nargs);
        let listed = list.ok().json();
        let batches = listed["batches"].as_array().unwrap();
        if listed["pending_items"] == 0 && batches.iter().all(|b| b["state"] == "final") {
            break listed;
        }
        assert!(Instant::now() < deadline, "not final in time: {listed}");
    };
    let batches = listed["batches"].as_array().unwrap();
    let batched: u64 = batches.iter().map(|b| b["items"].as_u64().unwrap()).sum();
    assert_eq!(
        batched, 14,
        "12 headers + the twin + its evidence, each batched once: {listed}"
    );
    for b in batches {
        assert_eq!(
            op_returns_with(&node, b["root"].as_str().unwrap()),
            1,
            "batch {b} anchored exactly once"
        );
    }
    for h in &sends {
        let mut prove = common::masspoc();
        prove
            .args([
                "--log",
                "warn",
                "anchors",
                "prove",
                &h.hash().to_hex(),
                "--data",
                &data,
            ])
            .args(&nargs);
        prove.ok();
    }
}
