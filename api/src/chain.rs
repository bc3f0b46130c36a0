//! `GET /v1/chains`: the hosted chains.

use masspoc_verifier::{ChainId, ChainState, HeaderHash, Height};
use serde::{Deserialize, Serialize};

/// One hosted chain instance and its best tip (`ChainInfo`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ChainInfo {
    /// The chain id.
    pub chain_id: ChainId,
    /// Its name (from its parameters).
    pub name: String,
    /// Height of the best tip.
    pub height: Height,
    /// Hash of the best tip.
    pub tip_hash: HeaderHash,
    /// The best chain's weight: the sum of its difficulties (a decimal string).
    #[serde(with = "crate::u128_string")]
    pub cumulative_difficulty: u128,
    /// The difficulty a header extending the tip must carry.
    pub difficulty: u64,
    /// Challenge filter bits (0 to 32).
    pub filter_bits: masspoc_proof::FilterBits,
    /// Probe window bits (0 to 16; 0 when a bridge omits it).
    #[serde(default)]
    pub probe_bits: masspoc_proof::ProbeBits,
    /// Target mean block interval, ms.
    pub target_interval_ms: u64,
    /// Extra delay per slot, ms.
    pub slot_ms: u64,
    /// Height of the final block (`docs/protocol.md` §14; 0 when nothing is final yet, or from
    /// a bridge that predates finality).
    #[serde(default)]
    pub final_height: Height,
    /// Hash of the final block (genesis when nothing is final yet; absent from a bridge that
    /// predates finality).
    #[serde(default)]
    pub final_hash: Option<HeaderHash>,
    /// The PoW tip height the final block was derived at (the node's verified PoW chain as fed
    /// to the rule; absent before any PoW tip was fed, or from a bridge that predates it). A
    /// light verifier derives at this height to compare like with like.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub final_pow_height: Option<u64>,
}

impl ChainInfo {
    /// The summary of a chain state's best tip.
    #[must_use]
    pub fn of(state: &ChainState) -> Self {
        let params = &state.spec().params;
        let best = state.best();
        ChainInfo {
            chain_id: state.spec().chain_id,
            name: params.name.clone(),
            height: best.height,
            tip_hash: best.hash,
            cumulative_difficulty: best.cumulative,
            difficulty: state.next_difficulty(&best.hash).unwrap_or(best.difficulty),
            filter_bits: params.filter_bits,
            probe_bits: params.probe_bits,
            target_interval_ms: params.target_interval_ms,
            slot_ms: params.slot_ms,
            final_height: state.final_block().height,
            final_hash: Some(state.final_block().hash),
            final_pow_height: state.finality().pow_tip(),
        }
    }
}

/// `{"chains": [ChainInfo, …]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ChainList {
    /// The hosted chains, by ascending chain id.
    pub chains: Vec<ChainInfo>,
}

impl ChainList {
    /// A list of these chains.
    #[must_use]
    pub fn new(chains: Vec<ChainInfo>) -> Self {
        ChainList { chains }
    }
}
