//! Per-chain state (docs/operations.md, "Per-chain state"): while a block write on chain A is
//! held for seconds before its commit (a slow disk, injected), a real server on loopback still
//! answers chain B's work, long-poll, header pages and bodies, the chain list and health within
//! 500 ms, and chain A's long-poll wakes once A's write commits.

use crate::common;

use common::host_server::HostServer;
use common::spec::weak_spec;
use masspoc_api::routes;
use masspoc_node_bridge::host::ChainHost;
use masspoc_node_bridge::store::Store;
use masspoc_verifier::testkit::{grow_chain, TestFarmer};
use masspoc_verifier::{ChainState, Height};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One request to the chain host: JSON `body` to `method path`; status and body.
fn request(addr: SocketAddr, method: &str, path: &str, body: &str) -> (u16, String) {
    let head = format!("{method} {path} HTTP/1.1\r\nContent-Type: application/json");
    common::raw_request::request(addr, &head, body.as_bytes())
}

/// How long chain A's write is held before it commits.
const HOLD: Duration = Duration::from_secs(3);
/// What every read of chain B (and the shared ones) must answer within meanwhile.
const BOUND: Duration = Duration::from_millis(500);

fn post_header(addr: SocketAddr, chain: &masspoc_verifier::ChainId, h: &masspoc_verifier::Header) {
    let body = format!(r#"{{"header":"{}"}}"#, hex::encode(h.encode()));
    let (status, reply) = request(addr, "POST", &routes::headers(chain), &body);
    assert_eq!(status, 200, "{reply}");
}

#[test]
fn a_slow_write_on_one_chain_holds_up_no_other_chain() {
    let spec_a = weak_spec("slow-a", &"a1".repeat(32));
    let spec_b = weak_spec("quick-b", &"b2".repeat(32));
    let farmers = [TestFarmer::new([7; 32], &[16])];
    let a = grow_chain(
        &ChainState::new(spec_a.clone()),
        &farmers,
        spec_a.genesis.hash,
        1,
    );
    let b = grow_chain(
        &ChainState::new(spec_b.clone()),
        &farmers,
        spec_b.genesis.hash,
        2,
    );
    let (ida, idb) = (spec_a.chain_id, spec_b.chain_id);

    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_data_dir(dir.path()).unwrap();
    let mut host = ChainHost::open(&store, vec![spec_a, spec_b], true).unwrap();
    host.set_check_clock(false);
    let srv = HostServer::start(host);
    let addr = srv.addr;
    for h in &b {
        post_header(addr, &idb, h);
    }

    // Chain A's next write holds A's lock and the database's write transaction for HOLD.
    srv.shared.host.stall_next_commit(HOLD);
    let done = Arc::new(AtomicBool::new(false));
    let writer = {
        let (done, h) = (done.clone(), a[0]);
        std::thread::spawn(move || {
            let t = Instant::now();
            post_header(addr, &ida, &h);
            done.store(true, Ordering::SeqCst);
            t.elapsed()
        })
    };
    // A long-poll on A, opened while A's write is held: it answers once that write commits.
    let poller = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        let t = Instant::now();
        let (status, work) = request(addr, "GET", &routes::work(&ida, 20_000, None), "");
        (status, work, t.elapsed())
    });
    std::thread::sleep(Duration::from_millis(400));
    assert!(!done.load(Ordering::SeqCst), "chain A's write is not held");

    let reads = [
        routes::work(&idb, 0, None).to_string(),
        routes::headers_page(&idb, Height(1), 10),
        routes::body(&idb, &b[1].hash()),
        routes::CHAINS.to_string(),
        routes::HEALTH.to_string(),
        routes::work(&idb, 0, None).to_string(),
    ];
    let mut slowest = Duration::ZERO;
    for path in &reads {
        let t = Instant::now();
        let (status, body) = request(addr, "GET", path, "");
        let took = t.elapsed();
        assert_eq!(status, 200, "{path}: {body}");
        assert!(
            took < BOUND,
            "{path} took {took:?} while chain A's write was held"
        );
        slowest = slowest.max(took);
        if path.contains("challenge") {
            // B's work extends B's tip (height 2), so it is B's state that answered.
            let work: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert_eq!(work["height"], 3, "{body}");
        }
        if path == routes::CHAINS {
            let list: serde_json::Value = serde_json::from_str(&body).unwrap();
            let heights: Vec<_> = list["chains"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| (c["name"].as_str().unwrap().to_string(), c["height"].clone()))
                .collect();
            assert!(
                heights.contains(&("quick-b".into(), 2.into()))
                    && heights.contains(&("slow-a".into(), 0.into())),
                "{body}"
            );
        }
    }
    assert!(
        !done.load(Ordering::SeqCst),
        "chain A's write ended before the reads were done: they proved nothing"
    );
    eprintln!("slowest read of chain B / shared while A's write was held: {slowest:?}");

    let write_took = writer.join().unwrap();
    assert!(write_took >= HOLD, "chain A's write took {write_took:?}");
    let (status, work, waited) = poller.join().unwrap();
    assert_eq!(status, 200, "{work}");
    let work: serde_json::Value = serde_json::from_str(&work).unwrap();
    assert_eq!(
        work["height"], 2,
        "A's long-poll answered before A's tip moved: {work}"
    );
    assert!(
        waited < HOLD + Duration::from_secs(2),
        "A's long-poll waited {waited:?}"
    );
}
