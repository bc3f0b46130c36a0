//! The few bridge HTTP calls the devnet makes (`docs/bridge-api.md`), blocking.

use anyhow::Context;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::time::Duration;

/// A blocking client of one bridge.
pub struct Bridge {
    base: String,
    agent: ureq::Agent,
}

/// `GET /v1/chains` entry.
#[derive(Debug, Clone, Deserialize)]
pub struct ChainInfo {
    /// Hex chain id.
    pub chain_id: String,
    /// Chain name.
    pub name: String,
    /// Best height.
    pub height: u64,
}

/// `GET /v1/evidence` entry.
#[derive(Debug, Clone, Deserialize)]
pub struct EvidenceInfo {
    /// Hex evidence hash.
    pub hash: String,
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
    pub fn post(&self, path: &str, body: &serde_json::Value) -> anyhow::Result<(u16, String)> {
        let url = format!("{}{path}", self.base);
        let mut resp = self
            .agent
            .post(&url)
            .header("content-type", "application/json")
            .send(body.to_string())
            .with_context(|| format!("POST {url}"))?;
        let status = resp.status().as_u16();
        Ok((status, resp.body_mut().read_to_string()?))
    }

    /// Whether `/v1/health` answers.
    pub fn healthy(&self) -> bool {
        self.get::<serde_json::Value>("/v1/health").is_ok()
    }

    /// The hosted chains.
    pub fn chains(&self) -> anyhow::Result<Vec<ChainInfo>> {
        #[derive(Deserialize)]
        struct Chains {
            chains: Vec<ChainInfo>,
        }
        Ok(self.get::<Chains>("/v1/chains")?.chains)
    }

    /// Hex headers of the best chain from height `from` (at most 1000).
    pub fn headers(&self, chain_id: &str, from: u64) -> anyhow::Result<Vec<String>> {
        #[derive(Deserialize)]
        struct Headers {
            headers: Vec<String>,
        }
        let path = format!("/v1/chains/{chain_id}/headers?from={from}&limit=1000");
        Ok(self.get::<Headers>(&path)?.headers)
    }

    /// Known slashing evidence.
    pub fn evidence(&self) -> anyhow::Result<Vec<EvidenceInfo>> {
        #[derive(Deserialize)]
        struct Evidence {
            evidence: Vec<EvidenceInfo>,
        }
        Ok(self.get::<Evidence>("/v1/evidence")?.evidence)
    }
}
