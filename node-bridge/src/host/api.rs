//! JSON shapes of the chain host's API (`docs/bridge-api.md`).

use masspoc_verifier::ChainState;
use serde::{Deserialize, Serialize};

/// `ChainInfo`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainInfo {
    /// Chain id (hex).
    pub chain_id: String,
    /// Its name.
    pub name: String,
    /// Best height.
    pub height: u64,
    /// Best tip (hex).
    pub tip_hash: String,
    /// Difficulty a header extending the tip must carry.
    pub difficulty: u64,
    /// Challenge filter bits.
    pub filter_bits: u8,
    /// Target interval.
    pub target_interval_ms: u64,
    /// Slot delay.
    pub slot_ms: u64,
}

impl ChainInfo {
    /// The summary of a chain state.
    pub fn of(state: &ChainState) -> Self {
        let spec = state.spec();
        let best = state.best();
        ChainInfo {
            chain_id: hex::encode(spec.chain_id.as_bytes()),
            name: spec.params.name.clone(),
            height: best.height.0,
            tip_hash: best.hash.to_hex(),
            difficulty: state.next_difficulty(&best.hash).unwrap_or(best.difficulty),
            filter_bits: spec.params.filter_bits,
            target_interval_ms: spec.params.target_interval_ms,
            slot_ms: spec.params.slot_ms,
        }
    }
}

/// Reply to a header submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmitReply {
    /// Always true (refusals are errors).
    pub accepted: bool,
    /// The header's hash (hex).
    pub hash: String,
    /// Whether it is the best tip now.
    pub best: bool,
}

/// Reply to an evidence submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceReply {
    /// Always true (refusals are errors).
    pub accepted: bool,
    /// The evidence id (hex).
    pub hash: String,
    /// False when it was known already.
    pub new: bool,
}

/// One piece of evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceRow {
    /// Evidence id (hex).
    pub hash: String,
    /// Its encoding (hex).
    pub evidence: String,
    /// True once its anchor is final.
    pub anchored: bool,
}

/// Health.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// "ok".
    pub status: String,
    /// The followed PoW height (0 before the first sync).
    pub pow_height: u64,
    /// The followed PoW tip (display hex; empty before the first sync).
    pub pow_best: String,
    /// Hosted chains.
    pub chains: usize,
}
