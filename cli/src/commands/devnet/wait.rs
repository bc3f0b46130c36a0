//! The devnet's waits: each bounded in time, each watching its children and Ctrl-C.

use super::children::Child;
use super::Stop;
use crate::bridge_http::Bridge;
use masspoc_node_bridge::regtest::RegtestNode;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Waits for the bridge's `/v1/health`.
pub fn until_healthy(bridge: &Bridge, child: &mut Child, stop: &Stop) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !bridge.healthy() {
        stop.check()?;
        child.check_alive()?;
        anyhow::ensure!(
            Instant::now() < deadline,
            "the bridge at {} did not answer within 60 s",
            bridge.base()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    Ok(())
}

/// Mines a regtest block about every two seconds (so the bridge's follower and anchorer move)
/// until every hosted chain has `blocks` blocks.
pub fn until_blocks(
    bridge: &Bridge,
    node: &mut RegtestNode,
    children: &mut [&mut Child],
    blocks: u64,
    timeout: Duration,
    json: bool,
    stop: &Stop,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    let bar = (!json).then(|| {
        let b = indicatif::ProgressBar::new_spinner();
        b.enable_steady_tick(Duration::from_millis(200));
        b
    });
    let mut last_mined = Instant::now();
    loop {
        stop.check()?;
        for c in children.iter_mut() {
            c.check_alive()?;
        }
        let chains = bridge.chains()?;
        let line: Vec<String> = chains
            .iter()
            .map(|c| format!("{} {}/{blocks}", c.name, c.height))
            .collect();
        if let Some(b) = &bar {
            b.set_message(format!("farming: {}", line.join(", ")));
        }
        if chains.iter().all(|c| c.height.0 >= blocks) {
            if let Some(b) = bar {
                b.finish_with_message(format!("farmed: {}", line.join(", ")));
            }
            return Ok(());
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "chains did not reach {blocks} blocks within {timeout:?}: {}",
            line.join(", ")
        );
        if last_mined.elapsed() >= Duration::from_secs(2) {
            node.mine(1)?;
            last_mined = Instant::now();
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Waits (mining) until the bridge reports slashing evidence; returns the evidence hashes.
pub fn until_evidence(
    bridge: &Bridge,
    node: &mut RegtestNode,
    stop: &Stop,
) -> anyhow::Result<Vec<String>> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        stop.check()?;
        let ev = bridge.evidence()?;
        if !ev.is_empty() {
            return Ok(ev.into_iter().map(|e| e.hash.to_hex()).collect());
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "the bridge reported no slashing evidence within 60 s"
        );
        node.mine(1)?;
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// The farmer's Prometheus metrics text (empty if unreachable).
pub fn scrape_metrics(metrics_port: u16) -> String {
    let url = format!("http://127.0.0.1:{metrics_port}/metrics");
    let Ok(mut resp) = ureq::get(&url).call() else {
        return String::new();
    };
    resp.body_mut().read_to_string().unwrap_or_default()
}

/// Proofs found per chain, from the farmer's metrics text.
pub fn proofs_per_chain(metrics: &str) -> HashMap<String, u64> {
    metrics
        .lines()
        .filter_map(|l| l.strip_prefix("masspoc_farmer_proofs_total{chain=\""))
        .filter_map(|rest| {
            let (name, value) = rest.split_once("\"} ")?;
            Some((name.to_string(), value.trim().parse().ok()?))
        })
        .collect()
}
