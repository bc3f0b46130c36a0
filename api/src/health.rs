//! `GET /v1/health`.

use serde::{Deserialize, Serialize};

/// The bridge's health: `{"status": "ok", "pow_height", "pow_best", "chains"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Health {
    /// `"ok"`.
    pub status: String,
    /// Height of the followed proof-of-work tip (0 before the first sync).
    pub pow_height: u64,
    /// The followed proof-of-work tip, display hex as the node's RPC shows it (empty before the
    /// first sync).
    pub pow_best: String,
    /// How many chains the bridge hosts.
    pub chains: u64,
}

impl Health {
    /// A healthy bridge at this proof-of-work tip, hosting `chains` chains.
    #[must_use]
    pub fn ok(pow_height: u64, pow_best: String, chains: u64) -> Self {
        Health {
            status: "ok".into(),
            pow_height,
            pow_best,
            chains,
        }
    }
}
