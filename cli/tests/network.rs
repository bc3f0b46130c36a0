//! The chain network with real processes on loopback: three `masspoc bridge run` chain nodes on
//! one regtest litecoind, peered over libp2p. Headers are made by the verifier's honest test
//! farmers and submitted over HTTP, as a farmer does, to one node or another:
//! - headers submitted to A reach B and C (propagation latency A → C measured);
//! - two farmers submitting competing branches to A and B: all three agree on the heavier tip;
//! - C SIGKILLed, A and B go on, C restarted: it catches up by range sync;
//! - C cut off (its links go through proxies the test cuts) while both sides grow: healed, all
//!   converge on one tip;
//! - a junk peer (an in-process libp2p node) sending invalid headers to A is banned and its
//!   headers never reach B or C.

use crate::common;
use common::local_chain::{free_port, now_ms};
use common::proxy::Proxy;

use masspoc_api::{ChainList, SubmitEvidence, SubmitHeader, SubmitReply, Work};
use masspoc_node_bridge::regtest::RegtestNode;
use masspoc_verifier::testkit::{grow_chain, TestFarmer};
use masspoc_verifier::{
    Beacon, Block, Body, ChainParams, ChainSpec, ChainState, Evidence, Header, HeaderHash,
};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

fn params(beacon: &str, genesis_time_ms: u64) -> ChainParams {
    ChainParams {
        genesis_time_ms,
        slot_ms: 6_000,
        initial_difficulty: 20_000,
        ..masspoc_verifier::testkit::weak_params("net", Beacon::from_hex(beacon).unwrap())
    }
}

fn chains_file(dir: &Path, p: &ChainParams) -> PathBuf {
    let path = dir.join("chains.toml");
    std::fs::write(
        &path,
        format!(
            "[[chain]]\nname = {:?}\nbeacon = \"{}\"\ngenesis_time_ms = {}\ntarget_interval_ms = {}\n\
             slot_ms = {}\nfilter_bits = 0\nmin_k = {}\ninitial_difficulty = {}\n\
             retarget_window = {}\nmax_future_drift_ms = {}\n",
            p.name,
            p.beacon.to_hex(),
            p.genesis_time_ms,
            p.target_interval_ms,
            p.slot_ms,
            p.min_k,
            p.initial_difficulty,
            p.retarget_window,
            p.max_future_drift_ms
        ),
    )
    .unwrap();
    path
}

/// One chain node process and how to start it again.
struct Node {
    name: &'static str,
    args: Vec<String>,
    http: u16,
    log: PathBuf,
    child: Option<Child>,
}

impl Node {
    #[allow(clippy::too_many_arguments)]
    fn start(
        name: &'static str,
        node: &RegtestNode,
        dir: &Path,
        chains: &Path,
        p2p: u16,
        peers: &[u16],
    ) -> Node {
        let http = free_port();
        let mut args: Vec<String> = ["--log", "info", "bridge", "run", "--network", "regtest"]
            .map(String::from)
            .to_vec();
        args.extend(common::node_args(node));
        args.extend([
            "--data".into(),
            dir.join(name).display().to_string(),
            "--chains".into(),
            chains.display().to_string(),
            "--listen".into(),
            format!("127.0.0.1:{http}"),
            "--poll-ms".into(),
            "500".into(),
            // A test chain: short interval, small plots, nothing at stake.
            "--allow-weak-params".into(),
            "--p2p-listen".into(),
            format!("/ip4/127.0.0.1/tcp/{p2p}"),
        ]);
        for p in peers {
            args.extend(["--peer".into(), format!("/ip4/127.0.0.1/tcp/{p}")]);
        }
        let mut n = Node {
            name,
            args,
            http,
            log: dir.join(format!("{name}.log")),
            child: None,
        };
        n.spawn();
        n
    }

    fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        let child = common::masspoc()
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        self.child = Some(child);
        let until = Instant::now() + Duration::from_secs(30);
        while self.tip().is_none() {
            assert!(
                Instant::now() < until,
                "{} did not come up: {}",
                self.name,
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().unwrap(); // SIGKILL
            c.wait().unwrap();
        }
    }

