//! `masspoc devnet`: the whole system on one machine, end to end.
//!
//! Starts a regtest `litecoind` it owns, makes a farmer key and small plots, runs the real
//! `masspoc bridge run` (chain host, follower, anchorer; `--nodes N` of them peered over libp2p,
//! the farmer on the first) and `masspoc farm` as child processes,
//! farms blocks on every chain while mining regtest blocks, has a second signer on a copy of
//! the key double-sign once, verifies every chain with `masspoc verify-chain`, finishes
//! anchoring, checks every block's and the evidence's anchor against the node, prints a summary
//! and stops everything (Ctrl-C included). `docs/devnet.md` describes it.

mod anchors;
mod children;
mod harvesters;
mod nodes;
mod setup;
mod slashing;
mod summary;
mod wait;

use anyhow::Context;
use children::{run_to_end, Child};
use clap::Args;
use masspoc_node_bridge::anchor::ItemKind;
use masspoc_node_bridge::regtest::RegtestNode;
use masspoc_verifier::Header;
use nodes::ChainNodes;
use setup::{Layout, Timing};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use summary::{ChainSummary, SlashingSummary, StatusPages, Summary};

/// Confirmations an anchor needs in the devnet (regtest has no attacker).
const DEVNET_CONFIRMATIONS: u64 = 2;

/// Arguments of `masspoc devnet`.
#[derive(Args)]
pub struct DevnetArgs {
    /// Directory for the key, plots, configs, stores and logs (reused by a later run).
    #[arg(long, default_value = "devnet")]
    dir: PathBuf,
    /// Number of chain instances, all farmed from the same plots.
    #[arg(long, default_value_t = 2)]
    chains: usize,
    /// Blocks to farm on every chain.
    #[arg(long, default_value_t = 5)]
    blocks: u64,
    /// Plot size parameter.
    #[arg(long, default_value_t = 18)]
    k: u8,
    /// Number of plots.
    #[arg(long, default_value_t = 2)]
    plots: usize,
    /// Target block interval of the chains, in milliseconds.
    #[arg(long, default_value_t = 2000)]
    target_ms: u64,
    /// Give up if the chains have not reached --blocks after this many seconds.
    #[arg(long, default_value_t = 600)]
    timeout_secs: u64,
    /// Chain nodes hosting the chains, peered over libp2p; the farmer uses the first.
    #[arg(long, default_value_t = 2)]
    nodes: usize,
    /// Split the plots over this many `masspoc harvester` processes (plot i to harvester
    /// i mod N); the farmer then farms through them only. 0: the farmer reads the plots itself.
    #[arg(long, default_value_t = 0)]
    harvesters: usize,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
}

/// Set by Ctrl-C or SIGTERM; every wait loop checks it.
#[derive(Clone)]
pub struct Stop(Arc<AtomicBool>);

impl Stop {
    fn install() -> anyhow::Result<Stop> {
        let flag = Arc::new(AtomicBool::new(false));
        let f = flag.clone();
        ctrlc::set_handler(move || f.store(true, Ordering::SeqCst))
            .context("installing the Ctrl-C handler")?;
        Ok(Stop(flag))
    }

    /// Fails once a stop was asked for.
    pub fn check(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            !self.0.load(Ordering::SeqCst),
            "interrupted: stopping everything"
        );
        Ok(())
    }
}

fn say(json: bool, msg: &str) {
    if !json {
        eprintln!("devnet: {msg}");
    }
}

impl DevnetArgs {
    /// Runs the devnet; exit 0 when every chain verified and every block and the evidence are
    /// anchored, 1 otherwise.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        anyhow::ensure!(self.chains >= 1, "--chains must be at least 1");
        anyhow::ensure!(self.blocks >= 1, "--blocks must be at least 1");
        anyhow::ensure!(self.nodes >= 1, "--nodes must be at least 1");
        let stop = Stop::install()?;
        let layout = Layout::prepare(&self.dir)?;
        let json = self.json;

