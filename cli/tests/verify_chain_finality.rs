//! `masspoc verify-chain URL --pow-rpc URL` against real processes: a regtest litecoind, a
//! `masspoc bridge run` hosting one chain (anchoring on, finality `conf = 1, R = 1, c = 2`) and a
//! lone `masspoc farm`. Once the node reports a final block, verify-chain derives the same one
//! from the node's anchor proofs checked against litecoind; an unreachable PoW node is a clear
//! error, not a report. Attacks: a bridge that lies (a tampering proxy in front of the real one
//! alters one anchor proof, or its claimed final height) and a PoW node that never saw the
//! anchors (a second regtest litecoind) are each a non-zero exit naming what failed and where.
//! The PoW node's header chain is checked too: a tampering JSON-RPC proxy in front of the real
//! litecoind that serves one header below the anchors with a flipped byte of its prev-hash, other
//! bits, or bytes that do not hash to the id it gives makes verify-chain fail naming that PoW
//! height, the failed check (`link`, `bits`, `id`) and the proxy's URL.

use crate::common;
// The fault-injecting HTTP server and forwarder of the node-bridge tests (one copy, used here).
#[path = "../../node-bridge/tests/common/http.rs"]
mod http;

use common::{local_chain, masspoc, Ran, Run};
use http::{forward, response, TestServer};
use masspoc_api::ChainList;
use masspoc_node_bridge::pow::{check_pow, BlockHeader};
use masspoc_node_bridge::regtest::RegtestNode;
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const TARGET_MS: u64 = 300;

fn chains(base: &str) -> Option<ChainList> {
    let mut resp = ureq::get(&format!("{base}/v1/chains")).call().ok()?;
    serde_json::from_str(&resp.body_mut().read_to_string().ok()?).ok()
}

/// What a lying bridge changes in the honest bridge's replies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lie {
    /// One byte of the merkle path of the first anchor proof served (its batch path, or its
    /// transaction path when the batch path is empty).
    MerklePath,
    /// The PoW height the first anchor proof served claims for its block, one higher.
    ProofHeight,
    /// The final height `GET /v1/chains` claims, one higher.
    FinalHeight,
    /// The PoW height the node says it derived its final block at, 0.
    FinalPowHeight,
}

/// Flips the first hex digit of `s` to another digit.
fn flip(s: &mut Value) {
    let text = s.as_str().unwrap().to_string();
    let first = if text.starts_with('0') { "1" } else { "0" };
    *s = Value::from(format!("{first}{}", &text[1..]));
}

/// A proxy in front of the bridge at `upstream` (host:port) that tells `lie` once; the item of
/// the altered anchor proof is left in the returned cell.
fn lying_bridge(upstream: String, lie: Lie) -> (TestServer, Arc<Mutex<Option<String>>>) {
    let altered = Arc::new(Mutex::new(None::<String>));
    let cell = altered.clone();
    let server = TestServer::start(move |head, body| {
        let (status, reply) = forward(&upstream, head, body)?;
        let path = head.split_whitespace().nth(1).unwrap_or("");
        let mut v: Value = match serde_json::from_slice(&reply) {
            Ok(v) if status.starts_with("200") => v,
            _ => return Some(response(&status, &reply)),
        };
        let mut done = cell.lock().unwrap();
        match lie {
            Lie::MerklePath | Lie::ProofHeight
                if path.starts_with("/v1/anchors/proof") && done.is_none() =>
            {
                if lie == Lie::ProofHeight {
                    v["block_height"] = Value::from(v["block_height"].as_u64()? + 1);
                } else if v["batch_path"].as_array()?.is_empty() {
                    flip(&mut v["tx_path"][0]);
                } else {
                    flip(&mut v["batch_path"][0]);
                }
                *done = Some(v["item"].as_str()?.to_string());
            }
            Lie::FinalPowHeight if path == "/v1/chains" => {
                for c in v["chains"].as_array_mut()? {
                    c["final_pow_height"] = Value::from(0);
                }
                *done = Some("final_pow_height".into());
            }
            Lie::FinalHeight if path == "/v1/chains" => {
                for c in v["chains"].as_array_mut()? {
                    c["final_height"] = Value::from(c["final_height"].as_u64()? + 1);
                }
                *done = Some("final_height".into());
            }
            _ => {}
        }
        Some(response(&status, v.to_string().as_bytes()))
    });
    (server, altered)
}

