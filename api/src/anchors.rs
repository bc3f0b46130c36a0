//! `GET /v1/anchors`: the anchoring outbox's batches, as `masspoc anchors list` shows them, so
//! the list can be read beside a running bridge (which holds its stores open).

use serde::{Deserialize, Serialize};

/// One anchor batch (`AnchorBatch`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AnchorBatch {
    /// The batch's sequence number.
    pub seq: u64,
    /// `sealed`, `broadcast`, `confirmed` or `final`.
    pub state: String,
    /// How many items it holds.
    pub items: u64,
    /// The batch's Merkle root, 64 hex digits.
    pub root: String,
    /// The transaction carrying it, once signed (display hex).
    pub txid: Option<String>,
    /// The block holding that transaction, once mined (display hex).
    pub block_hash: Option<String>,
    /// That block's height.
    pub block_height: Option<u64>,
    /// Confirmations of that block at the bridge's last pass (-1: it left the best chain).
    pub confirmations: Option<i64>,
}

impl AnchorBatch {
    /// A batch row; `tx`, `block` are `None` until it is signed and mined.
    #[must_use]
    pub fn new(
        seq: u64,
        state: String,
        items: u64,
        root: String,
        txid: Option<String>,
        block: Option<(String, u64, i64)>,
    ) -> Self {
        let (block_hash, block_height, confirmations) = match block {
            Some((h, height, c)) => (Some(h), Some(height), Some(c)),
            None => (None, None, None),
        };
        AnchorBatch {
            seq,
            state,
            items,
            root,
            txid,
            block_hash,
            block_height,
            confirmations,
        }
    }
}

/// `{"pending_items": n, "batches": [AnchorBatch, …]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AnchorList {
    /// Items queued but not in a batch yet.
    pub pending_items: u64,
    /// Every batch, by ascending `seq`.
    pub batches: Vec<AnchorBatch>,
}

impl AnchorList {
    /// A list of these batches.
    #[must_use]
    pub fn new(pending_items: u64, batches: Vec<AnchorBatch>) -> Self {
        AnchorList {
            pending_items,
            batches,
        }
    }
}