        say(json, "starting litecoind -regtest on free loopback ports");
        let mut node = RegtestNode::start().context("starting litecoind (is it installed?)")?;
        node.fund_wallet().context("funding the regtest wallet")?;
        let beacon = node.rpc().best_block_hash()?.to_string();

        let farmer_pk = setup::ensure_key(&layout)?;
        say(json, &format!("farmer key {farmer_pk}"));
        say(
            json,
            &format!("plotting {} plot(s) of k = {}", self.plots, self.k),
        );
        let wanted = if self.plots < self.harvesters {
            say(
                json,
                &format!(
                    "{} plots for {} harvesters: making one per harvester",
                    self.plots, self.harvesters
                ),
            );
            self.harvesters
        } else {
            self.plots
        };
        let plots = setup::ensure_plots(&layout, self.k, wanted, json)?;
        stop.check()?;
        let mut dev_harvesters = if self.harvesters > 0 {
            say(
                json,
                &format!(
                    "splitting {plots} plot(s) over {} harvester process(es)",
                    self.harvesters
                ),
            );
            harvesters::start(&layout, self.harvesters, &stop)?
        } else {
            Vec::new()
        };

        let timing = Timing {
            target_ms: self.target_ms,
            slot_ms: self.target_ms,
        };
        let params = setup::chain_params(self.chains, &beacon, self.k, plots, &timing)?;
        let chains_file = setup::write_chain_files(&layout, &params)?;
        say(
            json,
            &format!("starting {} chain node(s) on the one litecoind", self.nodes),
        );
        let mut nodes = ChainNodes::start(&layout, &node, &chains_file, self.nodes, &stop)?;
        let bridge = &nodes.bridges[0];
        let url = bridge.base().to_string();
        say(json, &format!("the farmer's chain node is {url}"));
        let chains = bridge.chains()?;

        let metrics_port = setup::free_port()?;
        let ports = setup::FarmerPorts {
            metrics: metrics_port,
            status: setup::free_port()?,
        };
        let status_pages = StatusPages {
            farmer: format!("http://127.0.0.1:{}/", ports.status),
            nodes: nodes
                .bridges
                .iter()
                .map(|b| format!("{}/", b.base().trim_end_matches('/')))
                .collect(),
        };
        let names: Vec<String> = chains.iter().map(|c| c.name.clone()).collect();
        let addrs: Vec<String> = dev_harvesters.iter().map(|h| h.addr.clone()).collect();
        let farmer_config = setup::write_farmer_config(
            &layout,
            &names,
            &url,
            ports,
            &addrs,
            &harvesters::farmer_link_dir(&layout),
        )?;
        say(
            json,
            &format!("farming {} chain(s) from the same plots", chains.len()),
        );
        let mut farmer_child = Child::spawn(
            "farmer",
            &[
                "farm".into(),
                "--config".into(),
                farmer_config.display().to_string(),
            ],
            &layout.log("farmer"),
        )?;
        say(
            json,
            &format!(
                "status pages while the devnet runs: farmer {}, chain node(s) {}",
                status_pages.farmer,
                status_pages.nodes.join(" ")
            ),
        );
        let (first_child, _) = nodes.children.split_first_mut().expect("at least one node");
        let mut watched: Vec<&mut Child> = vec![first_child, &mut farmer_child];
        watched.extend(dev_harvesters.iter_mut().map(|h| &mut h.child));
        wait::until_blocks(
            bridge,
            &mut node,
            &mut watched,
            self.blocks,
            Duration::from_secs(self.timeout_secs),
            json,
            &stop,
        )?;

        say(
            json,
            "a second signer on a copy of the key double-signs once",
        );
        let answer = slashing::double_sign(&layout, bridge, &chains[0].chain_id)?;
        say(
            json,
            &format!("the bridge answered the second header: {answer}"),
        );
        let evidence = wait::until_evidence(bridge, &mut node, &stop)?;
        say(
            json,
            &format!(
                "the detector caught it: {} evidence item(s)",
                evidence.len()
            ),
        );

