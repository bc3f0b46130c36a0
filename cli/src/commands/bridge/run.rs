//! `masspoc bridge run`: follows the node's headers, anchors queued items and (with `--chains`)
//! hosts PoC chains over HTTP, until Ctrl-C. Every step is committed to the stores before the
//! next, so the process may be killed at any moment and started again.

use super::{DataArgs, NodeArgs};
use anyhow::Context;
use clap::Subcommand;
use masspoc_net::Multiaddr;
use masspoc_node_bridge::alerts::NodeAlertsConfig;
use masspoc_node_bridge::anchor::AnchorConfig;
use masspoc_node_bridge::host::config::{
    check_beacons, load_alerts, load_anchoring, load_chains, load_network, AnchoringTable,
};
use masspoc_node_bridge::host::limits::{ApiLimits, ApiToken};
use masspoc_node_bridge::pow::PowParams;
use masspoc_node_bridge::rpc::{RpcClient, RpcConfig};
use masspoc_node_bridge::service::{run, P2pSettings, ServiceConfig};
use masspoc_verifier::params::WEAK_PARAMS_LIMIT_BYTES;
use masspoc_verifier::ChainSpec;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Bridge process commands.
#[derive(Subcommand)]
pub enum Command {
    /// Runs the header follower, the anchorer and the chain host.
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
        /// risk 0.1%; overrides the chains file's `[anchoring] confirmations`).
        #[arg(long)]
        confirmations: Option<u64>,
        #[command(flatten)]
        anchoring: AnchoringFlags,
        /// Chains to host: a TOML file of `[[chain]]` parameter tables (docs/bridge.md).
        #[arg(long)]
        chains: Option<PathBuf>,
        /// Where the chain host listens (with --chains).
        #[arg(long, default_value = "127.0.0.1:8737")]
        listen: SocketAddr,
        /// Confirmations a chain's genesis beacon needs on the PoW chain.
        #[arg(long, default_value_t = 1)]
        beacon_confirmations: i64,
        /// Pause between passes, in milliseconds.
        #[arg(long, default_value_t = 2000)]
        poll_ms: u64,
        /// Do one pass and exit (no server).
        #[arg(long)]
        once: bool,
        /// Require `Authorization: Bearer <token>` on every submission (POST). Prefer the
        /// environment variable to the flag: a flag shows in the process list. Never logged.
        #[arg(
            long,
            env = "MASSPOC_BRIDGE_TOKEN",
            hide_env_values = true,
            value_name = "TOKEN"
        )]
        api_token: Option<String>,
        /// Host chains whose parameters let one core fake more than 1 GiB per target interval
        /// (docs/protocol.md, "What faking space costs"); refused without this flag.
        #[arg(long)]
        allow_weak_params: bool,
        /// Where the chain network listens for peers (with --chains; repeatable), e.g.
        /// /ip4/127.0.0.1/tcp/9737. Added to the chains file's `[network] listen`.
        #[arg(long = "p2p-listen")]
        p2p_listen: Vec<Multiaddr>,
        /// A chain node to peer with (repeatable), e.g. /ip4/127.0.0.1/tcp/9738 (optionally
        /// /p2p/<peer id>). Added to the chains file's `[network] peers`.
        #[arg(long = "peer")]
        peers: Vec<Multiaddr>,
    },
}

impl Command {
    /// Whether this is a single pass (`--once`).
    pub fn is_once(&self) -> bool {
        let Command::Run { once, .. } = self;
        *once
    }

    /// Runs the command.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let Command::Run {
            data,
            node,
            network,
            start_height,
            confirmations,
            chains,
            listen,
            beacon_confirmations,
            poll_ms,
            once,
            api_token,
            allow_weak_params,
            p2p_listen,
            peers,
            anchoring,
        } = self;
        let params = PowParams::by_name(&network)
            .with_context(|| format!("unknown network {network:?} (regtest, main, test)"))?;
        let mut anchor = AnchorConfig::for_network(&network);
        let mut alerts = NodeAlertsConfig::default();
        let chains = match &chains {
            Some(path) => {
                let specs = load_chains(path)?;
                refuse_weak(&specs, allow_weak_params)?;
                anchor = load_anchoring(path, anchor)?;
                alerts = load_alerts(path)?;
                Some((specs, load_network(path)?))
            }
            None => None,
        };
        anchor = AnchoringTable {
            confirmations,
            ..anchoring.table()
        }
        .apply(anchor, "the --anchor-* flags")?;
        let rpc = node.client()?;
        check_node_network(&rpc, &node, &network)?;
        let (chains, mut p2p) = match chains {
            Some((specs, network)) => {
                check_beacons(&specs, &rpc, beacon_confirmations)?;
                (specs, network)
            }
            None => (Vec::new(), P2pSettings::default()),
        };
        p2p.listen.extend(p2p_listen);
        p2p.peers.extend(peers);
        if !p2p.peers.is_empty() && p2p.listen.is_empty() {
            anyhow::bail!("--peer needs a --p2p-listen address (or [network] listen)");
        }
        let config = ServiceConfig {
            data: data.data.clone(),
            rpc,
            wallet: node.wallet.clone(),
            params,
            start_height,
            anchor,
            poll: Duration::from_millis(poll_ms),
            listen: (!once && !chains.is_empty()).then_some(listen),
            chains,
            once,
            api: ApiLimits {
                token: api_token.and_then(ApiToken::new),
                ..ApiLimits::default()
            },
            p2p: (!p2p.listen.is_empty()).then_some(p2p),
            alerts,
        };
        run(config).context("bridge")?;
        Ok(ExitCode::SUCCESS)
    }
}

