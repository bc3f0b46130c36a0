//! `bridge run`'s start-up mistakes against a real regtest litecoind (issue 18, items 4, 8, 10):
//! the wrong `--network` is named with its fix at once, an unreachable node or a missing cookie
//! is said at once (not after 30 s of silence), a genesis long before its beacon is refused, and
//! none of them leaves a data directory behind. `verify-chain` takes the bridge's chains file as
//! `--params`, and parameters of a chain the bridge does not host name the ones it does.

use crate::common;
use common::local_chain::{free_port, now_ms};

use common::{masspoc, node_args, Run};
use masspoc_node_bridge::regtest::RegtestNode;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

fn write_chains(path: &Path, name: &str, beacon: &str, genesis_time_ms: u64) {
    std::fs::write(
        path,
        format!(
            "[[chain]]\nname = \"{name}\"\nbeacon = \"{beacon}\"\ngenesis_time_ms = {genesis_time_ms}\n\
             target_interval_ms = 2000\nslot_ms = 12000\nfilter_bits = 0\nmin_k = 16\n\
             initial_difficulty = 2000\nretarget_window = 16\nmax_future_drift_ms = 15000\n"
        ),
    )
    .unwrap();
}

fn bridge_run(data: &Path) -> std::process::Command {
    let mut c = masspoc();
    c.args(["bridge", "run", "--allow-weak-params", "--data"])
        .arg(data);
    c
}

#[test]
fn a_regtest_node_without_network_regtest_is_named_with_the_fix() {
    let node = RegtestNode::start().expect("litecoind starts");
    let dir = common::scratch();
    let data = dir.path().join("bridge");
    let start = Instant::now();
    // No --network: the default is main.
    let ran = bridge_run(&data).args(node_args(&node)).run().code_is(2);
    assert!(
        ran.stderr
            .contains(&format!("the node at {} is on regtest", node.url()))
            && ran.stderr.contains("pass --network regtest"),
        "{}",
        ran.stderr
    );
    assert_eq!(
        ran.stderr.matches("is on regtest").count(),
        1,
        "{}",
        ran.stderr
    );
    assert!(
        !ran.stderr.contains("proof-of-work limit"),
        "{}",
        ran.stderr
    );
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
    assert!(!data.exists(), "a refused start created {}", data.display());
}

/// Starts `cmd` with stderr piped; returns the child and a channel of its stderr lines.
fn spawn_reading_stderr(cmd: &mut std::process::Command) -> (Child, mpsc::Receiver<String>) {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    (child, rx)
}

/// The first stderr line containing `what`, within `within`.
fn line_with(rx: &mpsc::Receiver<String>, what: &str, within: Duration) -> Option<String> {
    let deadline = Instant::now() + within;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match rx.recv_timeout(left) {
            Ok(line) if line.contains(what) => return Some(line),
            Ok(_) => {}
            Err(_) => return None,
        }
    }
    None
}

#[test]
fn an_anchoring_flag_out_of_bounds_is_refused_before_anything_starts() {
    let dir = common::scratch();
    let data = dir.path().join("bridge");
    let url = format!("http://127.0.0.1:{}", free_port()); // nothing listens there
    for (flags, says) in [
        (
            vec!["--anchor-max-batch", "0"],
            "max_batch must be at least 1",
        ),
        (
            vec![
                "--anchor-fee-budget-per-hour",
                "10",
                "--anchor-fee-budget-per-day",
                "5",
            ],
            "fee_budget_per_day (5) is below fee_budget_per_hour (10)",
        ),
    ] {
        let ran = bridge_run(&data)
            .args(["--network", "regtest", "--rpc-url", &url])
            .args(&flags)
            .run();
        assert_ne!(ran.code(), 0, "{flags:?}: {}", ran.both());
        assert!(
            ran.stderr.contains("--anchor-") && ran.stderr.contains(says),
            "{flags:?}: {}",
            ran.both()
        );
        assert!(!data.exists(), "{flags:?}: nothing created");
    }
    let help = masspoc().args(["bridge", "run", "--help"]).run();
    for flag in [
        "--anchor-interval-s",
        "--anchor-fee-budget-per-hour",
        "--anchor-fee-budget-per-day",
        "--anchor-max-unconfirmed",
        "--anchor-bump-after-blocks",
        "--anchor-max-batch",
    ] {
        assert!(help.stdout.contains(flag), "{flag}: {}", help.both());
    }
}

