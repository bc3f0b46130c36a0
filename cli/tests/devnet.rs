//! End to end: `masspoc devnet --json` with a real regtest litecoind, two chains farmed from the
//! same plots through the first of two chain nodes peered over libp2p (both end on the same tips),
//! a double-sign caught, and every block's and the evidence's anchor checked against the node by
//! the devnet itself (anchor proofs verified over RPC before the node stops).

use crate::common;

use common::{masspoc, Run};
use std::process::Command;

#[test]
fn devnet_farms_two_chains_and_anchors_everything() {
    let dir = common::scratch();
    // A relative --dir, as the README's command uses (paths in the written configs must still
    // resolve from the farmer's and bridge's point of view).
    let v = masspoc()
        .current_dir(dir.path())
        .args([
            "devnet", "--chains", "2", "--blocks", "3", "--k", "17", "--json",
        ])
        .args(["--dir", "devnet"])
        .args(["--timeout-secs", "300"])
        .ok()
        .json();
    let chains = v["chains"].as_array().expect("chains array");
    assert_eq!(chains.len(), 2);
    let mut ids = Vec::new();
    for c in chains {
        let blocks = c["blocks"].as_u64().unwrap();
        assert!(blocks >= 3, "{c}");
        assert_eq!(
            c["anchored"].as_u64().unwrap(),
            blocks,
            "every block anchored: {c}"
        );
        assert!(c["confirmations"].as_u64().unwrap() >= 2, "{c}");
        assert_eq!(c["verified"], true, "{c}");
        assert!(c["proofs_found"].as_u64().unwrap() >= blocks, "{c}");
        // Default --nodes 2: the second node learnt every block over the network.
        let tips = c["node_tips"].as_array().expect("node_tips");
        assert_eq!(tips.len(), 2, "{c}");
        assert_eq!(tips[0].as_str().unwrap().len(), 64, "{c}");
        assert_eq!(tips[0], tips[1], "both nodes on one tip: {c}");
        assert_eq!(c["nodes_agree"], true, "{c}");
        ids.push(c["chain_id"].as_str().unwrap().to_string());
    }
    assert_ne!(ids[0], ids[1], "two distinct chain instances");
    assert!(v["slashing"]["evidence"].as_u64().unwrap() >= 1, "{v}");
    assert_eq!(v["slashing"]["anchored"], v["slashing"]["evidence"], "{v}");
    // The status pages it served while running: the farmer's, as its log says, and both nodes'.
    let pages = &v["status_pages"];
    let served = common::status_url_in_log(&dir.path().join("devnet/logs/farmer.log"))
        .expect("the farmer served its status page");
    assert_eq!(pages["farmer"], format!("{served}/"), "{v}");
    let nodes = pages["nodes"].as_array().expect("node pages");
    assert_eq!(nodes.len(), 2, "{v}");
    assert_ne!(nodes[0], nodes[1], "{v}");
    assert!(
        nodes
            .iter()
            .all(|n| n.as_str().unwrap().starts_with("http://127.0.0.1:")),
        "{v}"
    );
    // Nothing left running: the devnet's litecoind datadir was a temp dir it removed.
    let leftover = Command::new("pgrep")
        .args(["-f", &dir.path().display().to_string()])
        .output()
        .unwrap();
    assert!(
        leftover.stdout.is_empty(),
        "processes left running: {}",
        String::from_utf8_lossy(&leftover.stdout)
    );
}

#[test]
fn devnet_farms_through_harvester_processes() {
    let dir = common::scratch();
    let v = masspoc()
        .args([
            "devnet", "--chains", "1", "--blocks", "2", "--k", "16", "--nodes", "1",
        ])
        .args([
            "--harvesters",
            "2",
            "--plots",
            "1",
            "--json",
            "--timeout-secs",
            "300",
        ])
        .arg("--dir")
        .arg(dir.path().join("devnet"))
        .ok()
        .json();
    let chain = &v["chains"][0];
    assert!(chain["blocks"].as_u64().unwrap() >= 2, "{v}");
    assert_eq!(chain["verified"], true, "{v}");
    // --plots 1 with 2 harvesters: one plot made per harvester; the farmer had none of its own,
    // so every proof it found came from a harvester.
    let hs = v["harvesters"].as_array().expect("harvesters");
    assert_eq!(hs.len(), 2, "{v}");
    let mut ids: Vec<&str> = hs.iter().map(|h| h["id"].as_str().unwrap()).collect();
    ids.dedup();
    assert_eq!(ids.len(), 2, "{v}");
    assert!(ids.iter().all(|id| id.starts_with("12D3KooW")), "{v}");
    assert!(hs.iter().all(|h| h["plots"] == 1), "{v}");
    let merged: u64 = hs.iter().map(|h| h["proofs"].as_u64().unwrap()).sum();
    assert!(merged >= chain["blocks"].as_u64().unwrap(), "{v}");
    assert!(merged <= chain["proofs_found"].as_u64().unwrap(), "{v}");
}
