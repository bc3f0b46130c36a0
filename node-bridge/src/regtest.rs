//! A real `litecoind -regtest` for tests: temp datadir, free loopback port, bounded waits,
//! SIGKILL and restart on the same datadir, and always stopped and reaped on drop.
//!
//! Public so that the tests of every crate can use it. The binary is `$MASSPOC_LITECOIND`, else
//! `/usr/lib/litecoin/litecoind` (the Debian daemon behind the `/usr/bin/litecoind` wrapper),
//! else `litecoind` on the `PATH`.

pub use crate::error::HarnessError;
use crate::pow::Hash256;
use crate::rpc::{RpcAuth, RpcClient, RpcConfig};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The wallet the harness creates.
pub const WALLET: &str = "masspoc";

/// How long a start may take before it is abandoned.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A running (or killed) regtest node owned by a test.
#[derive(Debug)]
pub struct RegtestNode {
    datadir: tempfile::TempDir,
    rpc_port: u16,
    extra_args: Vec<String>,
    child: Option<Child>,
    wallet_loaded: bool,
    address: Option<String>,
}

fn binary() -> String {
    if let Ok(b) = std::env::var("MASSPOC_LITECOIND") {
        return b;
    }
    let daemon = "/usr/lib/litecoin/litecoind";
    if Path::new(daemon).exists() {
        daemon.to_string()
    } else {
        "litecoind".to_string()
    }
}

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl RegtestNode {
    /// Starts a fresh node with a wallet ([`WALLET`]) and no blocks.
    pub fn start() -> Result<Self, HarnessError> {
        Self::start_with(&[])
    }

    /// Starts a fresh node with extra command-line arguments (kept across restarts).
    pub fn start_with(extra_args: &[&str]) -> Result<Self, HarnessError> {
        let io = |source| HarnessError::Spawn {
            binary: binary(),
            source,
        };
        let mut last = None;
        // A port picked as free may be taken before the daemon binds it: try a few.
        for _ in 0..3 {
            let mut node = RegtestNode {
                datadir: tempfile::Builder::new()
                    .prefix("masspoc-regtest-")
                    .tempdir()
                    .map_err(io)?,
                rpc_port: free_port().map_err(io)?,
                extra_args: extra_args.iter().map(|s| s.to_string()).collect(),
                child: None,
                wallet_loaded: false,
                address: None,
            };
            match node.launch() {
                Ok(()) => {
                    node.rpc().create_wallet(WALLET)?;
                    node.wallet_loaded = true;
                    return Ok(node);
                }
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| HarnessError::NotReady("no attempt made".into())))
    }

    fn launch(&mut self) -> Result<(), HarnessError> {
        let bin = binary();
        let mut cmd = Command::new(&bin);
        cmd.arg("-regtest")
            .arg(format!("-datadir={}", self.datadir.path().display()))
            .arg("-listen=0")
            .arg("-server=1")
            .arg(format!("-rpcport={}", self.rpc_port))
            .arg("-rpcbind=127.0.0.1")
            .arg("-rpcallowip=127.0.0.1")
            .arg("-fallbackfee=0.0002")
            .arg("-vbparams=mweb:4102444800:4102444801")
            .arg("-rpcserialversion=1")
            .arg("-txindex=1")
            .arg("-printtoconsole=0")
            .arg("-dnsseed=0")
            .arg("-discover=0")
            .args(&self.extra_args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if self.wallet_loaded {
            cmd.arg(format!("-wallet={WALLET}"));
        }
        let child = cmd.spawn().map_err(|source| HarnessError::Spawn {
            binary: bin.clone(),
            source,
        })?;
        self.child = Some(child);
        self.wait_ready()
    }

    fn wait_ready(&mut self) -> Result<(), HarnessError> {
        let deadline = Instant::now() + START_TIMEOUT;
        let probe = self.rpc().with_config(RpcConfig {
            connect_timeout: Duration::from_secs(2),
            request_timeout: Duration::from_secs(10),
            retry_for: Duration::ZERO,
            ..RpcConfig::default()
        });
        loop {
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    self.child = None;
                    return Err(HarnessError::NotReady(format!(
                        "exited with {status}; {}",
                        self.log_tail()
                    )));
                }
            }
            match probe.block_count() {
                Ok(_) => return Ok(()),
                Err(e) if Instant::now() >= deadline => {
                    return Err(HarnessError::NotReady(format!(
                        "no answer within {START_TIMEOUT:?}: {e}"
                    )))
                }
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }

    fn log_tail(&self) -> String {
        let log = self.datadir.path().join("regtest").join("debug.log");
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(5)..].join(" | ")
    }

    /// The datadir (kept until the node is dropped).
    pub fn datadir(&self) -> &Path {
        self.datadir.path()
    }

    /// The cookie file.
    pub fn cookie_path(&self) -> PathBuf {
        self.datadir.path().join("regtest").join(".cookie")
    }

    /// The RPC URL.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.rpc_port)
    }

    /// A node-level client (cookie auth, default retry policy).
    pub fn rpc(&self) -> RpcClient {
        RpcClient::new(
            &self.url(),
            RpcAuth::Cookie(self.cookie_path()),
            RpcConfig::default(),
        )
    }

    /// A client for the harness wallet.
    pub fn wallet(&self) -> RpcClient {
        self.rpc().with_wallet(WALLET)
    }

    /// Mines `n` blocks paying a fresh address of the harness wallet; returns their hashes.
    /// (A fresh address each call: after `invalidateblock`, re-mining the same coinbase in the
    /// same second would rebuild the invalidated block, which the node refuses.)
    pub fn mine(&mut self, n: u64) -> Result<Vec<Hash256>, HarnessError> {
        let address = self.wallet().new_address()?;
        self.address = Some(address.clone());
        Ok(self.rpc().generate_to_address(n, &address)?)
    }

    /// Mines 101 blocks so the wallet has a mature coinbase to spend.
    pub fn fund_wallet(&mut self) -> Result<(), HarnessError> {
        self.mine(101).map(|_| ())
    }

    /// Makes the node write its block index and chain state to disk (`gettxoutsetinfo` flushes
    /// before it counts), so that a later SIGKILL keeps the blocks mined so far. Without it a
    /// killed regtest node comes back at the height of its last periodic flush (often 0).
    pub fn flush(&self) -> Result<(), HarnessError> {
        self.rpc()
            .call_value("gettxoutsetinfo", serde_json::json!([]))
            .map(|_| ())
            .map_err(Into::into)
    }

    /// True while the daemon process runs.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.as_mut().map(|c| c.try_wait()), Some(Ok(None)))
    }

    /// Kills the daemon with SIGKILL and reaps it (no clean shutdown: mempool and unflushed
    /// state are lost, as in a crash).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Restarts the daemon on the same datadir and port, with its wallet loaded.
    pub fn restart(&mut self) -> Result<(), HarnessError> {
        self.kill();
        self.launch()
    }

    /// Stops the daemon cleanly (`stop`), waiting at most `timeout` before SIGKILL.
    pub fn stop(&mut self, timeout: Duration) {
        if self.child.is_none() {
            return;
        }
        let quick = self.rpc().with_config(RpcConfig {
            retry_for: Duration::ZERO,
            request_timeout: Duration::from_secs(5),
            ..RpcConfig::default()
        });
        let _ = quick.call_value("stop", serde_json::json!([]));
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            match self.child.as_mut().map(|c| c.try_wait()) {
                Some(Ok(None)) => std::thread::sleep(Duration::from_millis(50)),
                _ => {
                    self.child = None;
                    return;
                }
            }
        }
        self.kill();
    }
}

impl Drop for RegtestNode {
    fn drop(&mut self) {
        self.kill();
    }
}
