//! The JSON-RPC transport: one HTTP POST per call or batch, credentials, timeouts and retries.
//!
//! Blocking on purpose (`ureq`): the follower and the anchoring outbox are sequential state
//! machines over a synchronous store (redb), so a blocking client keeps them plain functions; an
//! async server calls them from `spawn_blocking`. `ureq` is small, has no TLS here (the node is on
//! loopback) and reports connect/read failures and timeouts as distinct errors.

use super::outage::{OutageLog, Retry};
use super::reply::{excerpt, parse_batch, parse_single};
use crate::error::RpcError;
use base64::Engine;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Largest reply body accepted (a verbose regtest block is far smaller).
const MAX_BODY: u64 = 64 << 20;

/// How the client proves itself to the node.
#[derive(Debug, Clone)]
pub enum RpcAuth {
    /// The node's cookie file (`DATADIR/regtest/.cookie`), re-read after a restart.
    Cookie(PathBuf),
    /// `-rpcuser`/`-rpcpassword` (or an `-rpcauth` entry).
    UserPass {
        /// The user name.
        user: String,
        /// The password.
        password: String,
    },
    /// No credentials (only useful against test servers).
    None,
}

/// Timeouts and retry policy.
#[derive(Debug, Clone)]
pub struct RpcConfig {
    /// Connect timeout of one attempt.
    pub connect_timeout: Duration,
    /// Whole-exchange timeout of one attempt (request, answer and body).
    pub request_timeout: Duration,
    /// Transient failures are retried until this much time has passed since the first attempt.
    pub retry_for: Duration,
    /// First pause between attempts; doubled each time up to `max_backoff`.
    pub initial_backoff: Duration,
    /// Longest pause between attempts.
    pub max_backoff: Duration,
}

impl Default for RpcConfig {
    fn default() -> Self {
        RpcConfig {
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(60),
            retry_for: Duration::from_secs(30),
            initial_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_secs(1),
        }
    }
}

/// A JSON-RPC client for one node (and optionally one of its wallets). Cheap to clone.
#[derive(Clone)]
pub struct RpcClient {
    agent: ureq::Agent,
    base_url: String,
    wallet: Option<String>,
    auth: RpcAuth,
    config: RpcConfig,
    ids: Arc<AtomicU64>,
    outage: Arc<OutageLog>,
}

impl std::fmt::Debug for RpcClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RpcClient")
            .field("url", &self.url())
            .finish_non_exhaustive()
    }
}

