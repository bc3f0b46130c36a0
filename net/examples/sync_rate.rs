//! Sync rate of the chain network: node B, empty, catches up N headers (default 10,000) from
//! node A over libp2p on loopback, each header through the full chain rules of an in-memory
//! chain state (no store). Compare with `masspoc bench verify`'s headers/s.
//!
//! `cargo run --release -p masspoc-net --features testkit --example sync_rate -- 10000`

use masspoc_net::memsink::MemSink;
use masspoc_net::{spawn, NetConfig};
use masspoc_verifier::testkit::{bench_params, grow_chain, TestFarmer};
use masspoc_verifier::{ChainSpec, ChainState};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000);
    let spec = ChainSpec::new(bench_params()).expect("bench params");
    let mut full = ChainState::new(spec.clone());
    let t = Instant::now();
    let headers = grow_chain(
        &full,
        &[TestFarmer::new([5; 32], &[16])],
        spec.genesis.hash,
        n,
    );
    for h in &headers {
        full.accept_header(h, None).expect("honest header");
    }
    eprintln!("grew {n} headers in {:?}", t.elapsed());
    let listen = vec!["/ip4/127.0.0.1/tcp/0".parse().expect("address")];
    let key = || masspoc_net::identity::Keypair::generate_ed25519();
    let a = spawn(
        NetConfig::new(key(), listen.clone(), vec![]),
        Arc::new(MemSink::new(full)),
    )
    .expect("node a");
    let addr = loop {
        if let Some(a) = a.status().await.expect("status").listen.first() {
            break a.clone();
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let b_sink = Arc::new(MemSink::new(ChainState::new(spec)));
    let t = Instant::now();
    let _b = spawn(NetConfig::new(key(), listen, vec![addr]), b_sink.clone()).expect("node b");
    while b_sink.height() < n as u64 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let s = t.elapsed().as_secs_f64();
    println!(
        "synced {n} headers in {s:.2} s: {:.0} headers/s (connect included)",
        n as f64 / s
    );
}