#[test]
fn an_unreachable_node_or_a_missing_cookie_is_said_at_once() {
    let dir = common::scratch();
    let data = dir.path().join("bridge");
    let port = free_port(); // nothing listens there
    let url = format!("http://127.0.0.1:{port}");
    let missing_cookie = dir.path().join("no-such-dir").join(".cookie");
    for (args, says) in [
        (
            vec!["--rpc-url".to_string(), url.clone()],
            "127.0.0.1".to_string(),
        ),
        (
            vec![
                "--rpc-url".to_string(),
                url.clone(),
                "--rpc-cookie".to_string(),
                missing_cookie.display().to_string(),
            ],
            "cookie file".to_string(),
        ),
    ] {
        let start = Instant::now();
        let (mut child, rx) = spawn_reading_stderr(
            bridge_run(&data)
                .args(["--network", "regtest", "--rpc-retry-secs", "4"])
                .args(&args),
        );
        let line = line_with(&rx, "waiting for the node", Duration::from_secs(3))
            .unwrap_or_else(|| panic!("nothing said within 3 s for {args:?}"));
        assert!(
            line.contains(&url) && line.contains(&says) && line.contains("--rpc-retry-secs"),
            "{line}"
        );
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(2), "{args:?}");
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "{:?}",
            start.elapsed()
        );
        assert!(!data.exists(), "a failed start created {}", data.display());
    }
}

#[test]
fn a_genesis_long_before_its_beacon_is_refused_and_verify_chain_takes_the_chains_file() {
    let mut node = RegtestNode::start().expect("litecoind starts");
    node.fund_wallet().unwrap();
    let beacon = node.rpc().best_block_hash().unwrap().to_string();
    let dir = common::scratch();
    let data = dir.path().join("bridge");
    let chains = dir.path().join("chains.toml");

    // The docs' old example genesis under a beacon mined just now.
    write_chains(&chains, "old", &beacon, 1_700_000_000_000);
    let ran = bridge_run(&data)
        .args(["--network", "regtest", "--chains"])
        .arg(&chains)
        .args(node_args(&node))
        .run()
        .code_is(2);
    assert!(
        ran.stderr
            .contains("chain \"old\": genesis_time_ms 1700000000000 is")
            && ran.stderr.contains("h before its beacon block's time"),
        "{}",
        ran.stderr
    );
    assert!(!data.exists(), "a refused start created {}", data.display());

    // A current genesis runs; verify-chain reads the same chains file as its parameters.
    write_chains(&chains, "fresh", &beacon, now_ms());
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut bridge = bridge_run(&data)
        .args(["--network", "regtest", "--poll-ms", "100", "--chains"])
        .arg(&chains)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args(node_args(&node))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while ureq::get(&format!("{base}/v1/health")).call().is_err() {
        assert!(Instant::now() < deadline, "the bridge did not come up");
        std::thread::sleep(Duration::from_millis(100));
    }
    let ok = masspoc()
        .args(["verify-chain", &base, "--json", "--params"])
        .arg(&chains)
        .ok()
        .json();
    assert_eq!(ok["valid"], true, "{ok}");
    assert_eq!(ok["headers"], 0, "{ok}");

    // Parameters of a chain this bridge does not host: it says which it hosts.
    let other = dir.path().join("other.toml");
    write_chains(&other, "elsewhere", &beacon, now_ms());
    let ran = masspoc()
        .args(["verify-chain", &base, "--params"])
        .arg(&other)
        .run()
        .code_is(2);
    assert!(
        ran.stderr.contains("unknown chain id")
            && ran.stderr.contains("(the parameters of \"elsewhere\")")
            && ran.stderr.contains("it hosts: \"fresh\" ("),
        "{}",
        ran.stderr
    );
    // A chains file of two chains needs --chain.
    let two = dir.path().join("two.toml");
    let text =
        std::fs::read_to_string(&chains).unwrap() + &std::fs::read_to_string(&other).unwrap();
    std::fs::write(&two, text).unwrap();
    let ran = masspoc()
        .args(["verify-chain", &base, "--params"])
        .arg(&two)
        .run()
        .code_is(2);
    assert!(
        ran.stderr
            .contains("has 2 chains (fresh, elsewhere); pick one with --chain NAME"),
        "{}",
        ran.stderr
    );
    let ok = masspoc()
        .args([
            "verify-chain",
            &base,
            "--json",
            "--chain",
            "fresh",
            "--params",
        ])
        .arg(&two)
        .ok()
        .json();
    assert_eq!(ok["valid"], true, "{ok}");
    // SAFETY: kill(2) on our own child, not yet reaped.
    unsafe { libc::kill(bridge.id() as i32, libc::SIGINT) };
    assert!(bridge.wait().unwrap().success());
}
