//! Sync rate of a late-joining chain host against the machine's own limits (issue 13,
//! `docs/network.md` "Sync rate"). Node A is a real `ChainHost` on its own redb store holding N
//! valid blocks; node B, an empty host on another store, joins over the real libp2p network on
//! loopback and is timed until its best tip is A's. In the same run, on the same blocks:
//!
//! - verify-only: the verifier's batch precheck on all cores, then the chain rules in order
//!   (`masspoc_verifier::batch::accept_sequence`), pages of `MAX_SYNC_HEADERS`, no store;
//! - store-only: the log and outbox writes of every block (`HostLog::append_block_in`,
//!   `Outbox::enqueue_in`), one redb commit per page, no checks;
//! - host page path: A filled through `ChainHost::submit_page` page by page (checks and store,
//!   no network).
//!
//! ```text
//! cargo run --release -p masspoc-node-bridge --example sync_rate -- 10000 [--json]
//! ```

use masspoc_net::message::MAX_SYNC_HEADERS;
use masspoc_net::{spawn, Keypair, NetConfig};
use masspoc_node_bridge::anchor::{Item, ItemKind, Outbox};
use masspoc_node_bridge::host::http::Shared;
use masspoc_node_bridge::host::log::HostLog;
use masspoc_node_bridge::host::peer::PeerSeam;
use masspoc_node_bridge::host::ChainHost;
use masspoc_node_bridge::store::Store;
use masspoc_verifier::batch::accept_sequence;
use masspoc_verifier::testkit::{bench_params, grow_chain, TestFarmer};
use masspoc_verifier::{Block, ChainSpec, ChainState};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// B gives up after this long without reaching A's tip.
const SYNC_LIMIT: Duration = Duration::from_secs(600);

fn host_on(dir: &Path, spec: &ChainSpec) -> Arc<Shared> {
    let store = Store::open_data_dir(dir).expect("store");
    let mut host = ChainHost::open(&store, vec![spec.clone()], true).expect("host");
    host.set_check_clock(false);
    Shared::new(host)
}

fn height(shared: &Shared, spec: &ChainSpec) -> u64 {
    shared
        .host
        .with_state(&spec.chain_id, |s| s.best().height.0)
        .expect("hosted chain")
}

fn pages(blocks: &[Block]) -> std::slice::Chunks<'_, Block> {
    blocks.chunks(MAX_SYNC_HEADERS as usize)
}

/// Seconds to check every block (precheck on all cores, rules in order), no store.
fn verify_only(spec: &ChainSpec, blocks: &[Block]) -> f64 {
    let mut state = ChainState::new(spec.clone());
    let t = Instant::now();
    for page in pages(blocks) {
        for r in accept_sequence(&mut state, page, None) {
            r.expect("honest block");
        }
    }
    t.elapsed().as_secs_f64()
}

/// Seconds to write every block's log entry, body and outbox item, one commit per page.
fn store_only(dir: &Path, spec: &ChainSpec, blocks: &[Block]) -> f64 {
    let store = Store::open_data_dir(dir).expect("store");
    let log = HostLog::on(store.clone()).expect("log");
    let outbox = Outbox::on(store.clone()).expect("outbox");
    let t = Instant::now();
    for page in pages(blocks) {
        let tx = store.begin_write().expect("begin");
        for b in page {
            log.append_block_in(&tx, &spec.chain_id, b).expect("log");
            let item = Item {
                kind: ItemKind::Header,
                hash: b.hash().0,
            };
            outbox.enqueue_in(&tx, &[item]).expect("outbox");
        }
        store.commit(tx).expect("commit");
    }
    t.elapsed().as_secs_f64()
}

/// Seconds to fill `shared` with `blocks` through the host's page path (no network).
fn host_fill(shared: &Shared, spec: &ChainSpec, blocks: &[Block]) -> f64 {
    let t = Instant::now();
    for page in pages(blocks) {
        for r in shared.host.submit_page(&spec.chain_id, page, 0, |_| true) {
            r.expect("honest block stored");
        }
    }
    t.elapsed().as_secs_f64()
}

