//! The devnet's chain nodes: `--nodes N` `masspoc bridge run` processes on the one litecoind,
//! each with its own data directory and HTTP port, peered over libp2p (every node lists every
//! other as a `--peer`, `docs/network.md`). Node 0 is the one the farmer and the double-signer
//! talk to; the others learn everything over the network.

use super::children::Child;
use super::setup::{free_port, Layout};
use super::{wait, Stop, DEVNET_CONFIRMATIONS};
use crate::bridge_http::Bridge;
use masspoc_node_bridge::regtest::{RegtestNode, WALLET};
use masspoc_verifier::ChainId;
use std::path::Path;
use std::time::{Duration, Instant};

/// The running chain nodes.
pub struct ChainNodes {
    /// Their processes, node 0 first.
    pub children: Vec<Child>,
    /// Their HTTP clients, in the same order.
    pub bridges: Vec<Bridge>,
}

/// Node `i`'s data directory: node 0 keeps the devnet's historic `bridge/`.
fn data_dir(layout: &Layout, i: usize) -> std::path::PathBuf {
    if i == 0 {
        layout.bridge_dir()
    } else {
        layout.root.join(format!("bridge-{i}"))
    }
}

impl ChainNodes {
    /// Starts `n` nodes hosting the chains of `chains_file` and waits until each answers.
    pub fn start(
        layout: &Layout,
        node: &RegtestNode,
        chains_file: &Path,
        n: usize,
        stop: &Stop,
    ) -> anyhow::Result<ChainNodes> {
        let p2p: Vec<u16> = (0..n).map(|_| free_port()).collect::<Result<_, _>>()?;
        let mut nodes = ChainNodes {
            children: Vec::new(),
            bridges: Vec::new(),
        };
        for i in 0..n {
            let url = format!("http://127.0.0.1:{}", free_port()?);
            let mut args: Vec<String> = [
                "bridge",
                "run",
                "--network",
                "regtest",
                "--rpc-url",
                &node.url(),
                "--rpc-cookie",
                &node.cookie_path().display().to_string(),
                "--wallet",
                WALLET,
                "--data",
                &data_dir(layout, i).display().to_string(),
                "--chains",
                &chains_file.display().to_string(),
                "--listen",
                url.trim_start_matches("http://"),
                "--confirmations",
                &DEVNET_CONFIRMATIONS.to_string(),
                "--poll-ms",
                "300",
                // The devnet's chains are weak on purpose: a short interval on a handful of small
                // test plots, with nothing at stake (docs/devnet.md).
                "--allow-weak-params",
            ]
            .map(String::from)
            .to_vec();
            if n > 1 {
                args.extend([
                    "--p2p-listen".into(),
                    format!("/ip4/127.0.0.1/tcp/{}", p2p[i]),
                ]);
                for (j, port) in p2p.iter().enumerate() {
                    if j != i {
                        args.extend(["--peer".into(), format!("/ip4/127.0.0.1/tcp/{port}")]);
                    }
                }
            }
            let name: &'static str = if i == 0 {
                "bridge"
            } else {
                Box::leak(format!("bridge-{i}").into_boxed_str())
            };
            let mut child = Child::spawn(name, &args, &layout.log(name))?;
            let bridge = Bridge::new(&url);
            wait::until_healthy(&bridge, &mut child, stop)?;
            nodes.children.push(child);
            nodes.bridges.push(bridge);
        }
        Ok(nodes)
    }

    /// Fails if a node has exited.
    pub fn check_alive(&mut self) -> anyhow::Result<()> {
        for c in &mut self.children {
            c.check_alive()?;
        }
        Ok(())
    }

    /// Every node's tip hash (hex) of `chain`, node 0 first (empty string for a node that does
    /// not answer).
    pub fn tips(&self, chain: &ChainId) -> Vec<String> {
        self.bridges
            .iter()
            .map(|b| {
                b.chains()
                    .ok()
                    .and_then(|cs| cs.into_iter().find(|c| c.chain_id == *chain))
                    .map(|c| c.tip_hash.to_hex())
                    .unwrap_or_default()
            })
            .collect()
    }

    /// Waits (up to `timeout`) until every node has node 0's tip on every chain; returns the
    /// tips per chain as last seen.
    pub fn until_agree(
        &mut self,
        chains: &[ChainId],
        timeout: Duration,
        stop: &Stop,
    ) -> anyhow::Result<Vec<Vec<String>>> {
        let deadline = Instant::now() + timeout;
        loop {
            stop.check()?;
            self.check_alive()?;
            let tips: Vec<Vec<String>> = chains.iter().map(|c| self.tips(c)).collect();
            let agree = tips
                .iter()
                .all(|t| !t[0].is_empty() && t.iter().all(|x| *x == t[0]));
            if agree || Instant::now() > deadline {
                return Ok(tips);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Stops every node (SIGINT, then SIGKILL after the grace period).
    pub fn stop(&mut self) {
        for c in &mut self.children {
            c.stop();
        }
    }
}
