//! `masspoc bridge run` SIGKILLed at several moments while it anchors, against a real regtest
//! litecoind: after restarts every queued item is anchored, every batch's root stands in exactly one
//! OP_RETURN on the best chain, and every item's anchor proof verifies against the node.

use crate::common;
use common::local_chain::op_returns_with;

use common::{node_args, Run};
use masspoc_node_bridge::regtest::RegtestNode;
use serde_json::Value;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn masspoc(args: &[&str]) -> Command {
    let mut c = common::masspoc();
    c.args(["--log", "warn"]).args(args);
    c
}

fn with_node<'a>(base: &[&'a str], node: &'a [String], data: &'a str) -> Vec<&'a str> {
    let mut v = base.to_vec();
    v.extend(node.iter().map(String::as_str));
    v.extend(["--data", data]);
    v
}

fn list(node: &[String], data: &str) -> Value {
    masspoc(&with_node(&["anchors", "list", "--json"], node, data))
        .ok()
        .json()
}

#[test]
fn bridge_killed_while_anchoring_anchors_each_batch_exactly_once() {
    let mut node = RegtestNode::start().expect("litecoind starts");
    node.fund_wallet().unwrap();
    let dir = common::scratch();
    let data = dir.path().join("bridge").display().to_string();
    let nargs = node_args(&node);
    let mut items = Vec::new();

    for (round, delay_ms) in [150u64, 500, 1200].into_iter().enumerate() {
        let new: Vec<String> = (0..3)
            .map(|i| {
                hex::encode(blake3::hash(format!("round {round} item {i}").as_bytes()).as_bytes())
            })
            .collect();
        let mut add = vec!["anchors", "add", "--data", &data, "--kind", "header"];
        add.extend(new.iter().map(String::as_str));
        masspoc(&add).ok();
        items.extend(new);

        let run = with_node(
            &[
                "bridge",
                "run",
                "--network",
                "regtest",
                "--confirmations",
                "2",
                "--poll-ms",
                "50",
            ],
            &nargs,
            &data,
        );
        let mut child = masspoc(&run)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        node.mine(1).unwrap();
    }

    // Restarted passes (with blocks mined between them) finish the job.
    let deadline = Instant::now() + Duration::from_secs(120);
    let listed = loop {
        let once = with_node(
            &[
                "bridge",
                "run",
                "--network",
                "regtest",
                "--confirmations",
                "2",
                "--once",
            ],
            &nargs,
            &data,
        );
        masspoc(&once).ok();
        let listed = list(&nargs, &data);
        let batches = listed["batches"].as_array().unwrap();
        if listed["pending_items"] == 0 && batches.iter().all(|b| b["state"] == "final") {
            break listed;
        }
        assert!(Instant::now() < deadline, "not final in time: {listed}");
        node.mine(1).unwrap();
    };

    let batches = listed["batches"].as_array().unwrap();
    let batched: usize = batches
        .iter()
        .map(|b| b["items"].as_u64().unwrap() as usize)
        .sum();
    assert_eq!(batched, items.len(), "every item batched once: {listed}");
    for b in batches {
        let root = b["root"].as_str().unwrap();
        assert_eq!(
            op_returns_with(&node, root),
            1,
            "batch {b} anchored exactly once"
        );
    }
    for item in &items {
        let proof = masspoc(&with_node(&["anchors", "prove", item], &nargs, &data))
            .ok()
            .stdout;
        let mut verify: Vec<String> = vec!["anchors".into(), "verify".into()];
        verify.extend(nargs.iter().cloned());
        verify.push(proof.trim().to_string());
        verify.push("--json".into());
        let refs: Vec<&str> = verify.iter().map(String::as_str).collect();
        let check = masspoc(&refs).ok().json();
        assert_eq!(check["valid"], true, "{item}: {check}");
    }
}