/// `bridge run`'s anchoring flags: each overrides the chains file's `[anchoring]` key of the same
/// name, which overrides the network's default (docs/anchoring.md, "Configuration").
#[derive(clap::Args, Debug, Default)]
pub struct AnchoringFlags {
    /// Seconds between anchoring passes (`[anchoring] interval_s`).
    #[arg(long = "anchor-interval-s", value_name = "SECONDS")]
    interval_s: Option<u64>,
    /// Fee budget per rolling hour, litoshi (`[anchoring] fee_budget_per_hour`; 0 sends nothing).
    #[arg(long = "anchor-fee-budget-per-hour", value_name = "LITOSHI")]
    fee_budget_per_hour: Option<u64>,
    /// Fee budget per rolling day, litoshi (`[anchoring] fee_budget_per_day`; at least the
    /// hourly one).
    #[arg(long = "anchor-fee-budget-per-day", value_name = "LITOSHI")]
    fee_budget_per_day: Option<u64>,
    /// Anchor transactions in flight at most (`[anchoring] max_unconfirmed`, at least 1).
    #[arg(long = "anchor-max-unconfirmed", value_name = "N")]
    max_unconfirmed: Option<u64>,
    /// PoW blocks without a confirmation before the fee is bumped by replace-by-fee
    /// (`[anchoring] bump_after_blocks`).
    #[arg(long = "anchor-bump-after-blocks", value_name = "N")]
    bump_after_blocks: Option<u64>,
    /// Items per anchor batch at most (`[anchoring] max_batch`, at least 1).
    #[arg(long = "anchor-max-batch", value_name = "N")]
    max_batch: Option<usize>,
}

impl AnchoringFlags {
    /// The flags as `[anchoring]` settings.
    fn table(&self) -> AnchoringTable {
        AnchoringTable {
            interval_s: self.interval_s,
            fee_budget_per_hour: self.fee_budget_per_hour,
            fee_budget_per_day: self.fee_budget_per_day,
            max_unconfirmed: self.max_unconfirmed,
            bump_after_blocks: self.bump_after_blocks,
            max_batch: self.max_batch,
            confirmations: None,
        }
    }
}

/// Asks the node which network it is on (`getblockchaininfo`) before anything else is done or
/// created, and refuses a mismatch with the fix. While the node cannot be reached it says at once
/// what it is waiting for, then every few seconds, until `--rpc-retry-secs` have passed.
fn check_node_network(rpc: &RpcClient, node: &NodeArgs, network: &str) -> anyhow::Result<()> {
    let once = rpc.with_config(RpcConfig {
        retry_for: Duration::ZERO,
        ..RpcConfig::default()
    });
    let give_up_after = Duration::from_secs(node.retry_secs_for_run());
    let start = Instant::now();
    let mut said_at: Option<Instant> = None;
    let chain = loop {
        match once.chain_name() {
            Ok(chain) => break chain,
            Err(e) if e.is_transient() && start.elapsed() < give_up_after => {
                if said_at.is_none_or(|t| t.elapsed() >= Duration::from_secs(5)) {
                    tracing::warn!(
                        "waiting for the node at {}: {}; retrying for up to {} s more \
                         (--rpc-retry-secs)",
                        node.rpc_url,
                        masspoc_report::Report(&e),
                        give_up_after
                            .saturating_sub(start.elapsed())
                            .as_secs_f64()
                            .ceil()
                    );
                    said_at = Some(Instant::now());
                }
                std::thread::sleep(Duration::from_millis(500));
            }
            Err(e) => {
                return Err(anyhow::Error::new(e).context(format!(
                    "asking the node at {} which network it is on",
                    node.rpc_url
                )))
            }
        }
    };
    if canonical_network(&chain) != canonical_network(network) {
        anyhow::bail!(
            "the node at {} is on {chain}, but this bridge was started for --network {network}; \
             pass --network {chain}",
            node.rpc_url
        );
    }
    Ok(())
}

/// One name per network: `main`, `test`, `regtest` (the node's own names).
fn canonical_network(name: &str) -> &str {
    match name {
        "mainnet" => "main",
        "testnet" => "test",
        other => other,
    }
}

/// Refuses chains on which one core fakes more than 1 GiB per target interval, unless allowed
/// (then each is logged as a warning).
fn refuse_weak(specs: &[ChainSpec], allow: bool) -> anyhow::Result<()> {
    for s in specs.iter().filter(|s| s.params.is_weak()) {
        let fake = s.params.fake_capacity().map_or(0, |c| c.bytes);
        let what = format!(
            "chain {:?}: at min_k {}, filter_bits {}, target_interval_ms {} one core fakes {} MiB per target interval by recomputing plots (limit {} MiB; docs/protocol.md, \"What faking space costs\")",
            s.params.name,
            s.params.min_k,
            s.params.filter_bits,
            s.params.target_interval_ms,
            fake >> 20,
            WEAK_PARAMS_LIMIT_BYTES >> 20
        );
        if !allow {
            anyhow::bail!("{what}; pass --allow-weak-params to host it anyway");
        }
        tracing::warn!("{what}; hosted because of --allow-weak-params");
    }
    Ok(())
}
