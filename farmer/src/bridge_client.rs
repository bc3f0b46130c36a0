//! Client of the bridge's HTTP API (`docs/bridge-api.md`): chain list, work (long-poll) and
//! header submission.
//!
//! Requests run on tokio's blocking pool through `ureq` (plain HTTP: bridges are reached on
//! loopback or a private link). Each call has its own time limit, so a bridge that hangs costs
//! one chain one request, never the farm.

use serde::de::{self, Deserializer};
use serde::Deserialize;
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
    /// The bridge's answer could not be understood.
    #[error("bad answer from bridge {url}: {message}")]
    BadReply {
        /// The URL requested.
        url: String,
        /// What was wrong.
        message: String,
    },
}

/// Hex bytes of any length.
fn de_hex<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
    let s = String::deserialize(d)?;
    hex::decode(s).map_err(de::Error::custom)
}

/// Exactly 32 hex bytes.
fn de_hex32<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
    let v = de_hex(d)?;
    v.try_into()
        .map_err(|_| de::Error::custom("expected 32 bytes of hex"))
}

/// A u128 given as a decimal string (the API's rule) or, tolerated, as a JSON number.
fn de_u128<'de, D: Deserializer<'de>>(d: D) -> Result<u128, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum N {
        S(String),
        U(u64),
    }
    match N::deserialize(d)? {
        N::S(s) => s.parse().map_err(de::Error::custom),
        N::U(u) => Ok(u128::from(u)),
    }
}

/// One chain the bridge hosts (`ChainInfo`).
#[derive(Debug, Clone, Deserialize)]
pub struct ChainInfo {
    /// The chain id.
    #[serde(deserialize_with = "de_hex32")]
    pub chain_id: [u8; 32],
    /// Its name.
    pub name: String,
    /// Height of the best tip.
    pub height: u64,
    /// Filter bits of the chain.
    pub filter_bits: u32,
    /// Slot length.
    pub slot_ms: u64,
}

/// One slot's challenge, as the bridge derived it.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct SlotChallenge {
    /// The slot number.
    pub slot: u32,
    /// The challenge.
    #[serde(deserialize_with = "de_hex32")]
    pub challenge: [u8; 32],
}

/// Work for extending a chain's best tip (`Work`).
#[derive(Debug, Clone, Deserialize)]
pub struct Work {
    /// The chain id.
    #[serde(deserialize_with = "de_hex32")]
    pub chain_id: [u8; 32],
    /// The height to produce.
    pub height: u64,
    /// Hash of the parent header.
    #[serde(deserialize_with = "de_hex32")]
    pub parent_hash: [u8; 32],
    /// Parent's timestamp.
    pub parent_timestamp_ms: u64,
    /// The parent's VRF output.
    #[serde(deserialize_with = "de_hex")]
    pub parent_vrf_output: Vec<u8>,
    /// Difficulty for the next block.
    #[serde(deserialize_with = "de_u128")]
    pub difficulty: u128,
    /// Filter bits.
    pub filter_bits: u32,
    /// Slot length.
    pub slot_ms: u64,
    /// The first slots' challenges.
    pub challenges: Vec<SlotChallenge>,
    /// The bridge's clock when it answered.
    pub now_ms: u64,
}

/// The bridge's answer to a header submission.
#[derive(Debug, Clone, Deserialize)]
pub struct SubmitReply {
    /// Whether the header was accepted.
    pub accepted: bool,
    /// Its hash.
    pub hash: String,
    /// Whether it is now the best tip.
    #[serde(default)]
    pub best: bool,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorInner,
}
#[derive(Deserialize)]
struct ErrorInner {
    code: String,
    message: String,
}

#[derive(Deserialize)]
struct Chains {
    chains: Vec<ChainInfo>,
}

/// A client of one bridge.
#[derive(Clone)]
pub struct BridgeClient {
    base: String,
    timeout: Duration,
}

/// Time allowed for a plain (not long-polled) request.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

impl BridgeClient {
    /// A client of the bridge at `base` (e.g. `http://127.0.0.1:8420`).
    #[must_use]
    pub fn new(base: &str) -> Self {
        BridgeClient {
            base: base.trim_end_matches('/').to_string(),
            timeout: REQUEST_TIMEOUT,
        }
    }

    /// The bridge's base URL.
    #[must_use]
    pub fn base(&self) -> &str {
        &self.base
    }

    /// `GET /v1/chains`.
    pub async fn chains(&self) -> Result<Vec<ChainInfo>, BridgeError> {
        let c: Chains = self
            .call("GET", "/v1/chains".into(), None, self.timeout)
            .await?;
        Ok(c.chains)
    }

    /// `GET /v1/chains/{id}/challenge`, long-polling up to `wait` for a new tip.
    pub async fn work(&self, chain_id: &[u8; 32], wait: Duration) -> Result<Work, BridgeError> {
        let wait_ms = wait.as_millis().min(30_000);
        let path = format!(
            "/v1/chains/{}/challenge?wait_ms={wait_ms}",
            hex::encode(chain_id)
        );
        self.call("GET", path, None, self.timeout + wait).await
    }

    /// `POST /v1/chains/{id}/headers` with the header's binary encoding.
    pub async fn submit(
        &self,
        chain_id: &[u8; 32],
        header: &[u8],
    ) -> Result<SubmitReply, BridgeError> {
        let path = format!("/v1/chains/{}/headers", hex::encode(chain_id));
        let body = serde_json::json!({ "header": hex::encode(header) }).to_string();
        self.call("POST", path, Some(body), self.timeout).await
    }

    async fn call<T: for<'de> Deserialize<'de> + Send + 'static>(
        &self,
        method: &'static str,
        path: String,
        body: Option<String>,
        timeout: Duration,
    ) -> Result<T, BridgeError> {
        let url = format!("{}{}", self.base, path);
        let u = url.clone();
        let joined =
            tokio::task::spawn_blocking(move || blocking_call(method, &u, body, timeout)).await;
        let (status, text) = joined.map_err(|e| BridgeError::Unreachable {
            url: url.clone(),
            message: format!("request task failed: {e}"),
        })??;
        if !(200..300).contains(&status) {
            let (code, message) = match serde_json::from_str::<ErrorBody>(&text) {
                Ok(b) => (b.error.code, b.error.message),
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

fn blocking_call(
    method: &str,
    url: &str,
    body: Option<String>,
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
        ("POST", Some(b)) => agent
            .post(url)
            .header("content-type", "application/json")
            .send(b.as_str()),
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