/// What a lying PoW node changes in one header of the real litecoind's chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PowLie {
    /// One byte of its prev-hash flipped (proof of work ground again, served under its new id).
    PrevHash,
    /// Other (harder, still within the limit) bits (ground again, served under its new id).
    Bits,
    /// One byte of its merkle root flipped, served under the real id.
    Id,
    /// Its `chainwork` (`getblockheader ID true`) one higher; the header itself is honest.
    Chainwork,
}

/// The node's `chainwork` of the block at `height` (64 hex digits).
fn chainwork(node: &RegtestNode, height: u64) -> String {
    let id = node.rpc().block_hash(height).unwrap().to_string();
    let v = node
        .rpc()
        .call_value("getblockheader", serde_json::json!([id, true]))
        .unwrap();
    v["chainwork"].as_str().unwrap().to_string()
}

/// A JSON-RPC proxy in front of `node` that tells `lie` about the block at `height`: the altered
/// header's id replaces the real one in every reply (`getblockhash` answers it) and back in every
/// request, and its bytes replace the real header's; everything else is litecoind's answer.
fn lying_pow_node(node: &RegtestNode, height: u64, lie: PowLie) -> TestServer {
    let rpc = node.rpc();
    let real = rpc.block_hash(height).unwrap();
    let real_raw = rpc.raw_header(&real).unwrap();
    let mut h = BlockHeader::decode(&real_raw).unwrap();
    match lie {
        PowLie::PrevHash => h.prev.0[0] ^= 1,
        PowLie::Bits => h.bits = 0x207ffffe,
        PowLie::Id => h.merkle_root.0[0] ^= 1,
        PowLie::Chainwork => {}
    }
    while matches!(lie, PowLie::PrevHash | PowLie::Bits) && check_pow(&h).verdict.is_err() {
        h.nonce += 1;
    }
    let fake = if lie == PowLie::Id { real } else { h.id() };
    let (real, fake) = (real.to_string(), fake.to_string());
    // What replies have replaced: the id, the header's bytes, and (Chainwork) its chainwork.
    let mut swaps = vec![
        (real.clone(), fake.clone()),
        (hex::encode(&real_raw), hex::encode(h.encode())),
    ];
    if lie == PowLie::Chainwork {
        let work = chainwork(node, height);
        let more = u128::from_str_radix(&work[32..], 16).unwrap() + 1;
        swaps.push((work.clone(), format!("{}{more:032x}", &work[..32])));
    }
    let upstream = node.url().trim_start_matches("http://").to_string();
    TestServer::start(move |head, body| {
        let body = String::from_utf8_lossy(body).replace(&fake, &real);
        let (status, reply) = forward(&upstream, head, body.as_bytes())?;
        let reply = swaps
            .iter()
            .fold(String::from_utf8_lossy(&reply).into_owned(), |r, (a, b)| {
                r.replace(a, b)
            });
        Some(response(&status, reply.as_bytes()))
    })
}

/// A JSON-RPC proxy in front of `node` whose `getblockheader BEACON true` says the beacon is one
/// height higher than it is; everything else is litecoind's answer.
fn beacon_moved(node: &RegtestNode, beacon: &str) -> TestServer {
    let upstream = node.url().trim_start_matches("http://").to_string();
    let beacon = beacon.to_string();
    TestServer::start(move |head, body| {
        let (status, reply) = forward(&upstream, head, body)?;
        let asked = String::from_utf8_lossy(body);
        if !(asked.contains("getblockheader") && asked.contains(&beacon)) {
            return Some(response(&status, &reply));
        }
        let mut v: Value = serde_json::from_slice(&reply).ok()?;
        if let Some(h) = v["result"]["height"].as_u64() {
            v["result"]["height"] = Value::from(h + 1);
        }
        Some(response(&status, v.to_string().as_bytes()))
    })
}

/// `verify-chain URL --params chains.toml --json --pow-rpc …` of `pow`.
fn verify_chain(url: &str, params: &str, pow: &RegtestNode) -> Ran {
    verify_chain_at(url, params, &pow.url(), pow)
}

