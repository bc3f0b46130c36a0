//! Client of the bridge's HTTP API (`docs/bridge-api.md`): chain list, work (long-poll) and
//! header submission, in the types of `masspoc-api` that the bridge serves.
//!
//! Requests run on tokio's blocking pool through `ureq` (plain HTTP: bridges are reached on
//! loopback or a private link). Each call has its own time limit, so a bridge that hangs costs
//! one chain one request, never the farm.
//!
//! Fail-over: a client may hold several chain nodes' URLs for one chain. It talks to one at a
//! time; when that one stops answering (unreachable or timed out — not a refusal, which is an
//! answer) it moves to the next, round robin, and retries the call there, trying each URL at
//! most once per call.

use masspoc_api::routes;
use masspoc_api::{ChainInfo, ChainList, ErrorBody, SubmitHeader, SubmitReply, Work};
use masspoc_verifier::{Block, ChainId, HeaderHash};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Why a bridge request failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BridgeError {
    /// The bridge could not be reached or did not answer in time.
    #[error("bridge {url} unreachable: {message}")]
    Unreachable {
        /// The URL requested.
        url: String,
        /// The transport error.
        message: String,
    },
    /// The bridge answered with an error.
    #[error("bridge refused ({status} {code}): {message}")]
    Refused {
        /// HTTP status.
        status: u16,
        /// The error code (`bad_proof`, `deadline_not_met`, `unknown_chain`, …).
        code: String,
        /// The bridge's message.
        message: String,
    },
    /// A request body could not be written (never expected: the API's types always serialise).
    #[error("cannot write the request body: {0}")]
    BadRequest(String),
    /// The bridge's answer could not be understood.
    #[error("bad answer from bridge {url}: {message}")]
    BadReply {
        /// The URL requested.
        url: String,
        /// What was wrong.
        message: String,
    },
}

/// A client of one chain's bridges (chain nodes), one at a time.
#[derive(Clone)]
pub struct BridgeClient {
    bases: Arc<[String]>,
    current: Arc<AtomicUsize>,
    timeout: Duration,
    token: Option<String>,
}

/// The environment variable whose value, when set, the client sends as
/// `Authorization: Bearer <value>` with every submission (the bridge's `--api-token`).
pub const TOKEN_ENV: &str = "MASSPOC_BRIDGE_TOKEN";

/// Time allowed for a plain (not long-polled) request.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

impl BridgeClient {
    /// A client of the bridge at `base` (e.g. `http://127.0.0.1:8737`).
    #[must_use]
    pub fn new(base: &str) -> Self {
        Self::with_failover(&[base.to_string()])
    }

