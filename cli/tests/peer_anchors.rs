//! Finality from other nodes' anchors, with real processes: two `masspoc bridge run` chain nodes
//! on one regtest litecoind, peered over libp2p. Node A farms (a real `masspoc farm`) and anchors;
//! node B has a fee budget of zero, so it sends no anchor of its own, and joins late, after A's
//! anchors are mined. B syncs the chain from A, finds A's anchors in its own verified PoW chain,
//! fetches their batch items from A over `/masspoc/batches/1` and checks them against the roots in
//! the PoW blocks: it reaches the same final block as A, and `masspoc verify-chain` against B
//! (its anchor proofs built from the anchors it saw) derives that block from litecoind.

use crate::common;
use common::{local_chain, masspoc, Run};
use masspoc_api::{ChainInfo, ChainList, Health};
use masspoc_node_bridge::regtest::RegtestNode;
use std::time::{Duration, Instant};

const TARGET_MS: u64 = 300;

fn get<T: serde::de::DeserializeOwned>(base: &str, path: &str) -> Option<T> {
    let mut resp = ureq::get(&format!("{base}{path}")).call().ok()?;
    serde_json::from_str(&resp.body_mut().read_to_string().ok()?).ok()
}

fn chain(base: &str) -> Option<ChainInfo> {
    get::<ChainList>(base, "/v1/chains")?
        .chains
        .into_iter()
        .next()
}

#[test]
fn a_node_that_anchors_nothing_takes_finality_from_its_peers_anchors() {
    let mut node = RegtestNode::start().expect("litecoind starts");
    node.fund_wallet().unwrap();
    let beacon = node.rpc().best_block_hash().unwrap().to_string();
    let dir = common::scratch();
    let a_dir = dir.path().join("a");
    let b_dir = dir.path().join("b");
    std::fs::create_dir_all(&a_dir).unwrap();
    std::fs::create_dir_all(&b_dir).unwrap();
    local_chain::key_and_plots(&a_dir, 1);
    local_chain::write_one_chain(
        &a_dir,
        "peer",
        &beacon,
        1,
        TARGET_MS,
        "anchor_confirmations = 1\nfinality_window = 1\nfinality_depth = 2\n",
    );
    // B hosts the same chain, with a fee budget of zero (`--anchor-fee-budget-per-*` over the
    // file's default): it never sends an anchor.
    std::fs::copy(a_dir.join("chains.toml"), b_dir.join("chains.toml")).unwrap();
    let (a_port, b_port) = (local_chain::free_port(), local_chain::free_port());
    let (a_p2p, b_p2p) = (local_chain::free_port(), local_chain::free_port());
    let a_base = format!("http://127.0.0.1:{a_port}");
    let b_base = format!("http://127.0.0.1:{b_port}");
    let mut a_args = local_chain::bridge_run_args(&a_dir, a_port, &node);
    a_args.extend(["--p2p-listen".into(), format!("/ip4/127.0.0.1/tcp/{a_p2p}")]);
    let a_log = a_dir.join("bridge.log");
    let mut a = local_chain::spawn_logged(&a_args, &a_log);
    let farmer_toml = local_chain::write_farmer_config(&a_dir, "peer", &a_base);
    let mut farmer = local_chain::spawn_logged(
        [
            "farm".as_ref(),
            "--config".as_ref(),
            farmer_toml.as_os_str(),
        ],
        &a_dir.join("farmer.log"),
    );
    // A farms and anchors until something is final, then the PoW chain settles.
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        node.mine(1).unwrap();
        std::thread::sleep(Duration::from_millis(500));
        if chain(&a_base).is_some_and(|c| c.final_height.0 >= 3) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "A finalised nothing within 90 s:\n{}",
            common::log_tail(&a_log, 30)
        );
    }
    farmer.kill().unwrap();
    farmer.wait().unwrap();
    node.mine(2).unwrap();
    std::thread::sleep(Duration::from_secs(3));
    node.mine(1).unwrap();

    // B joins late, peered with A.
    let mut b_args = local_chain::bridge_run_args(&b_dir, b_port, &node);
    b_args.extend([
        "--anchor-fee-budget-per-hour".into(),
        "0".into(),
        "--anchor-fee-budget-per-day".into(),
        "0".into(),
        "--p2p-listen".into(),
        format!("/ip4/127.0.0.1/tcp/{b_p2p}"),
        "--peer".into(),
        format!("/ip4/127.0.0.1/tcp/{a_p2p}"),
    ]);
    let b_log = b_dir.join("bridge.log");
    let mut b = local_chain::spawn_logged(&b_args, &b_log);
    let deadline = Instant::now() + Duration::from_secs(60);
    let (a_claim, b_claim) = loop {
        let (ca, cb) = (chain(&a_base), chain(&b_base));
        if let (Some(ca), Some(cb)) = (&ca, &cb) {
            if cb.tip_hash == ca.tip_hash
                && cb.final_height.0 >= 3
                && cb.final_hash == ca.final_hash
            {
                break (ca.clone(), cb.clone());
            }
        }
        assert!(
            Instant::now() < deadline,
            "B did not reach A's final block within 60 s: A {ca:?}, B {cb:?}\n--- B\n{}",
            common::log_tail(&b_log, 30)
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(b_claim.final_height, a_claim.final_height);

    // B sent nothing: every anchor it counted was A's.
    let health: Health = get(&b_base, "/v1/health").expect("B's health");
    let anchoring = health.anchoring.expect("B reports its anchorer");
    assert_eq!(anchoring.fee_budget_per_hour, 0, "the flag: {anchoring:?}");
    assert_eq!(anchoring.fee_budget_per_day, 0, "the flag: {anchoring:?}");
    assert_eq!(anchoring.fee_spent_day, 0, "{anchoring:?}");
    assert_eq!(anchoring.unconfirmed, 0, "{anchoring:?}");
    assert!(anchoring.queued_items > 0, "B keeps its items queued");

    // verify-chain against B derives B's final block from B's anchor proofs and litecoind.
    let ran = masspoc()
        .args([
            "verify-chain",
            &b_base,
            "--params",
            &b_dir.join("chains.toml").display().to_string(),
            "--json",
            "--pow-rpc",
            &node.url(),
            "--pow-rpc-cookie",
            &node.cookie_path().display().to_string(),
        ])
        .run();
    assert_eq!(ran.code(), 0, "{}", ran.both());
    let out = ran.json_or_null();
    let f = &out["finality"];
    assert_eq!(f["agrees"], true, "{out}");
    assert_eq!(f["final_height"].as_u64(), Some(b_claim.final_height.0));
    assert_eq!(
        f["final_hash"].as_str(),
        b_claim.final_hash.map(|h| h.to_string()).as_deref(),
        "{out}"
    );
    for child in [&mut a, &mut b] {
        child.kill().unwrap();
        child.wait().unwrap();
    }
}