/// [`verify_chain`] with the PoW node reached at `pow_url` (a proxy in front of `pow`).
fn verify_chain_at(url: &str, params: &str, pow_url: &str, pow: &RegtestNode) -> Ran {
    masspoc()
        .args(["verify-chain", url, "--params", params, "--json"])
        .args(["--pow-rpc", pow_url, "--pow-rpc-cookie"])
        .arg(pow.cookie_path())
        .run()
}

#[test]
fn verify_chain_derives_the_nodes_final_block_from_checked_anchor_proofs() {
    let mut node = RegtestNode::start().expect("litecoind starts");
    node.fund_wallet().unwrap();
    let beacon_id = node.rpc().best_block_hash().unwrap();
    let beacon = beacon_id.to_string();
    let beacon_height = node.rpc().header_info(&beacon_id).unwrap().height;
    // The chain's beacon lies well below its anchors: the checked PoW range starts at it.
    node.mine(20).unwrap();
    let dir = common::scratch();
    let d = |p: &str| dir.path().join(p).display().to_string();
    local_chain::key_and_plots(dir.path(), 1);
    local_chain::write_one_chain(
        dir.path(),
        "fin",
        &beacon,
        1,
        TARGET_MS,
        "anchor_confirmations = 1\nfinality_window = 1\nfinality_depth = 2\n",
    );
    let port = local_chain::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut bridge = local_chain::spawn_logged(
        local_chain::bridge_run_args(dir.path(), port, &node),
        &dir.path().join("bridge.log"),
    );
    let farmer_toml = local_chain::write_farmer_config(dir.path(), "fin", &base);
    let mut farmer = local_chain::spawn_logged(
        [
            "farm".as_ref(),
            "--config".as_ref(),
            farmer_toml.as_os_str(),
        ],
        &dir.path().join("farmer.log"),
    );
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
    // Derived at the PoW height the node derived at (its follower's, which may lag litecoind).
    assert!(claim.final_pow_height.is_some(), "{claim:?}");
    assert_eq!(
        f["compared_at_pow_height"].as_u64(),
        claim.final_pow_height,
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
    // The PoW headers from 11 below the lowest anchoring block up to the PoW tip were checked.
    let tip = node.rpc().block_count().unwrap();
    let from = f["pow_headers_from"]
        .as_u64()
        .expect("headers were checked");
    let checked = f["pow_headers_checked"].as_u64().unwrap();
    assert_eq!(from, beacon_height, "rooted at the chain's beacon: {out}");
    assert_eq!(f["pow_tip"].as_u64(), Some(tip), "{out}");
    assert_eq!(from + checked - 1, tip, "{out}");
    assert!(checked > 11, "{out}");
    // The work they hold is the growth of the node's chainwork over them.
    let grew = u128::from_str_radix(&chainwork(&node, tip)[32..], 16).unwrap()
        - u128::from_str_radix(&chainwork(&node, from)[32..], 16).unwrap();
    assert_eq!(
        f["pow_headers_work"].as_str(),
        Some(format!("{grew:064x}").as_str()),
        "{out}"
    );
    eprintln!(
        "verify-chain checked {checked} PoW headers ({from}..={tip}) in {} s",
        f["pow_headers_secs"]
    );

    // A PoW node that serves one header of that range with a broken link, other bits, or bytes
    // that are not its id: an error naming the height, the check and the PoW node, no report;
    // one that reports a chainwork its headers do not hold: an error naming the range.
    let bad = from + 1;
    for (lie, check) in [
        (PowLie::PrevHash, "link"),
        (PowLie::Bits, "bits"),
        (PowLie::Id, "id"),
    ] {
        let proxy = lying_pow_node(&node, bad, lie);
        let ran = verify_chain_at(&base, &d("chains.toml"), &proxy.url, &node);
        assert_ne!(ran.code(), 0, "{lie:?}: {}", ran.both());
        assert!(
            ran.json_or_null().is_null(),
            "{lie:?}: no report: {}",
            ran.both()
        );
        let said = format!(
            "PoW header at height {bad} fails the {check} check (PoW node {})",
            proxy.url
        );
        assert!(ran.stderr.contains(&said), "{lie:?}: {}", ran.both());
    }
    // A PoW node that places the chain's beacon one height higher: the header checked there is
    // not the beacon.
    let proxy = beacon_moved(&node, &beacon);
    let ran = verify_chain_at(&base, &d("chains.toml"), &proxy.url, &node);
    let said = format!(
        "PoW header at height {} fails the beacon check (PoW node {}): the chain's beacon is \
         {beacon}",
        beacon_height + 1,
        proxy.url
    );
    assert_ne!(ran.code(), 0, "{}", ran.both());
    assert!(ran.json_or_null().is_null(), "{}", ran.both());
    assert!(ran.stderr.contains(&said), "{}", ran.both());
    let proxy = lying_pow_node(&node, tip, PowLie::Chainwork);
    let ran = verify_chain_at(&base, &d("chains.toml"), &proxy.url, &node);
    let said = format!(
        "PoW headers {from}..={tip} fail the chainwork check (PoW node {})",
        proxy.url
    );
    assert_ne!(ran.code(), 0, "{}", ran.both());
    assert!(ran.json_or_null().is_null(), "{}", ran.both());
    assert!(ran.stderr.contains(&said), "{}", ran.both());

    // A bridge that lies about one anchor proof's merkle path, or about the PoW height of its
    // block: an error naming the header and the failed link, no report.
    let upstream = base.trim_start_matches("http://").to_string();
    for (lie, why) in [
        (Lie::MerklePath, "path does not lead"),
        (Lie::ProofHeight, "has it at height"),
    ] {
        let (proxy, altered) = lying_bridge(upstream.clone(), lie);
        let ran = verify_chain(&proxy.url, &d("chains.toml"), &node);
        let item = altered
            .lock()
            .unwrap()
            .clone()
            .expect("a proof was altered");
        assert_ne!(ran.code(), 0, "{lie:?}: {}", ran.both());
        assert!(
            ran.json_or_null().is_null(),
            "{lie:?}: no report: {}",
            ran.both()
        );
        assert!(
            ran.stderr
                .contains(&format!("anchor proof of header {item}")),
            "{lie:?} names the header {item}: {}",
            ran.both()
        );
        assert!(ran.stderr.contains(why), "{lie:?}: {}", ran.both());
    }
    // A bridge whose proofs are honest but whose claimed final block is one higher: reported,
    // not agreed, exit 1, the mismatch said in words.
    let (proxy, altered) = lying_bridge(upstream.clone(), Lie::FinalHeight);
    let ran = verify_chain(&proxy.url, &d("chains.toml"), &node);
    assert!(altered.lock().unwrap().is_some());
    let out = ran.json_or_null();
    assert_eq!(ran.code(), 1, "{}", ran.both());
    assert_eq!(out["finality"]["agrees"], false, "{out}");
    assert_eq!(
        out["finality"]["node_final_height"].as_u64(),
        Some(claim.final_height.0 + 1),
        "{out}"
    );
    assert_eq!(
        out["finality"]["final_height"].as_u64(),
        Some(claim.final_height.0),
        "{out}"
    );
    let said = format!("at height {} final", claim.final_height.0);
    assert!(
        ran.stderr.contains("MISMATCH") && ran.stderr.contains(&said),
        "{}",
        ran.both()
    );
    drop(proxy);
    // A bridge that says it derived its final block at PoW height 0: derived there, nothing is
    // final, so its claim does not hold.
    let (proxy, altered) = lying_bridge(upstream, Lie::FinalPowHeight);
    let ran = verify_chain(&proxy.url, &d("chains.toml"), &node);
    assert!(altered.lock().unwrap().is_some());
    let out = ran.json_or_null();
    assert_eq!(ran.code(), 1, "{}", ran.both());
    assert_eq!(out["finality"]["compared_at_pow_height"].as_u64(), Some(0));
    assert_eq!(out["finality"]["final_height"].as_u64(), Some(0), "{out}");
    assert_eq!(out["finality"]["agrees"], false, "{out}");
    drop(proxy);

    // A PoW node that never saw the anchors (another regtest litecoind, its own blocks): the
    // bridge's final block is not derived; the error names the header and that PoW node.
    let mut stranger = RegtestNode::start().expect("a second litecoind starts");
    stranger.mine(5).unwrap();
    let ran = verify_chain(&base, &d("chains.toml"), &stranger);
    assert_ne!(ran.code(), 0, "{}", ran.both());
    assert!(ran.json_or_null().is_null(), "{}", ran.both());
    assert!(
        ran.stderr.contains("anchor proof of header") && ran.stderr.contains(&stranger.url()),
        "{}",
        ran.both()
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