    /// A client of several chain nodes serving the same chain, in order of preference (at
    /// least one; an empty list behaves as one unreachable URL).
    #[must_use]
    pub fn with_failover(bases: &[String]) -> Self {
        let mut bases: Vec<String> = bases
            .iter()
            .map(|b| b.trim_end_matches('/').to_string())
            .collect();
        if bases.is_empty() {
            bases.push("http://0.0.0.0:0".into());
        }
        BridgeClient {
            bases: bases.into(),
            current: Arc::new(AtomicUsize::new(0)),
            timeout: REQUEST_TIMEOUT,
            token: std::env::var(TOKEN_ENV)
                .ok()
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty()),
        }
    }

    /// The base URL in use now.
    #[must_use]
    pub fn base(&self) -> &str {
        &self.bases[self.current.load(Ordering::Relaxed) % self.bases.len()]
    }

    /// Every base URL, in order of preference.
    #[must_use]
    pub fn bases(&self) -> &[String] {
        &self.bases
    }

    /// `GET /v1/chains`.
    pub async fn chains(&self) -> Result<Vec<ChainInfo>, BridgeError> {
        let c: ChainList = self
            .call("GET", routes::CHAINS.into(), None, self.timeout)
            .await?;
        Ok(c.chains)
    }

    /// `GET /v1/evidence`: the slashing evidence the chain node holds.
    pub async fn evidence(&self) -> Result<Vec<masspoc_api::EvidenceRow>, BridgeError> {
        let e: masspoc_api::EvidenceList = self
            .call("GET", routes::EVIDENCE.into(), None, self.timeout)
            .await?;
        Ok(e.evidence)
    }

    /// `GET /v1/chains/{id}/challenge`, long-polling up to `wait` for a tip other than `known`
    /// (the tip of the work in hand: the bridge answers at once if it changed meanwhile).
    pub async fn work(
        &self,
        chain_id: &ChainId,
        wait: Duration,
        known: Option<&HeaderHash>,
    ) -> Result<Work, BridgeError> {
        let wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
        let path = routes::work(chain_id, wait_ms, known);
        self.call("GET", path, None, self.timeout + wait).await
    }

    /// `POST /v1/chains/{id}/headers` with a signed block (header and body).
    pub async fn submit(
        &self,
        chain_id: &ChainId,
        block: &Block,
    ) -> Result<SubmitReply, BridgeError> {
        let body = json_body(&SubmitHeader::block(block))?;
        self.call("POST", routes::headers(chain_id), Some(body), self.timeout)
            .await
    }

    /// One call, failing over to the next URL while the current one does not answer.
    async fn call<T: DeserializeOwned + Send + 'static>(
        &self,
        method: &'static str,
        path: String,
        body: Option<String>,
        timeout: Duration,
    ) -> Result<T, BridgeError> {
        let mut tried = 0;
        loop {
            let at = self.current.load(Ordering::Relaxed);
            let base = self.bases[at % self.bases.len()].clone();
            match self
                .call_one(&base, method, &path, body.clone(), timeout)
                .await
            {
                Err(e @ BridgeError::Unreachable { .. }) => {
                    tried += 1;
                    if tried >= self.bases.len() {
                        return Err(e);
                    }
                    let next = (at + 1) % self.bases.len();
                    // Another call may have moved on already: only the first one moves.
                    if self
                        .current
                        .compare_exchange(at, next, Ordering::Relaxed, Ordering::Relaxed)
                        .is_ok()
                    {
                        tracing::warn!(from = %base, to = %self.bases[next], error = %e, "bridge stopped answering; failing over");
                    }
                }
                other => return other,
            }
        }
    }

    async fn call_one<T: DeserializeOwned + Send + 'static>(
        &self,
        base: &str,
        method: &'static str,
        path: &str,
        body: Option<String>,
        timeout: Duration,
    ) -> Result<T, BridgeError> {
        let url = format!("{base}{path}");
        let u = url.clone();
        let token = self.token.clone();
        let joined = tokio::task::spawn_blocking(move || {
            blocking_call(method, &u, body, token.as_deref(), timeout)
        })
        .await;
        let (status, text) = joined.map_err(|e| BridgeError::Unreachable {
            url: url.clone(),
            message: format!("request task failed: {e}"),
        })??;
        if !(200..300).contains(&status) {
            let (code, message) = match serde_json::from_str::<ErrorBody>(&text) {
                Ok(ErrorBody { error, .. }) => (error.code, error.message),
                Err(_) => ("http_error".to_string(), text.chars().take(200).collect()),
            };
            return Err(BridgeError::Refused {
                status,
                code,
                message,
            });
        }
        serde_json::from_str(&text).map_err(|e| BridgeError::BadReply {
            url,
            message: e.to_string(),
        })
    }
}

/// A request body as JSON text.
fn json_body<T: Serialize>(body: &T) -> Result<String, BridgeError> {
    serde_json::to_string(body).map_err(|e| BridgeError::BadRequest(e.to_string()))
}

fn blocking_call(
    method: &str,
    url: &str,
    body: Option<String>,
    token: Option<&str>,
    timeout: Duration,
) -> Result<(u16, String), BridgeError> {
    let agent = ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(timeout))
            .build(),
    );
    let unreachable = |e: ureq::Error| BridgeError::Unreachable {
        url: url.to_string(),
        message: e.to_string(),
    };
    let resp = match (method, body) {
        ("POST", Some(b)) => {
            let req = agent.post(url).header("content-type", "application/json");
            match token {
                Some(t) => req.header("authorization", format!("Bearer {t}")),
                None => req,
            }
            .send(b.as_str())
        }
        _ => agent.get(url).call(),
    };
    let mut resp = resp.map_err(unreachable)?;
    let status = resp.status().as_u16();
    let text = resp
        .body_mut()
        .with_config()
        .limit(16 << 20)
        .read_to_string()
        .map_err(unreachable)?;
    Ok((status, text))
}
