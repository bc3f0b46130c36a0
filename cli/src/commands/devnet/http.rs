//! The few bridge HTTP calls the devnet makes (`docs/bridge-api.md`), blocking, in the API's
//! own types (`masspoc-api`).

use anyhow::Context;
use masspoc_api::routes::{self, MAX_HEADERS_LIMIT};
use masspoc_api::{ChainInfo, ChainList, EvidenceList, EvidenceRow, HeaderList, Health};
use masspoc_verifier::{ChainId, Header, Height};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::time::Duration;

/// A blocking client of one bridge.
pub struct Bridge {
    base: String,
    agent: ureq::Agent,
}

impl Bridge {
    /// A client of `base` (e.g. `http://127.0.0.1:8420`).
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
        anyhow::ensure!(status == 200, "GET {url}: HTTP {status}: {text}");
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

    /// Known slashing evidence.
    pub fn evidence(&self) -> anyhow::Result<Vec<EvidenceRow>> {
        Ok(self.get::<EvidenceList>(routes::EVIDENCE)?.evidence)
    }
}
