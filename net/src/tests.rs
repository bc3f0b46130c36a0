//! Several nodes in one process on loopback TCP, each over an in-memory chain.

use crate::memsink::MemSink;
use crate::message::Announce;
use crate::node::{spawn, NetConfig, NetHandle};
use libp2p::identity::Keypair;
use libp2p::multiaddr::Protocol;
use libp2p::Multiaddr;
use masspoc_verifier::testkit::{bench_params, grow_chain, TestFarmer};
use masspoc_verifier::{Block, ChainSpec, ChainState, Header};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn spec() -> ChainSpec {
    ChainSpec::new(bench_params()).unwrap()
}

/// A state holding the first `n` of `headers`.
fn state_with(headers: &[Header], n: usize) -> ChainState {
    let mut s = ChainState::new(spec());
    for h in &headers[..n] {
        s.accept_header(h, None).unwrap();
    }
    s
}

fn chain(n: usize) -> Vec<Header> {
    let spec = spec();
    let state = ChainState::new(spec.clone());
    grow_chain(
        &state,
        &[TestFarmer::new([5; 32], &[16])],
        spec.genesis.hash,
        n,
    )
}

struct TestNode {
    handle: NetHandle,
    sink: Arc<MemSink>,
    addr: Multiaddr,
}

async fn start(sink: MemSink, peers: Vec<Multiaddr>, sync_every: Duration) -> TestNode {
    let sink = Arc::new(sink);
    let mut config = NetConfig::new(
        Keypair::generate_ed25519(),
        vec!["/ip4/127.0.0.1/tcp/0".parse().unwrap()],
        peers,
    );
    config.sync_interval = sync_every;
    config.redial_interval = Duration::from_millis(300);
    config.heartbeat = Duration::from_millis(200);
    let handle = spawn(config, sink.clone()).unwrap();
    let addr = loop {
        let st = handle.status().await.unwrap();
        if let Some(a) = st.listen.first() {
            break a.clone().with(Protocol::P2p(handle.peer_id()));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    TestNode { handle, sink, addr }
}

async fn wait_for(what: &str, timeout: Duration, mut ok: impl FnMut() -> bool) {
    let until = Instant::now() + timeout;
    while !ok() {
        assert!(Instant::now() < until, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn connected(node: &TestNode, n: usize) {
    let until = Instant::now() + Duration::from_secs(10);
    while node.handle.status().await.unwrap().peers.len() < n {
        assert!(Instant::now() < until, "peers did not connect");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn range_sync_over_two_hops_then_gossip_reaches_every_node() {
    // 600 headers: more than one sync page (512).
    let hs = chain(601);
    let a = start(
        MemSink::new(state_with(&hs, 600)),
        vec![],
        Duration::from_millis(500),
    )
    .await;
    let b = start(
        MemSink::new(state_with(&hs, 0)),
        vec![a.addr.clone()],
        Duration::from_millis(500),
    )
    .await;
    let c = start(
        MemSink::new(state_with(&hs, 0)),
        vec![b.addr.clone()],
        Duration::from_millis(500),
    )
    .await;
    wait_for(
        "b and c to sync 600 headers",
        Duration::from_secs(60),
        || b.sink.height() == 600 && c.sink.height() == 600,
    )
    .await;
    assert_eq!(c.sink.tip(), a.sink.tip());
    assert!(b.handle.status().await.unwrap().synced >= 600);
    // A new header accepted by A reaches C through B's relay (C is not connected to A).
    a.sink
        .state
        .lock()
        .unwrap()
        .accept_header(&hs[600], None)
        .unwrap();
    a.handle
        .announce(Announce::Block(Box::new(Block::empty(hs[600]))));
    wait_for("the gossiped header at c", Duration::from_secs(10), || {
        c.sink.height() == 601
    })
    .await;
    assert_eq!(c.sink.tip(), hs[600].hash());
    let c_peers = c.handle.status().await.unwrap().peers;
    assert_eq!(c_peers.len(), 1, "c only knows b");
    assert_eq!(c_peers[0].peer_id, b.handle.peer_id());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gossiped_orphan_fetches_its_missing_ancestors() {
    let hs = chain(31);
    let hour = Duration::from_secs(3600);
    let a = start(MemSink::new(state_with(&hs, 10)), vec![], hour).await;
    let b = start(
        MemSink::new(state_with(&hs, 10)),
        vec![a.addr.clone()],
        hour,
    )
    .await;
    connected(&b, 1).await;
    // Let the connection's one sync round finish (both at 10: it brings nothing).
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(b.sink.height(), 10);
    {
        let mut s = a.sink.state.lock().unwrap();
        for h in &hs[10..31] {
            s.accept_header(h, None).unwrap();
        }
    }
    // Only the tip is announced: b must fetch the 20 headers between.
    a.handle
        .announce(Announce::Block(Box::new(Block::empty(hs[30]))));
    wait_for("b to reach 31", Duration::from_secs(15), || {
        b.sink.height() == 31
    })
    .await;
    assert_eq!(b.sink.tip(), hs[30].hash());
    let st = b.handle.status().await.unwrap();
    assert_eq!(st.ancestors_fetched, 20);
    assert_eq!(st.synced, 0, "no range sync was needed");
    assert_eq!(st.orphans, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_headers_are_not_relayed_and_their_sender_is_banned() {
    let hs = chain(6);
    let hour = Duration::from_secs(3600);
    let b = start(MemSink::new(state_with(&hs, 5)), vec![], hour).await;
    let c = start(MemSink::new(state_with(&hs, 5)), vec![b.addr.clone()], hour).await;
    let mut junk_sink = MemSink::new(state_with(&hs, 5));
    junk_sink.permissive = true;
    let junk = start(junk_sink, vec![b.addr.clone()], hour).await;
    connected(&b, 2).await;
    // Gossipsub learns the peers' subscriptions right after connecting.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let mut junk_hashes = Vec::new();
    for i in 0..3u8 {
        let mut bad = hs[5];
        bad.payload_root.0[0] ^= 1 + i;
        junk_hashes.push(bad.hash());
        junk.handle
            .announce(Announce::Block(Box::new(Block::empty(bad))));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        let st = b.handle.status().await.unwrap();
        if st.banned == 1 && !st.peers.iter().any(|p| p.peer_id == junk.handle.peer_id()) {
            break;
        }
        assert!(Instant::now() < until, "junk peer not banned: {st:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(b.sink.height(), 5);
    // The honest header still travels b → c; junk never reached c.
    b.sink
        .state
        .lock()
        .unwrap()
        .accept_header(&hs[5], None)
        .unwrap();
    b.handle
        .announce(Announce::Block(Box::new(Block::empty(hs[5]))));
    wait_for("the honest header at c", Duration::from_secs(10), || {
        c.sink.height() == 6
    })
    .await;
    let offered = c.sink.offered.lock().unwrap().clone();
    assert!(
        junk_hashes.iter().all(|h| !offered.contains(h)),
        "junk relayed to c"
    );
    // The junk node keeps redialling b and is refused.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let st = b.handle.status().await.unwrap();
    assert!(!st.peers.iter().any(|p| p.peer_id == junk.handle.peer_id()));
    assert_eq!(st.banned, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anchor_batches_come_from_the_peer_that_holds_them_and_junk_leaves_ban_their_sender() {
    let hs = chain(2);
    let tick = Duration::from_millis(300);
    let root = [7u8; 32];
    let leaves = vec![[1u8; 33], [2u8; 33]];
    let waiting = MemSink::new(state_with(&hs, 2));
    waiting.wanted.lock().unwrap().insert(root, leaves.clone());
    let h = start(waiting, vec![], tick).await;
    // A peer answering every batch request with leaves that do not hash to the root.
    let mut junk_sink = MemSink::new(state_with(&hs, 2));
    junk_sink.permissive = true;
    let junk = start(junk_sink, vec![h.addr.clone()], Duration::from_secs(3600)).await;
    let until = Instant::now() + Duration::from_secs(15);
    loop {
        let st = h.handle.status().await.unwrap();
        if st.banned == 1 && !st.peers.iter().any(|p| p.peer_id == junk.handle.peer_id()) {
            assert_eq!(st.batches_fetched, 0);
            break;
        }
        assert!(Instant::now() < until, "junk batch peer not banned: {st:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(h.sink.batches.lock().unwrap().is_empty(), "junk stored");
    assert!(h.sink.wanted.lock().unwrap().contains_key(&root));
    // A peer holding the batch: asked on connecting, its leaves are taken.
    let holder_sink = MemSink::new(state_with(&hs, 2));
    holder_sink
        .batches
        .lock()
        .unwrap()
        .insert(root, leaves.clone());
    let _holder = start(holder_sink, vec![h.addr.clone()], Duration::from_secs(3600)).await;
    wait_for("the batch from its holder", Duration::from_secs(10), || {
        h.sink.batches.lock().unwrap().get(&root) == Some(&leaves)
    })
    .await;
    let st = h.handle.status().await.unwrap();
    assert_eq!(st.batches_fetched, 1);
    assert_eq!(st.banned, 1, "the honest holder is not penalised");
    assert!(h.sink.wanted.lock().unwrap().is_empty());
}
