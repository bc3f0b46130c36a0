//! The outbox's batches as the API's [`AnchorList`] (`GET /v1/anchors`, `masspoc anchors list`):
//! one conversion, used by the bridge's handler and by the command reading a store itself.

use crate::anchor::{BatchRecord, Outbox};
use crate::error::StoreError;
use masspoc_api::{AnchorBatch, AnchorList};

/// One batch as a row.
#[must_use]
pub fn anchor_batch(b: &BatchRecord) -> AnchorBatch {
    let state = serde_json::to_value(b.state)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    AnchorBatch::new(
        b.seq,
        state,
        b.items.len() as u64,
        b.root.clone(),
        b.tx.as_ref().map(|t| t.txid.clone()),
        b.block.as_ref().map(|x| {
            (
                x.hash.clone(),
                x.height,
                i64::try_from(x.confirmations).unwrap_or(i64::MAX),
            )
        }),
    )
}

/// Every batch of the outbox and its pending count.
pub fn anchor_list(outbox: &Outbox) -> Result<AnchorList, StoreError> {
    let batches = outbox.batches()?.iter().map(anchor_batch).collect();
    Ok(AnchorList::new(outbox.pending_len()?, batches))
}
