//! A lone `masspoc farm` under a `masspoc bridge run` that is stopped (SIGINT) and killed
//! (SIGKILL) and started again, against a real regtest litecoind: farming resumes by itself
//! within seconds each time, a header signed while the bridge was down is the one the chain holds
//! at its height (re-sent, never re-signed differently), and nothing slashable is ever produced.
//! Ctrl-C stops the bridge within 2 s although the farmer holds a long-poll open.
//! The farmer runs from `plots.example/farmer.toml` as copied, with only what README.md says to
//! set (plot directories, chains) changed, beside a key made by `masspoc keygen --out farmer.key`.

use crate::common;

use common::{local_chain, masspoc, node_args, Run};
use masspoc_api::{ChainList, EvidenceList, HeaderList};
use masspoc_node_bridge::regtest::RegtestNode;
use masspoc_verifier::{ChainId, Height};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// Block and slot time of the test chain: a lone farmer signs several headers while the bridge
/// is down for a few seconds.
const TARGET_MS: u64 = 300;

fn get<T: serde::de::DeserializeOwned>(url: &str) -> Option<T> {
    let agent = ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(5)))
            .build(),
    );
    let text = agent
        .get(url)
        .call()
        .ok()?
        .body_mut()
        .read_to_string()
        .ok()?;
    serde_json::from_str(&text).ok()
}

/// The hosted chain's height, `None` while the bridge does not answer.
fn height(base: &str) -> Option<u64> {
    let list: ChainList = get(&format!("{base}/v1/chains"))?;
    Some(list.chains.first()?.height.0)
}

