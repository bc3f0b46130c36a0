//! The bridge HTTP calls the command line makes (`docs/bridge-api.md`): the devnet, `anchors
//! list` beside a running bridge, `verify-chain URL`. Blocking, in the API's own types
//! (`masspoc-api`); a non-2xx answer becomes [`BridgeRefused`] with the bridge's error code.

use anyhow::Context;
use masspoc_api::routes::{self, MAX_HEADERS_LIMIT};
use masspoc_api::{
    AnchorList, ChainInfo, ChainList, ErrorBody, EvidenceList, EvidenceRow, HeaderList, Health,
};
use masspoc_node_bridge::anchor::AnchorProof;
use masspoc_verifier::{Block, ChainId, Header, Height};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::time::Duration;

/// A bridge answered a request with an error.
#[derive(Debug)]
pub struct BridgeRefused {
    /// The URL requested.
    pub url: String,
    /// The HTTP status.
    pub status: u16,
    /// The error code of the answer (`unknown_chain`, `not_anchoring`, …).
    pub code: String,
    /// The bridge's message.
    pub message: String,
}

impl std::fmt::Display for BridgeRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let BridgeRefused {
            url,
            status,
            code,
            message,
        } = self;
        write!(f, "GET {url}: HTTP {status} {code}: {message}")
    }
}

impl std::error::Error for BridgeRefused {}

/// A blocking client of one bridge.
pub struct Bridge {
    base: String,
    agent: ureq::Agent,
}

impl Bridge {
    /// A client of `base` (e.g. `http://127.0.0.1:8737`).
    pub fn new(base: &str) -> Bridge {
        let agent = ureq::Agent::new_with_config(
            ureq::Agent::config_builder()
                .http_status_as_error(false)
                .timeout_global(Some(Duration::from_secs(10)))
                .build(),
        );
        Bridge {
            base: base.trim_end_matches('/').to_string(),
            agent,
        }
    }

    /// The base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    fn get<T: DeserializeOwned>(&self, path: &str) -> anyhow::Result<T> {
        let url = format!("{}{path}", self.base);
        let mut resp = self
            .agent
            .get(&url)
            .call()
            .with_context(|| format!("GET {url}"))?;
        let status = resp.status().as_u16();
        let text = resp.body_mut().read_to_string()?;
        if status != 200 {
            let (code, message) = match serde_json::from_str::<ErrorBody>(&text) {
                Ok(b) => (b.error.code, b.error.message),
                Err(_) => ("http_error".into(), text.chars().take(200).collect()),
            };
            return Err(BridgeRefused {
                url,
                status,
                code,
                message,
            }
            .into());
        }
        serde_json::from_str(&text).with_context(|| format!("GET {url}: unexpected reply"))
    }

    /// `POST` a JSON body; returns the status and the reply text.
    pub fn post<T: Serialize>(&self, path: &str, body: &T) -> anyhow::Result<(u16, String)> {
        let url = format!("{}{path}", self.base);
        let mut resp = self
            .agent
            .post(&url)
            .header("content-type", "application/json")
            .send(serde_json::to_string(body)?)
            .with_context(|| format!("POST {url}"))?;
        let status = resp.status().as_u16();
        Ok((status, resp.body_mut().read_to_string()?))
    }

    /// Whether `/v1/health` answers.
    pub fn healthy(&self) -> bool {
        self.get::<Health>(routes::HEALTH).is_ok()
    }

    /// The hosted chains.
    pub fn chains(&self) -> anyhow::Result<Vec<ChainInfo>> {
        Ok(self.get::<ChainList>(routes::CHAINS)?.chains)
    }

    /// Headers of the best chain from height `from` (at most 1000).
    pub fn headers(&self, chain_id: &ChainId, from: u64) -> anyhow::Result<Vec<Header>> {
        let path = routes::headers_page(chain_id, Height(from), MAX_HEADERS_LIMIT);
        self.get::<HeaderList>(&path)?
            .decode()
            .map_err(|(i, e)| anyhow::anyhow!("header {i} of {path}: {e}"))
    }

    /// Blocks (headers and bodies) of the best chain from height `from` (at most 1000).
    pub fn blocks(&self, chain_id: &ChainId, from: u64) -> anyhow::Result<Vec<Block>> {
        let path = routes::headers_page(chain_id, Height(from), MAX_HEADERS_LIMIT);
        self.get::<HeaderList>(&path)?
            .decode_blocks()
            .map_err(|(i, e)| anyhow::anyhow!("block {i} of {path}: {e}"))
    }

    /// The anchoring outbox's batches.
    pub fn anchors(&self) -> anyhow::Result<AnchorList> {
        self.get::<AnchorList>(routes::ANCHORS)
    }

    /// The anchor inclusion proof of an item (`kind`: `header` or `evidence`, or either).
    pub fn anchor_proof(&self, item_hex: &str, kind: Option<&str>) -> anyhow::Result<AnchorProof> {
        self.get(&routes::anchor_proof(item_hex, kind))
    }

    /// Known slashing evidence.
    pub fn evidence(&self) -> anyhow::Result<Vec<EvidenceRow>> {
        Ok(self.get::<EvidenceList>(routes::EVIDENCE)?.evidence)
    }
}