        let metrics = wait::scrape_metrics(metrics_port);
        let proofs = wait::proofs_per_chain(&metrics);
        let harvester_summaries = harvesters::summarize(&dev_harvesters, &metrics);
        farmer_child.stop();
        for h in &mut dev_harvesters {
            h.child.stop();
        }
        let ids: Vec<_> = chains.iter().map(|c| c.chain_id).collect();
        let node_tips = nodes.until_agree(&ids, Duration::from_secs(30), &stop)?;
        let bridge = &nodes.bridges[0];

        let mut verified = Vec::new();
        let mut headers = Vec::new();
        for c in &chains {
            let out = run_to_end(
                &[
                    "verify-chain".into(),
                    url.clone(),
                    "--params".into(),
                    layout.params(&c.name).display().to_string(),
                    "--json".into(),
                ],
                Some(&layout.log("verify")),
            );
            let ok = out
                .ok()
                .and_then(|o| serde_json::from_str::<serde_json::Value>(&o).ok())
                .is_some_and(|v| v["valid"] == true);
            verified.push(ok);
            let hs: Vec<Header> = bridge
                .headers(&c.chain_id, 1)
                .context("reading headers from the bridge")?;
            headers.push(hs);
        }
        nodes.stop();

        say(json, "finishing the anchors (mining regtest blocks)");
        let anchorer = anchors::finish_anchoring(
            &mut node,
            &layout.bridge_dir(),
            DEVNET_CONFIRMATIONS,
            Duration::from_secs(180),
            &stop,
        )?;
        let mut summaries = Vec::new();
        for (((c, hs), ok), tips) in chains.iter().zip(&headers).zip(&verified).zip(node_tips) {
            let checks: Vec<_> = hs
                .iter()
                .map(|h| anchors::check_item(&node, &anchorer, ItemKind::Header, h.hash().0))
                .collect();
            let anchored: Vec<_> = checks.iter().filter(|c| c.anchored).collect();
            let mut txs: Vec<_> = anchored.iter().filter_map(|c| c.txid.clone()).collect();
            txs.sort();
            txs.dedup();
            let interval = match (hs.first(), hs.last()) {
                (Some(a), Some(b)) if hs.len() > 1 => {
                    (b.timestamp_ms - a.timestamp_ms) as f64 / 1000.0 / (hs.len() - 1) as f64
                }
                _ => 0.0,
            };
            summaries.push(ChainSummary {
                chain_id: c.chain_id.to_hex(),
                name: c.name.clone(),
                blocks: hs.len() as u64,
                mean_interval_s: interval,
                proofs_found: proofs.get(&c.name).copied().unwrap_or(0),
                verified: *ok,
                anchored: anchored.len() as u64,
                anchor_txs: txs.len(),
                confirmations: anchored.iter().map(|c| c.confirmations).min().unwrap_or(0),
                nodes_agree: tips.iter().all(|t| !t.is_empty() && *t == tips[0]),
                node_tips: tips,
            });
        }
        let evidence_anchored = evidence
            .iter()
            .filter(|hash| {
                let mut h = [0u8; 32];
                hex::decode_to_slice(hash.as_str(), &mut h).is_ok()
                    && anchors::check_item(&node, &anchorer, ItemKind::Evidence, h).anchored
            })
            .count();
        let summary = Summary {
            slashing: SlashingSummary {
                evidence: evidence.len(),
                anchored: evidence_anchored,
            },
            pow_height: node.rpc().block_count()?,
            dir: layout.root.display().to_string(),
            chains: summaries,
            harvesters: harvester_summaries,
            status_pages,
        };
        node.stop(Duration::from_secs(30));
        let all_good = summary.chains.iter().all(|c| {
            c.verified && c.blocks >= self.blocks && c.anchored == c.blocks && c.nodes_agree
        }) && summary.slashing.evidence > 0
            && (summary.harvesters.is_empty()
                || summary.harvesters.iter().map(|h| h.proofs).sum::<u64>() > 0)
            && summary.slashing.anchored == summary.slashing.evidence;
        if json {
            crate::output::print_json(&summary)?;
        } else {
            summary.print_table();
        }
        Ok(if all_good {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        })
    }
}
