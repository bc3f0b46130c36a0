//! Client of the bridge's HTTP API (`docs/bridge-api.md`): chain list, work (long-poll) and
//! header submission, in the types of `masspoc-api` that the bridge serves.
//!
//! Requests run on tokio's blocking pool through `ureq` (plain HTTP: bridges are reached on
//! loopback or a private link). Each call has its own time limit, so a bridge that hangs costs
//! one chain one request, never the farm.

use masspoc_api::routes;
use masspoc_api::{ChainInfo, ChainList, ErrorBody, SubmitHeader, SubmitReply, Work};
use masspoc_verifier::{ChainId, Header};
use serde::de::DeserializeOwned;
use serde::Serialize;
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

/// A client of one bridge.
#[derive(Clone)]
pub struct BridgeClient {
    base: String,
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
        BridgeClient {
            base: base.trim_end_matches('/').to_string(),
            timeout: REQUEST_TIMEOUT,
            token: std::env::var(TOKEN_ENV)
                .ok()
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty()),
        }
    }

    /// The bridge's base URL.
    #[must_use]
    pub fn base(&self) -> &str {
        &self.base
    }

    /// `GET /v1/chains`.
    pub async fn chains(&self) -> Result<Vec<ChainInfo>, BridgeError> {
        let c: ChainList = self
            .call("GET", routes::CHAINS.into(), None, self.timeout)
            .await?;
        Ok(c.chains)
    }

    /// `GET /v1/chains/{id}/challenge`, long-polling up to `wait` for a new tip.
    pub async fn work(&self, chain_id: &ChainId, wait: Duration) -> Result<Work, BridgeError> {
        let wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
        let path = routes::work(chain_id, wait_ms);
        self.call("GET", path, None, self.timeout + wait).await
    }

    /// `POST /v1/chains/{id}/headers` with a signed header.
    pub async fn submit(
        &self,
        chain_id: &ChainId,
        header: &Header,
    ) -> Result<SubmitReply, BridgeError> {
        let body = json_body(&SubmitHeader::new(header))?;
        self.call("POST", routes::headers(chain_id), Some(body), self.timeout)
            .await
    }

    async fn call<T: DeserializeOwned + Send + 'static>(
        &self,
        method: &'static str,
        path: String,
        body: Option<String>,
        timeout: Duration,
    ) -> Result<T, BridgeError> {
        let url = format!("{}{}", self.base, path);
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