impl RpcClient {
    /// A client for the node at `base_url` (e.g. `http://127.0.0.1:19443`).
    pub fn new(base_url: &str, auth: RpcAuth, config: RpcConfig) -> Self {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(config.connect_timeout))
            .timeout_global(Some(config.request_timeout))
            .build()
            .into();
        RpcClient {
            agent,
            base_url: base_url.trim_end_matches('/').to_string(),
            wallet: None,
            auth,
            config,
            ids: Arc::new(AtomicU64::new(0)),
            outage: Arc::new(OutageLog::default()),
        }
    }

    /// The same node, calls routed to wallet `name` (`/wallet/NAME`).
    pub fn with_wallet(&self, name: &str) -> Self {
        let mut c = self.clone();
        c.wallet = Some(name.to_string());
        c
    }

    /// The same node with another retry policy.
    pub fn with_config(&self, config: RpcConfig) -> Self {
        RpcClient::new(&self.base_url, self.auth.clone(), config)
            .with_wallet_opt(self.wallet.clone())
    }

    fn with_wallet_opt(mut self, wallet: Option<String>) -> Self {
        self.wallet = wallet;
        self
    }

    /// The URL calls are posted to.
    pub fn url(&self) -> String {
        match &self.wallet {
            Some(w) => format!("{}/wallet/{w}", self.base_url),
            None => self.base_url.clone(),
        }
    }

    /// Calls `method` and decodes its result into `T`.
    pub fn call<T: DeserializeOwned>(&self, method: &str, params: Value) -> Result<T, RpcError> {
        let value = self.call_value(method, params)?;
        serde_json::from_value(value.clone()).map_err(|e| RpcError::UnexpectedResult {
            method: method.to_string(),
            detail: format!("{e}: {}", excerpt(value.to_string().as_bytes())),
        })
    }

    /// Calls `method` and returns its raw JSON result, retrying transient failures.
    pub fn call_value(&self, method: &str, params: Value) -> Result<Value, RpcError> {
        self.retrying(method, || {
            let id = self.ids.fetch_add(1, Ordering::Relaxed);
            let body = json!({"jsonrpc": "1.0", "id": id, "method": method, "params": params});
            let (status, bytes) = self.post(method, &body)?;
            parse_single(method, status, &bytes)
        })
    }

    /// Sends several calls in one HTTP request; one outcome per call, in order.
    pub fn batch(&self, calls: &[(&str, Value)]) -> Result<Vec<Result<Value, RpcError>>, RpcError> {
        if calls.is_empty() {
            return Ok(Vec::new());
        }
        let methods: Vec<&str> = calls.iter().map(|(m, _)| *m).collect();
        let label = format!("batch[{}]", methods.join(","));
        self.retrying(&label, || {
            let body: Vec<Value> = calls
                .iter()
                .enumerate()
                .map(|(i, (m, p))| json!({"jsonrpc": "1.0", "id": i, "method": m, "params": p}))
                .collect();
            let (status, bytes) = self.post(&label, &Value::Array(body))?;
            let replies = parse_batch(&methods, status, &bytes)?;
            // A node still warming up answers every call with -28: retry the batch as a whole.
            if let Some(Err(e)) = replies
                .iter()
                .find(|r| matches!(r, Err(e) if e.is_transient()))
            {
                return Err(RpcError::Node {
                    method: label.clone(),
                    code: e.node_code().unwrap_or(-28),
                    message: e.to_string(),
                });
            }
            Ok(replies)
        })
    }

    fn retrying<T>(
        &self,
        method: &str,
        mut attempt: impl FnMut() -> Result<T, RpcError>,
    ) -> Result<T, RpcError> {
        let start = Instant::now();
        let mut backoff = self.config.initial_backoff;
        let mut attempts = 0u32;
        loop {
            attempts += 1;
            match attempt() {
                Ok(v) => {
                    self.outage.answered(method, || self.url());
                    return Ok(v);
                }
                Err(e) if e.is_transient() && start.elapsed() + backoff < self.config.retry_for => {
                    let retry = Retry {
                        url: &self.url(),
                        method,
                        attempt: attempts,
                        next_in: backoff,
                        gives_up_in: self.config.retry_for.saturating_sub(start.elapsed()),
                    };
                    self.outage.retrying(&retry, &e);
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(self.config.max_backoff);
                }
                Err(e) if attempts > 1 && e.is_transient() => {
                    return Err(RpcError::GaveUp {
                        attempts,
                        last: Box::new(e),
                    })
                }
                Err(e) => {
                    if matches!(e, RpcError::Node { .. }) {
                        // An error answer is an answer: the node is back.
                        self.outage.answered(method, || self.url());
                    }
                    return Err(e);
                }
            }
        }
    }

    fn auth_header(&self) -> Result<Option<String>, RpcError> {
        let pair = match &self.auth {
            RpcAuth::None => return Ok(None),
            RpcAuth::UserPass { user, password } => format!("{user}:{password}"),
            RpcAuth::Cookie(path) => std::fs::read_to_string(path)
                .map_err(|source| RpcError::Cookie {
                    path: path.clone(),
                    source,
                })?
                .trim()
                .to_string(),
        };
        let encoded = base64::engine::general_purpose::STANDARD.encode(pair);
        Ok(Some(format!("Basic {encoded}")))
    }

    fn post(&self, method: &str, body: &Value) -> Result<(u16, Vec<u8>), RpcError> {
        let url = self.url();
        let mut req = self
            .agent
            .post(&url)
            .header("Content-Type", "application/json");
        if let Some(auth) = self.auth_header()? {
            req = req.header("Authorization", auth);
        }
        let payload = body.to_string();
        let mut resp = req
            .send(payload.as_bytes())
            .map_err(|e| transport_error(method, &url, e))?;
        let status = resp.status().as_u16();
        if status == 401 {
            return Err(RpcError::Unauthorized {
                method: method.to_string(),
                hint: match &self.auth {
                    RpcAuth::Cookie(p) => format!("cookie file {}", p.display()),
                    RpcAuth::UserPass { user, .. } => format!("user {user:?} and its password"),
                    RpcAuth::None => "no credentials were given".to_string(),
                },
                cookie: matches!(self.auth, RpcAuth::Cookie(_)),
            });
        }
        let bytes = resp
            .body_mut()
            .with_config()
            .limit(MAX_BODY)
            .read_to_vec()
            .map_err(|e| RpcError::Truncated {
                method: method.to_string(),
                detail: e.to_string(),
            })?;
        Ok((status, bytes))
    }
}

/// Classifies an HTTP client failure before any answer arrived.
fn transport_error(method: &str, url: &str, e: ureq::Error) -> RpcError {
    use std::io::ErrorKind as K;
    let connection_lost = match &e {
        ureq::Error::Io(io) => matches!(
            io.kind(),
            K::ConnectionRefused
                | K::ConnectionReset
                | K::ConnectionAborted
                | K::BrokenPipe
                | K::UnexpectedEof
                | K::NotConnected
        ),
        ureq::Error::ConnectionFailed => true,
        _ => false,
    };
    RpcError::Transport {
        method: method.to_string(),
        url: url.to_string(),
        reason: e.to_string(),
        connection_lost,
    }
}
