//! `GET /v1/health`.

use masspoc_verifier::{ChainId, HeaderHash, Height};
use serde::{Deserialize, Serialize};

/// The bridge's health: `{"status": "ok", "pow_height", "pow_best", "chains"}`, and with an
/// anchorer running, `anchoring` ([`AnchoringHealth`]).
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
    /// The anchorer after its last pass (absent before it and on bridges that do not anchor).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anchoring: Option<AnchoringHealth>,
    /// Each hosted chain's final block (`docs/protocol.md` §14), by ascending chain id (empty
    /// from a bridge that predates finality).
    #[serde(default)]
    pub finality: Vec<ChainFinality>,
}

/// One hosted chain's final block, as `GET /v1/health` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ChainFinality {
    /// The chain id.
    pub chain_id: ChainId,
    /// Its name.
    pub name: String,
    /// Height of the final block; `null` while nothing above genesis is final.
    pub final_height: Option<Height>,
    /// Hash of the final block; `null` while nothing above genesis is final.
    pub final_hash: Option<HeaderHash>,
}

impl ChainFinality {
    /// A chain's final block (`None`: nothing above genesis is final).
    #[must_use]
    pub fn new(chain_id: ChainId, name: String, final_block: Option<(Height, HeaderHash)>) -> Self {
        ChainFinality {
            chain_id,
            name,
            final_height: final_block.map(|(h, _)| h),
            final_hash: final_block.map(|(_, h)| h),
        }
    }

    /// The final block of a chain summary (`null`s while only genesis is final).
    #[must_use]
    pub fn of(info: &crate::ChainInfo) -> Self {
        let final_block = info
            .final_hash
            .filter(|_| info.final_height.0 > 0)
            .map(|h| (info.final_height, h));
        ChainFinality::new(info.chain_id, info.name.clone(), final_block)
    }
}

/// What the anchorer is doing (`docs/anchoring.md`, "When anchors go out").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AnchoringHealth {
    /// `"ok"`, or why no new anchor transaction goes out: `"waiting_for_blocks"`,
    /// `"mempool_chain"`, `"budget_hour"`, `"budget_day"`.
    pub state: String,
    /// The sentence the bridge logs about it, e.g. "10 anchors waiting for a block; is anybody
    /// mining? …" (absent when `state` is `"ok"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// When the hold ends by itself (unix ms; a used-up fee budget).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until_ms: Option<u64>,
    /// Items queued for a batch (nothing is dropped while held).
    pub queued_items: u64,
    /// Anchor transactions sent and not yet in a block.
    pub unconfirmed: u64,
    /// Fees paid in the last hour and day (litoshi), and the budgets.
    pub fee_spent_hour: u64,
    /// See `fee_spent_hour`.
    pub fee_spent_day: u64,
    /// The hourly budget (litoshi).
    pub fee_budget_per_hour: u64,
    /// The daily budget (litoshi).
    pub fee_budget_per_day: u64,
}

impl AnchoringHealth {
    /// An anchorer's state (`"ok"` or a hold reason) with its counters.
    #[must_use]
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        state: String,
        message: Option<String>,
        until_ms: Option<u64>,
        queued_items: u64,
        unconfirmed: u64,
        spent: (u64, u64),
        budget: (u64, u64),
    ) -> Self {
        AnchoringHealth {
            state,
            message,
            until_ms,
            queued_items,
            unconfirmed,
            fee_spent_hour: spent.0,
            fee_spent_day: spent.1,
            fee_budget_per_hour: budget.0,
            fee_budget_per_day: budget.1,
        }
    }
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
            anchoring: None,
            finality: Vec::new(),
        }
    }

    /// With the hosted chains' final blocks.
    #[must_use]
    pub fn with_finality(mut self, finality: Vec<ChainFinality>) -> Self {
        self.finality = finality;
        self
    }

    /// With the anchorer's state.
    #[must_use]
    pub fn with_anchoring(mut self, anchoring: AnchoringHealth) -> Self {
        self.anchoring = Some(anchoring);
        self
    }
}