fn rate(n: usize, secs: f64) -> f64 {
    n as f64 / secs
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let json = args.iter().any(|a| a == "--json");
    let n: usize = args.iter().find_map(|a| a.parse().ok()).unwrap_or(10_000);
    let spec = ChainSpec::new(bench_params()).expect("bench params");
    let t = Instant::now();
    let blocks: Vec<Block> = grow_chain(
        &ChainState::new(spec.clone()),
        &[TestFarmer::new([5; 32], &[16])],
        spec.genesis.hash,
        n,
    )
    .into_iter()
    .map(Block::empty)
    .collect();
    eprintln!("built {n} blocks in {:.2} s", t.elapsed().as_secs_f64());
    let dir = tempfile::tempdir().expect("temp dir");

    let verify_s = verify_only(&spec, &blocks);
    let store_s = store_only(&dir.path().join("store-only"), &spec, &blocks);
    let a = host_on(&dir.path().join("a"), &spec);
    let fill_s = host_fill(&a, &spec, &blocks);
    assert_eq!(height(&a, &spec), n as u64, "node A holds the chain");

    let listen = vec!["/ip4/127.0.0.1/tcp/0".parse().expect("address")];
    let key = Keypair::generate_ed25519;
    let node_a = spawn(
        NetConfig::new(key(), listen.clone(), vec![]),
        Arc::new(PeerSeam(a.clone())),
    )
    .expect("node a");
    let addr = loop {
        if let Some(a) = node_a.status().await.expect("status").listen.first() {
            break a.clone();
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let b = host_on(&dir.path().join("b"), &spec);
    let t = Instant::now();
    let _node_b = spawn(
        NetConfig::new(key(), listen, vec![addr]),
        Arc::new(PeerSeam(b.clone())),
    )
    .expect("node b");
    while height(&b, &spec) < n as u64 {
        assert!(
            t.elapsed() < SYNC_LIMIT,
            "node B stalled at {} of {n}",
            height(&b, &spec)
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let net_s = t.elapsed().as_secs_f64();
    let tips = |s: &Shared| s.host.with_state(&spec.chain_id, |c| c.best().hash);
    assert_eq!(tips(&b), tips(&a), "node B's tip is node A's");

    let (net, verify, store, fill) = (
        rate(n, net_s),
        rate(n, verify_s),
        rate(n, store_s),
        rate(n, fill_s),
    );
    // The machine's limit for a node that checks and stores: both, one after the other.
    let limit = rate(n, verify_s + store_s);
    if json {
        let out = serde_json::json!({
            "blocks": n,
            "page": MAX_SYNC_HEADERS,
            "cores": std::thread::available_parallelism().map_or(1, |c| c.get()),
            "network_secs": net_s, "network_blocks_per_s": net,
            "verify_only_secs": verify_s, "verify_only_blocks_per_s": verify,
            "store_only_secs": store_s, "store_only_blocks_per_s": store,
            "host_page_path_secs": fill_s, "host_page_path_blocks_per_s": fill,
            "verify_plus_store_blocks_per_s": limit,
            "network_over_limit": net / limit,
        });
        println!("{out}");
    } else {
        println!("{n} blocks, pages of {MAX_SYNC_HEADERS}");
        println!("{:<34} {:>10} {:>12}", "", "seconds", "blocks/s");
        for (what, s, r) in [
            ("network sync (B joins A, loopback)", net_s, net),
            ("verify only (precheck + rules)", verify_s, verify),
            ("store only (log + outbox commits)", store_s, store),
            ("host page path (no network)", fill_s, fill),
        ] {
            println!("{what:<34} {s:>10.3} {r:>12.0}");
        }
        println!(
            "network / (verify + store) = {:.2}   network / verify = {:.2}   network / store = {:.2}",
            net / limit,
            net / verify,
            net / store
        );
    }
}
