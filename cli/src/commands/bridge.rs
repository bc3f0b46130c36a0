//! The proof-of-work side: `pow verify-header`, `confirmations`, `anchors …` and `bridge run`.

mod anchors;
mod confirmations;
mod pow;
mod run;

use anyhow::Context;
use clap::{Args, Subcommand};
use masspoc_node_bridge::anchor::Outbox;
use masspoc_node_bridge::rpc::{RpcAuth, RpcClient, RpcConfig};
use masspoc_node_bridge::store::Store;
use std::path::PathBuf;
use std::process::ExitCode;

/// Commands about the proof-of-work chain and anchoring.
#[derive(Subcommand)]
pub enum Command {
    /// Proof-of-work header checks.
    #[command(subcommand)]
    Pow(pow::Command),
    /// Attacker catch-up probability by depth, and the depth needed for a risk.
    Confirmations(confirmations::Args),
    /// Anchors of PoC headers and slashing evidence in the PoW chain.
    #[command(subcommand)]
    Anchors(Box<anchors::Command>),
    /// The bridge process.
    #[command(subcommand)]
    Bridge(Box<run::Command>),
}

impl Command {
    /// Runs the command.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            Command::Pow(c) => c.run(),
            Command::Confirmations(a) => a.run(),
            Command::Anchors(c) => c.run(),
            Command::Bridge(c) => c.run(),
        }
    }
}

/// How to reach the node.
#[derive(Args, Debug, Clone)]
pub struct NodeArgs {
    /// The node's JSON-RPC URL (litecoind: mainnet 9332, testnet 19332, regtest 19443).
    #[arg(long, env = "MASSPOC_RPC_URL", default_value = "http://127.0.0.1:9332")]
    pub rpc_url: String,
    /// The node's cookie file (e.g. DATADIR/regtest/.cookie); wins over user/password.
    #[arg(long, env = "MASSPOC_RPC_COOKIE")]
    pub rpc_cookie: Option<PathBuf>,
    /// RPC user name.
    #[arg(long, env = "MASSPOC_RPC_USER")]
    pub rpc_user: Option<String>,
    /// RPC password.
    #[arg(long, env = "MASSPOC_RPC_PASSWORD", hide_env_values = true)]
    pub rpc_password: Option<String>,
    /// The wallet that pays for anchors.
    #[arg(long, env = "MASSPOC_RPC_WALLET", default_value = "masspoc")]
    pub wallet: String,
    /// Keep retrying an unreachable or warming-up node for this many seconds per call.
    #[arg(long, default_value_t = 30)]
    pub rpc_retry_secs: u64,
}

impl NodeArgs {
    /// A node-level client.
    pub fn client(&self) -> anyhow::Result<RpcClient> {
        let auth = match (&self.rpc_cookie, &self.rpc_user, &self.rpc_password) {
            (Some(c), _, _) => RpcAuth::Cookie(c.clone()),
            (None, Some(u), Some(p)) => RpcAuth::UserPass {
                user: u.clone(),
                password: p.clone(),
            },
            (None, None, None) => RpcAuth::None,
            _ => anyhow::bail!("give both --rpc-user and --rpc-password, or --rpc-cookie"),
        };
        let config = RpcConfig {
            retry_for: std::time::Duration::from_secs(self.rpc_retry_secs),
            ..RpcConfig::default()
        };
        Ok(RpcClient::new(&self.rpc_url, auth, config))
    }
}

/// Where the bridge keeps its stores.
#[derive(Args, Debug, Clone)]
pub struct DataArgs {
    /// The bridge's data directory (its database `bridge.redb`).
    #[arg(long, env = "MASSPOC_BRIDGE_DATA", default_value = "masspoc-bridge")]
    pub data: PathBuf,
}

impl DataArgs {
    /// The anchoring outbox in the bridge's database (directory and database created if missing,
    /// an older layout migrated).
    pub fn outbox(&self) -> anyhow::Result<Outbox> {
        let store = Store::open_data_dir(&self.data)
            .with_context(|| format!("opening the bridge data in {}", self.data.display()))?;
        Ok(Outbox::on(store)?)
    }
}
