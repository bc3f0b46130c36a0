//! The proof-of-work side: `pow verify-header`, `confirmations`, `anchors …` and `bridge run`.

mod anchors;
mod confirmations;
mod pow;
mod run;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use masspoc_node_bridge::anchor::Outbox;
use masspoc_node_bridge::rpc::{RpcAuth, RpcClient, RpcConfig};
use masspoc_node_bridge::store::{Store, BRIDGE_DB};
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
    /// Whether this is `bridge run` (which runs until stopped), not a one-shot command.
    pub fn long_running(&self) -> bool {
        matches!(self, Command::Bridge(b) if !b.is_once())
    }

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
    #[arg(long, env = "MASSPOC_RPC_URL", default_value = DEFAULT_RPC_URL)]
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
    /// Keep retrying an unreachable or warming-up node for this many seconds per call
    /// [default: 30 for `bridge run`, 3 for the commands that only read].
    #[arg(long)]
    pub rpc_retry_secs: Option<u64>,
}

/// The node `--rpc-url` names when not given: litecoind's mainnet port on this machine.
const DEFAULT_RPC_URL: &str = "http://127.0.0.1:9332";

/// How long `bridge run` retries a node call by default (a node may be starting up).
const RUN_RETRY_SECS: u64 = 30;
/// How long a read-only command retries a node call by default: it should fail fast.
const READ_RETRY_SECS: u64 = 3;

impl NodeArgs {
    /// Whether the user named a node (`--rpc-url` other than the default, a cookie or a user),
    /// rather than leaving every node argument at its default.
    pub fn is_given(&self) -> bool {
        self.rpc_url != DEFAULT_RPC_URL || self.rpc_cookie.is_some() || self.rpc_user.is_some()
    }

    /// A node-level client for the bridge process (retries a starting node for 30 s).
    pub fn client(&self) -> anyhow::Result<RpcClient> {
        self.client_retrying(RUN_RETRY_SECS)
    }

    /// How long `bridge run` keeps retrying an unreachable node.
    pub fn retry_secs_for_run(&self) -> u64 {
        self.rpc_retry_secs.unwrap_or(RUN_RETRY_SECS)
    }

    /// A node-level client for a command that only reads (retries for 3 s by default).
    pub fn client_for_reads(&self) -> anyhow::Result<RpcClient> {
        self.client_retrying(READ_RETRY_SECS)
    }

    fn client_retrying(&self, default_secs: u64) -> anyhow::Result<RpcClient> {
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
            retry_for: std::time::Duration::from_secs(self.rpc_retry_secs.unwrap_or(default_secs)),
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

    /// The anchoring outbox for a command that only reads it: the database must exist (a read
    /// never creates one) and no running bridge may hold it (then its API is the way to read).
    pub fn outbox_to_read(&self) -> anyhow::Result<Outbox> {
        let path = self.data.join(BRIDGE_DB);
        if !path.is_file() {
            bail!(
                "no bridge database at {} (give --data the bridge's data directory; \
                 `masspoc bridge run` creates it)",
                path.display()
            );
        }
        if held_by_another_process(&path)? {
            bail!(
                "{} is held by a running bridge; read through its API instead: add --bridge \
                 http://ADDR with the bridge's --listen address (default 127.0.0.1:8737), or stop \
                 the bridge",
                path.display()
            );
        }
        self.outbox()
    }
}

/// Whether another process holds the exclusive lock a store keeps on its file while open.
fn held_by_another_process(path: &std::path::Path) -> anyhow::Result<bool> {
    use std::os::fd::AsRawFd;
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    // SAFETY: flock(2) on a descriptor this function owns; the lock ends when `file` closes.
    let taken = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0;
    Ok(!taken)
}
