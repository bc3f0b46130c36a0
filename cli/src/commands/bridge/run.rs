//! `masspoc bridge run`: follows the node's headers and anchors queued items, until stopped.
//! Every step is committed to the stores before the next one, so the process may be killed at
//! any moment and started again.

use super::{DataArgs, NodeArgs};
use anyhow::Context;
use clap::Subcommand;
use masspoc_node_bridge::anchor::{AnchorConfig, Anchorer, Outbox};
use masspoc_node_bridge::confirmations::default_confirmations;
use masspoc_node_bridge::follower::{Follower, FollowerConfig};
use masspoc_node_bridge::pow::PowParams;
use std::process::ExitCode;
use std::time::Duration;

/// Bridge process commands.
#[derive(Subcommand)]
pub enum Command {
    /// Runs the header follower and the anchorer in a loop.
    Run {
        #[command(flatten)]
        data: DataArgs,
        #[command(flatten)]
        node: NodeArgs,
        /// The PoW network's rules: regtest, main or test.
        #[arg(long, default_value = "main")]
        network: String,
        /// First height followed (fixed when the store is created).
        #[arg(long, default_value_t = 0)]
        start_height: u64,
        /// Confirmations before an anchor is final (default from `confirmations` at q = 0.1,
        /// risk 0.1%).
        #[arg(long)]
        confirmations: Option<u64>,
        /// Pause between passes, in milliseconds.
        #[arg(long, default_value_t = 2000)]
        poll_ms: u64,
        /// Do one pass and exit.
        #[arg(long)]
        once: bool,
    },
}

impl Command {
    /// Runs the command.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let Command::Run {
            data,
            node,
            network,
            start_height,
            confirmations,
            poll_ms,
            once,
        } = self;
        let params = PowParams::by_name(&network)
            .with_context(|| format!("unknown network {network:?} (regtest, main, test)"))?;
        let rpc = node.client()?;
        let mut follower = Follower::open(
            &data.headers()?,
            rpc.clone(),
            FollowerConfig {
                start_height,
                params,
                ..FollowerConfig::default()
            },
        )?;
        let config = AnchorConfig {
            confirmations: confirmations.unwrap_or_else(default_confirmations),
            ..AnchorConfig::default()
        };
        let outbox = Outbox::open(&data.anchors()?)?;
        let mut anchorer =
            Anchorer::new(outbox, rpc.clone(), rpc.with_wallet(&node.wallet), config);
        loop {
            // A refused node stops the bridge: its headers cannot be trusted.
            let report = follower
                .sync(10_000)
                .context("following the node's headers")?;
            if report.added > 0 || report.removed > 0 {
                tracing::info!(tip = ?report.tip, added = report.added, removed = report.removed, "headers");
            }
            // Anchoring failures (node down, wallet empty) are retried on the next pass.
            match anchorer.tick() {
                Ok(batches) => {
                    let open = batches
                        .iter()
                        .filter(|b| b.state != masspoc_node_bridge::anchor::BatchState::Final)
                        .count();
                    tracing::debug!(batches = batches.len(), open, "anchoring pass");
                }
                Err(e) if once => return Err(e).context("anchoring"),
                Err(e) => tracing::warn!(error = %e, "anchoring pass failed; retrying"),
            }
            if once {
                return Ok(ExitCode::SUCCESS);
            }
            std::thread::sleep(Duration::from_millis(poll_ms));
        }
    }
}
