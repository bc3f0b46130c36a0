//! `masspoc verify-chain URL --pow-rpc URL` against real processes: a regtest litecoind, a
//! `masspoc bridge run` hosting one chain (anchoring on, finality `conf = 1, R = 1, c = 2`) and a
//! lone `masspoc farm`. Once the node reports a final block, verify-chain derives the same one
//! from the node's anchor proofs checked against litecoind; an unreachable PoW node is a clear
//! error, not a report.

mod common;

use common::{masspoc, node_args, Run};
use masspoc_api::ChainList;
use masspoc_node_bridge::regtest::RegtestNode;
use masspoc_proof::{weight, FilterBits, ProbeBits, K};
use masspoc_verifier::difficulty_for_weight;
use std::process::Stdio;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const TARGET_MS: u64 = 300;

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

fn chains(base: &str) -> Option<ChainList> {
    let mut resp = ureq::get(&format!("{base}/v1/chains")).call().ok()?;
    serde_json::from_str(&resp.body_mut().read_to_string().ok()?).ok()
}

#[test]
fn verify_chain_derives_the_nodes_final_block_from_checked_anchor_proofs() {
    let mut node = RegtestNode::start().expect("litecoind starts");
    node.fund_wallet().unwrap();
    let beacon = node.rpc().best_block_hash().unwrap().to_string();
    let dir = common::scratch();
    let d = |p: &str| dir.path().join(p).display().to_string();
    masspoc().args(["keygen", "--out", &d("farmer.key")]).ok();
    masspoc()
        .args([
            "plot",
            "--key",
            &d("farmer.key"),
            "--k",
            "16",
            "--out",
            &d("plots"),
        ])
        .args(["--create", "--json"])
        .ok();
    let difficulty = difficulty_for_weight(
        u128::from(weight(K::new(16).unwrap())),
        TARGET_MS,
        FilterBits::NONE,
        ProbeBits::NONE,
    )
    .max(1);
    std::fs::write(
        d("chains.toml"),
        format!(
            "[[chain]]\nname = \"fin\"\nbeacon = \"{beacon}\"\ngenesis_time_ms = {}\n\
             target_interval_ms = {TARGET_MS}\nslot_ms = {TARGET_MS}\nfilter_bits = 0\nmin_k = 16\n\
             initial_difficulty = {difficulty}\nretarget_window = 100\nmax_future_drift_ms = 2000\n\
             anchor_confirmations = 1\nfinality_window = 1\nfinality_depth = 2\n",
            now_ms()
        ),
    )
    .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let mut bridge = masspoc()
        .args([
            "bridge",
            "run",
            "--network",
            "regtest",
            "--confirmations",
            "1",
        ])
        .args(["--poll-ms", "200", "--chains", &d("chains.toml")])
        .args([
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data",
            &d("bridge"),
        ])
        .args(node_args(&node))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.path().join("bridge.log")).unwrap())
        .spawn()
        .unwrap();
    std::fs::write(
        d("farmer.toml"),
        format!(
            "plot_dirs = [\"{}\"]\nkey_file = \"{}\"\nsigning_history = \"{}.history\"\n\
             lookup_budget_ms = 1000\nmetrics_listen = \"127.0.0.1:0\"\n\
             status_listen = \"127.0.0.1:0\"\n[[chain]]\nname = \"fin\"\nbridge = \"{base}\"\n",
            d("plots"),
            d("farmer.key"),
            d("farmer.key")
        ),
    )
    .unwrap();
    let mut farmer = masspoc()
        .args(["farm", "--config", &d("farmer.toml")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.path().join("farmer.log")).unwrap())
        .spawn()
        .unwrap();
    // Farm and mine PoW blocks until the node finalises something.
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        node.mine(1).unwrap();
        std::thread::sleep(Duration::from_millis(500));
        let fin = chains(&base).map_or(0, |l| l.chains[0].final_height.0);
        if fin >= 3 {
            break;
        }
        assert!(Instant::now() < deadline, "nothing final within 90 s");
    }
    farmer.kill().unwrap();
    farmer.wait().unwrap();
    // Let the node's follower and anchorer settle on a still PoW chain.
    node.mine(2).unwrap();
    std::thread::sleep(Duration::from_secs(3));
    let claim = chains(&base).unwrap().chains[0].clone();
    let pow = [
        "--pow-rpc".to_string(),
        node.url(),
        "--pow-rpc-cookie".into(),
        node.cookie_path().display().to_string(),
    ];
    let ran = masspoc()
        .args([
            "verify-chain",
            &base,
            "--params",
            &d("chains.toml"),
            "--json",
        ])
        .args(&pow)
        .run();
    let out = ran.json_or_null();
    assert_eq!(ran.code(), 0, "{}", ran.both());
    let f = &out["finality"];
    assert_eq!(f["agrees"], true, "{out}");
    assert_eq!(
        f["final_height"].as_u64(),
        Some(claim.final_height.0),
        "{out}"
    );
    assert_eq!(
        f["final_hash"].as_str(),
        claim.final_hash.map(|h| h.to_string()).as_deref(),
        "{out}"
    );
    assert!(
        f["anchored"].as_u64().unwrap() >= claim.final_height.0,
        "{out}"
    );

    // A PoW node that does not answer: an error naming it, no report.
    let dead = masspoc()
        .args(["verify-chain", &base, "--params", &d("chains.toml")])
        .args(["--pow-rpc", "http://127.0.0.1:9"])
        .run();
    assert_ne!(dead.code(), 0, "{}", dead.both());
    assert!(dead.stderr.contains("127.0.0.1:9"), "{}", dead.both());
    bridge.kill().unwrap();
    bridge.wait().unwrap();
}