/// Waits until the chain is higher than `above`; panics with the farmer's log after `within`.
fn wait_above(base: &str, above: u64, within: Duration, log: &Path, what: &str) -> u64 {
    let start = Instant::now();
    loop {
        if let Some(h) = height(base) {
            if h > above {
                return h;
            }
        }
        assert!(
            start.elapsed() < within,
            "{what}: height stayed at {above} for {within:?}; farmer log:\n{}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The default `--listen` of `masspoc bridge run`, read from its `--help`.
fn default_listen() -> String {
    let help = masspoc().args(["bridge", "run", "--help"]).ok().stdout;
    let at = help.find("--listen").expect("--listen in the help");
    let rest = &help[at..];
    let start = rest.find("[default: ").expect("a default") + "[default: ".len();
    rest[start..start + rest[start..].find(']').unwrap()].to_string()
}

/// `plots.example/farmer.toml` with what README.md says to set changed (plot directories and
/// chains; the bridge URL's port to the test bridge's, after checking that the example names the
/// bridge's default address) and its metrics on a free port.
fn farmer_config_from_example(port: u16) -> String {
    let example = include_str!("../../plots.example/farmer.toml");
    let mut t: toml::Table = toml::from_str(example).unwrap();
    let default = format!("http://{}", default_listen());
    let chains = t["chain"].as_array().unwrap().clone();
    for c in &chains {
        // `bridge` is one URL or a fail-over list whose first entry is the default bridge.
        let first = c["bridge"]
            .as_str()
            .or_else(|| c["bridge"].as_array().and_then(|a| a.first()?.as_str()));
        assert_eq!(first, Some(default.as_str()), "{c}");
    }
    let mut chain = chains[0].as_table().unwrap().clone();
    chain.insert("name".into(), "restart".into());
    chain.insert("bridge".into(), format!("http://127.0.0.1:{port}").into());
    t.insert("chain".into(), toml::Value::Array(vec![chain.into()]));
    t.insert("plot_dirs".into(), toml::Value::Array(vec!["plots".into()]));
    t.insert("metrics_listen".into(), "127.0.0.1:0".into());
    t.insert("status_listen".into(), "127.0.0.1:0".into());
    t.insert("lookup_budget_ms".into(), 1000.into());
    toml::to_string(&t).unwrap()
}

struct Setup {
    bridge_args: Vec<String>,
    bridge_log: PathBuf,
    /// The working directory of the bridge and the farmer: with `--data` and `--config` given,
    /// neither may leave anything there (no pid file, no store, no log).
    cwd: PathBuf,
}

impl Setup {
    fn start_bridge(&self) -> Child {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.bridge_log)
            .unwrap();
        masspoc()
            .args(&self.bridge_args)
            .current_dir(&self.cwd)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("bridge starts")
    }
}

fn signal(child: &Child, sig: i32) {
    let pid = i32::try_from(child.id()).unwrap();
    // SAFETY: kill(2) on the pid of a child this test spawned and has not reaped.
    assert_eq!(unsafe { libc::kill(pid, sig) }, 0);
}

fn wait_exit(child: &mut Child, within: Duration) -> Duration {
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < within,
            "process did not exit in {within:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_lone_farmer_resumes_after_its_bridge_is_stopped_or_killed() {
    let mut node = RegtestNode::start().expect("litecoind starts");
    node.fund_wallet().unwrap();
    let beacon = node.rpc().best_block_hash().unwrap().to_string();
    let dir = common::scratch();
    let d = |p: &str| dir.path().join(p).display().to_string();

    local_chain::key_and_plots(dir.path(), 1);
    local_chain::write_one_chain(dir.path(), "restart", &beacon, 1, TARGET_MS, "");
    let port = local_chain::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let bridge_args = local_chain::bridge_run_args(dir.path(), port, &node);
    let setup = Setup {
        bridge_args,
        bridge_log: dir.path().join("bridge.log"),
        cwd: dir.path().join("cwd"),
    };
    std::fs::create_dir(&setup.cwd).unwrap();
    std::fs::write(d("farmer.toml"), farmer_config_from_example(port)).unwrap();

    let mut bridge = setup.start_bridge();
    let farmer_log = dir.path().join("farmer.log");
    let mut farmer = masspoc()
        .args([
            "--log",
            "info,masspoc_farmer=debug",
            "farm",
            "--config",
            &d("farmer.toml"),
        ])
        .current_dir(&setup.cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&farmer_log).unwrap())
        .spawn()
        .unwrap();
    let mut h = wait_above(
        &base,
        2,
        Duration::from_secs(60),
        &farmer_log,
        "first blocks",
    );

    for (sig, name) in [(libc::SIGINT, "SIGINT"), (libc::SIGKILL, "SIGKILL")] {
        signal(&bridge, sig);
        let stopped_in = wait_exit(&mut bridge, Duration::from_secs(20));
        if sig == libc::SIGINT {
            // Ctrl-C with a farmer long-polling: gone within 2 s, saying what it waits for.
            let log = std::fs::read_to_string(&setup.bridge_log).unwrap();
            assert!(
                stopped_in < Duration::from_secs(2),
                "stopped in {stopped_in:?}:\n{log}"
            );
            assert!(log.contains("answering open long-polls"), "{log}");
            assert!(log.contains("bridge stopped"), "{log}");
        }
        // Down long enough that the farmer signs a header nobody receives.
        std::thread::sleep(Duration::from_secs(3));
        let before = height(&base);
        assert!(before.is_none(), "the bridge still answers after {name}");
        bridge = setup.start_bridge();
        let restarted = Instant::now();
        // Resumes by itself: a few blocks within a few seconds of the bridge's restart.
        let now = wait_above(&base, h + 2, Duration::from_secs(15), &farmer_log, name);
        eprintln!(
            "after {name}: height {h} -> {now} in {:?}",
            restarted.elapsed()
        );
        h = now;
    }

    // Read-only commands beside the running bridge: its store is held, so reading it says how
    // to read through the API instead, and the API read works.
    let held = masspoc()
        .args(["anchors", "list", "--data", &d("bridge")])
        .args(node_args(&node))
        .run();
    assert_eq!(held.code(), 2, "{}", held.both());
    assert!(
        held.stderr.contains("held by a running bridge") && held.stderr.contains("--bridge"),
        "{}",
        held.stderr
    );
    let listed = masspoc()
        .args(["anchors", "list", "--json", "--bridge", &base])
        .args(node_args(&node))
        .ok()
        .json();
    let batches = listed["batches"].as_array().unwrap();
    assert!(
        listed["pending_items"].as_u64().unwrap() + batches.len() as u64 > 0,
        "the accepted headers are queued for anchoring: {listed}"
    );
    // Through the bridge alone (no node named): the bridge's own figures, and no attempt to
    // reach a node on the default mainnet port.
    let alone = masspoc()
        .args(["anchors", "list", "--json", "--bridge", &base])
        .ok();
    assert!(
        !alone.stderr.contains("unreachable") && !alone.stderr.contains("9332"),
        "{}",
        alone.stderr
    );
    assert!(alone.json()["batches"].as_array().unwrap().len() >= batches.len());

    signal(&farmer, libc::SIGINT);
    wait_exit(&mut farmer, Duration::from_secs(20));
    let log = std::fs::read_to_string(&farmer_log).unwrap();
    assert!(
        log.contains("header not delivered"),
        "the farmer never signed while the bridge was down:\n{log}"
    );
    assert!(!log.contains("giving up"), "{log}");

    // Every height of the chain holds the header the farmer's history recorded there: the
    // headers signed while the bridge was down were re-sent as they were, not signed anew.
    let list: ChainList = get(&format!("{base}/v1/chains")).unwrap();
    let chain_id: ChainId = list.chains[0].chain_id;
    let page: HeaderList = get(&format!(
        "{base}{}",
        masspoc_api::routes::headers_page(&chain_id, Height(1), 1000)
    ))
    .unwrap();
    let headers = page.decode().unwrap();
    assert!(headers.len() as u64 >= h, "{} headers", headers.len());
    let export = masspoc()
        .args(["signing-history", "export", "--key", &d("farmer.key")])
        .ok()
        .json();
    let signed = export["data"][0]["signed_headers"].as_array().unwrap();
    let mut heights = std::collections::HashSet::new();
    for s in signed {
        assert!(
            heights.insert(s["height"].as_u64().unwrap()),
            "two records at one height"
        );
    }
    for header in &headers {
        let recorded = signed
            .iter()
            .find(|s| s["height"].as_u64() == Some(header.height.0))
            .unwrap_or_else(|| panic!("height {} not in the history", header.height.0));
        assert_eq!(
            recorded["header_hash"].as_str().unwrap(),
            header.hash().to_string(),
            "height {}",
            header.height.0
        );
    }
    // Nothing slashable reached the bridge.
    let evidence: EvidenceList = get(&format!("{base}/v1/evidence")).unwrap();
    assert!(evidence.evidence.is_empty(), "{:?}", evidence.evidence);

    // An anchor proof beside the running bridge, through its API: once the first header's batch
    // is mined, the proof it serves checks out against the node.
    let first = headers[0].hash().to_string();
    let deadline = Instant::now() + Duration::from_secs(60);
    let proof = loop {
        node.mine(1).unwrap();
        let ran = masspoc()
            .args(["anchors", "prove", "--bridge", &base, &first])
            .run();
        if ran.status.success() {
            break ran.stdout;
        }
        assert!(
            ran.stderr.contains("not_provable") || ran.stderr.contains("unknown_item"),
            "{}",
            ran.both()
        );
        assert!(
            Instant::now() < deadline,
            "no proof of {first}: {}",
            ran.both()
        );
        std::thread::sleep(Duration::from_millis(500));
    };
    let checked = masspoc()
        .args(["anchors", "verify", "--json", &proof])
        .args(node_args(&node))
        .ok()
        .json();
    assert_eq!(checked["valid"], true, "{checked}");
    let unknown = masspoc()
        .args(["anchors", "prove", "--bridge", &base, &"ee".repeat(32)])
        .run();
    assert_eq!(unknown.code(), 2, "{}", unknown.both());
    assert!(
        unknown.stderr.contains("unknown_item"),
        "{}",
        unknown.stderr
    );

    signal(&bridge, libc::SIGINT);
    wait_exit(&mut bridge, Duration::from_secs(20));
    let left: Vec<_> = std::fs::read_dir(&setup.cwd)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        left.is_empty(),
        "the bridge or the farmer wrote into its working directory: {left:?}"
    );
}