    fn log_text(&self) -> String {
        common::log_text(&self.log)
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.http)
    }

    /// (height, tip hash), or `None` while the node does not answer.
    fn tip(&self) -> Option<(u64, HeaderHash)> {
        let mut resp = ureq::get(&self.url("/v1/chains")).call().ok()?;
        let list: ChainList = serde_json::from_str(&resp.body_mut().read_to_string().ok()?).ok()?;
        let c = list.chains.first()?;
        Some((c.height.0, c.tip_hash))
    }

    /// POSTs `body` (JSON) to `path`: (status, the reply's error code if any).
    fn post(&self, path: &str, body: &str) -> (u16, Option<String>) {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let mut resp = agent
            .post(&self.url(path))
            .header("content-type", "application/json")
            .send(body)
            .unwrap();
        let v: serde_json::Value =
            serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap();
        let code = v["error"]["code"].as_str().map(str::to_string);
        (resp.status().as_u16(), code)
    }

    /// Submits a block (header and body): (status, error code).
    fn submit_block(&self, b: &Block) -> (u16, Option<String>) {
        let body = serde_json::to_string(&SubmitHeader::block(b)).unwrap();
        self.post(
            &format!("/v1/chains/{}/headers", b.header.chain_id.to_hex()),
            &body,
        )
    }

    /// The node's work for its best tip.
    fn work(&self, chain: &masspoc_verifier::ChainId) -> Work {
        let path = format!("/v1/chains/{}/challenge", chain.to_hex());
        let mut resp = ureq::get(&self.url(&path)).call().unwrap();
        serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap()
    }

    fn submit(&self, h: &Header) -> SubmitReply {
        let body = serde_json::to_string(&SubmitHeader::new(h)).unwrap();
        let path = format!("/v1/chains/{}/headers", h.chain_id.to_hex());
        let mut resp = ureq::post(&self.url(&path))
            .header("content-type", "application/json")
            .send(body.as_str())
            .unwrap_or_else(|e| panic!("{} refused a header: {e}", self.name));
        serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

fn wait_tips(nodes: &[&Node], tip: HeaderHash, within: Duration, what: &str) {
    let until = Instant::now() + within;
    loop {
        if nodes.iter().all(|n| n.tip().map(|t| t.1) == Some(tip)) {
            return;
        }
        if Instant::now() > until {
            let tips: Vec<_> = nodes.iter().map(|n| (n.name, n.tip())).collect();
            let logs: String = nodes
                .iter()
                .map(|n| format!("--- {}\n{}", n.name, common::tail(&n.log_text(), 40)))
                .collect();
            panic!("{what}: not on tip {tip} in time: {tips:?}\n{logs}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn percentile(sorted: &[Duration], p: usize) -> Duration {
    sorted[(sorted.len() * p / 100).min(sorted.len() - 1)]
}

#[test]
fn three_nodes_propagate_compete_restart_and_heal_a_partition() {
    let dir = common::scratch();
    let mut node = RegtestNode::start().expect("litecoind starts");
    node.mine(2).unwrap();
    let beacon = node.rpc().block_hash(1).unwrap().to_string();
    let p = params(&beacon, now_ms() - 3600 * 1000);
    let chains = chains_file(dir.path(), &p);
    let spec = ChainSpec::new(p).unwrap();
    let (pa, pb, pc) = (free_port(), free_port(), free_port());
    // C's links (both directions) go through proxies the test can cut.
    let (a_to_c, b_to_c) = (Proxy::to(pc), Proxy::to(pc));
    let (c_to_a, c_to_b) = (Proxy::to(pa), Proxy::to(pb));
    let a = Node::start("a", &node, dir.path(), &chains, pa, &[pb, a_to_c.port]);
    let b = Node::start("b", &node, dir.path(), &chains, pb, &[pa, b_to_c.port]);
    let mut c = Node::start(
        "c",
        &node,
        dir.path(),
        &chains,
        pc,
        &[c_to_a.port, c_to_b.port],
    );

    // Everything the test submits, in one local state (fork choice is computed here too).
    let mut all = ChainState::new(spec.clone());
    let f1 = TestFarmer::new([1; 32], &[16]);
    let f2 = TestFarmer::new([2; 32], &[16]);
    let grow = |all: &mut ChainState, f: &TestFarmer, from: HeaderHash, n: usize| {
        let hs = grow_chain(all, std::slice::from_ref(f), from, n);
        for h in &hs {
            all.accept_header(h, None).unwrap();
        }
        assert!(
            hs.last().unwrap().timestamp_ms < now_ms(),
            "headers in the past"
        );
        hs
    };

    // 1. Headers farmed through A reach B and C; A → C latency, one header at a time.
    let first = grow(&mut all, &f1, spec.genesis.hash, 40);
    wait_tips(
        &[&a, &b, &c],
        spec.genesis.hash,
        Duration::from_secs(5),
        "start",
    );
    std::thread::sleep(Duration::from_secs(2)); // meshes form
    let mut latencies = Vec::new();
    for h in &first {
        a.submit(h);
        let t0 = Instant::now();
        wait_tips(&[&c], h.hash(), Duration::from_secs(10), "propagation");
        latencies.push(t0.elapsed());
    }
    wait_tips(
        &[&a, &b, &c],
        first[39].hash(),
        Duration::from_secs(10),
        "phase 1",
    );
    latencies.sort();
    eprintln!(
        "figure: header propagation A -> C over 3 nodes, {} headers: p50 {:?}, p99 {:?}",
        latencies.len(),
        percentile(&latencies, 50),
        percentile(&latencies, 99)
    );

    // 2. Two farmers on different nodes compete from the same parent.
    let fork_at = first[39].hash();
    let x = grow(&mut all, &f1, fork_at, 6);
    let y = grow(&mut all, &f2, fork_at, 6);
    for (hx, hy) in x.iter().zip(&y) {
        a.submit(hx);
        b.submit(hy);
    }
    let best = all.best().hash;
    assert!(best == x[5].hash() || best == y[5].hash());
    wait_tips(&[&a, &b, &c], best, Duration::from_secs(20), "competition");

    // 3. C SIGKILLed; A and B go on; C restarted catches up by range sync.
    c.kill();
    let more = grow(&mut all, &f1, best, 30);
    for h in &more {
        b.submit(h);
    }
    wait_tips(
        &[&a, &b],
        more[29].hash(),
        Duration::from_secs(20),
        "without c",
    );
    let t0 = Instant::now();
    c.spawn();
    wait_tips(
        &[&c],
        more[29].hash(),
        Duration::from_secs(30),
        "c restarted",
    );
    eprintln!(
        "figure: restarted C caught up 30 headers in {:?}",
        t0.elapsed()
    );

    // 4. Partition: C cut off while both sides grow (C's side lighter), then healed.
    for pr in [&a_to_c, &b_to_c, &c_to_a, &c_to_b] {
        pr.set_cut(true);
    }
    std::thread::sleep(Duration::from_secs(1));
    let tip = all.best().hash;
    let lone = grow(&mut all, &f2, tip, 3);
    let main = grow(&mut all, &f1, tip, 12);
    for h in &lone {
        c.submit(h);
    }
    for h in &main {
        a.submit(h);
    }
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        c.tip().unwrap().1,
        lone[2].hash(),
        "c is cut off, yet reached by others' headers:\n{}",
        common::tail(&c.log_text(), 40)
    );
    assert_eq!(b.tip().unwrap().1, main[11].hash());
    for pr in [&a_to_c, &b_to_c, &c_to_a, &c_to_b] {
        pr.set_cut(false);
    }
    let best = all.best().hash;
    wait_tips(
        &[&a, &b, &c],
        best,
        Duration::from_secs(30),
        "healed partition",
    );
    drop(c);
}

/// Waits until `node` hands out exactly `want` in its `Work`.
fn wait_evidence(node: &Node, chain: &masspoc_verifier::ChainId, want: &[Evidence], what: &str) {
    let until = Instant::now() + Duration::from_secs(20);
    loop {
        let got = node.work(chain).decode_evidence().unwrap();
        if got == want {
            return;
        }
        assert!(
            Instant::now() < until,
            "{what}: {} hands out {got:?}\n{}",
            node.name,
            common::tail(&node.log_text(), 40)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The next block on `parent` by `f` carrying `body`, built on the local state.
fn block_on(all: &ChainState, f: &TestFarmer, parent: HeaderHash, body: Body) -> Block {
    let spec = all.spec();
    let info = all.parent_info(&parent).unwrap();
    let difficulty = all.next_difficulty(&parent).unwrap();
    let c = f.candidate(spec, &info, difficulty, 64).unwrap();
    f.block(spec, &info, difficulty, &c, body)
}

/// Slashing across the network (issue 12): an equivocation seen by node A (the cheat's twin
/// header submitted there) reaches B, whose `Work` hands the evidence to the next block's
/// farmer; the block built from B's work includes it; every node then refuses the cheat's later
/// blocks (`banned_key`), hands the evidence out no more, and agrees on the tip. A second
/// cheat's evidence takes the other path — posted to C as evidence alone (no twin block), gossiped
/// to A — and is included through A: the same result on every node. The farmer here is the
/// verifier's test farmer reading each node's `Work` over HTTP (the farmer process's own use of
/// `Work.evidence` is `farmer/tests/farm_includes_evidence.rs`).
#[test]
fn evidence_detected_on_one_node_is_included_via_another_and_bans_on_all() {
    let dir = common::scratch();
    let mut node = RegtestNode::start().expect("litecoind starts");
    node.mine(2).unwrap();
    let beacon = node.rpc().block_hash(1).unwrap().to_string();
    let p = params(&beacon, now_ms() - 3600 * 1000);
    let chains = chains_file(dir.path(), &p);
    let spec = ChainSpec::new(p).unwrap();
    let chain = spec.chain_id;
    let (pa, pb, pc) = (free_port(), free_port(), free_port());
    let a = Node::start("a", &node, dir.path(), &chains, pa, &[pb, pc]);
    let b = Node::start("b", &node, dir.path(), &chains, pb, &[pa, pc]);
    let c = Node::start("c", &node, dir.path(), &chains, pc, &[pa, pb]);
    std::thread::sleep(Duration::from_secs(2)); // meshes form

    let honest = TestFarmer::new([1; 32], &[16]);
    let cheats = [
        TestFarmer::new([2; 32], &[16]),
        TestFarmer::new([3; 32], &[16]),
    ];
    let mut all = ChainState::new(spec.clone());
    // Each cheat farms one block, then the honest farmer two: every key has a block on the chain.
    let mut tip = spec.genesis.hash;
    let mut cheat_blocks = Vec::new();
    for f in cheats.iter().chain([&honest, &honest]) {
        let blk = block_on(&all, f, tip, Body::EMPTY);
        all.accept_block(&blk, None).unwrap();
        assert_eq!(a.submit_block(&blk), (200, None));
        tip = blk.hash();
        cheat_blocks.push(blk.header);
    }
    wait_tips(&[&a, &b, &c], tip, Duration::from_secs(10), "start");

    // 1. Cheat 0 signs a second header at its height; only A is sent it.
    let mut twin = cheat_blocks[0];
    twin.timestamp_ms += 1;
    cheats[0].sign(&mut twin);
    all.accept_header(&twin, None).unwrap();
    assert_eq!(a.submit_block(&Block::empty(twin)), (200, None));
    let e0 = Evidence::new(cheat_blocks[0], twin).unwrap();
    wait_evidence(&b, &chain, &[e0], "evidence reaches B");
    let body = Body::new(b.work(&chain).decode_evidence().unwrap(), vec![]).unwrap();
    let inc0 = block_on(&all, &honest, tip, body);
    all.accept_block(&inc0, None).unwrap();
    assert_eq!(b.submit_block(&inc0), (200, None));
    wait_tips(
        &[&a, &b, &c],
        inc0.hash(),
        Duration::from_secs(10),
        "inclusion 1",
    );
    let late = block_on(&all, &cheats[0], inc0.hash(), Body::EMPTY);
    for n in [&a, &b, &c] {
        assert_eq!(
            n.submit_block(&late),
            (422, Some("banned_key".into())),
            "{}",
            n.name
        );
        wait_evidence(n, &chain, &[], "included: not handed out again");
    }

    // 2. Cheat 1's evidence alone, posted to C, gossiped to A, included through A.
    let mut t1 = cheat_blocks[1];
    t1.timestamp_ms += 1;
    cheats[1].sign(&mut t1);
    let e1 = Evidence::new(cheat_blocks[1], t1).unwrap();
    let posted = serde_json::to_string(&SubmitEvidence::new(&e1)).unwrap();
    assert_eq!(c.post("/v1/evidence", &posted), (200, None));
    wait_evidence(&a, &chain, &[e1], "posted evidence reaches A");
    let body = Body::new(a.work(&chain).decode_evidence().unwrap(), vec![]).unwrap();
    let inc1 = block_on(&all, &honest, inc0.hash(), body);
    all.accept_block(&inc1, None).unwrap();
    assert_eq!(a.submit_block(&inc1), (200, None));
    wait_tips(
        &[&a, &b, &c],
        inc1.hash(),
        Duration::from_secs(10),
        "inclusion 2",
    );
    let late1 = block_on(&all, &cheats[1], inc1.hash(), Body::EMPTY);
    for n in [&a, &b, &c] {
        assert_eq!(
            n.submit_block(&late1),
            (422, Some("banned_key".into())),
            "{}",
            n.name
        );
        assert_eq!(
            n.submit_block(&late),
            (422, Some("banned_key".into())),
            "{}",
            n.name
        );
        wait_evidence(n, &chain, &[], "nothing left to include");
    }
    // Same tip and same bans everywhere, and in the local state that saw every block.
    assert_eq!(all.best().hash, inc1.hash());
    assert_eq!(
        all.banned_from(&cheats[0].farmer_pk()),
        Some(inc0.header.height)
    );
    assert_eq!(
        all.banned_from(&cheats[1].farmer_pk()),
        Some(inc1.header.height)
    );
}
