//! Following sent transactions: the current one and every one it replaced (one that is mined
//! settles the batch), confirmations up to final, and re-sending one the node dropped.

use super::{parse_txid, Anchorer};
use crate::anchor::outbox::{BatchRecord, BatchState, BlockRef, SignedTx};
use crate::error::AnchorError;
use crate::pow::Hash256;
use serde_json::{json, Value};

impl Anchorer {
    /// Looks the batch's transactions up: the current one, then those it replaced (a fee bump's
    /// original may be the one mined, and is then adopted). Updates the batch and returns true
    /// when the node has the current one, or a replaced one in a block.
    pub(super) fn observe(
        &mut self,
        batch: &mut BatchRecord,
        txid: &Hash256,
    ) -> Result<bool, AnchorError> {
        if let Some(info) = self.lookup(txid)? {
            if self.mined(batch, &info)? {
                return Ok(true);
            }
        }
        match self
            .rpc
            .call_value("getmempoolentry", json!([txid.to_string()]))
        {
            Ok(_) => {
                if batch.state != BatchState::Broadcast || batch.block.is_some() {
                    batch.state = BatchState::Broadcast;
                    batch.block = None;
                    self.outbox.update(batch)?;
                }
                return Ok(true);
            }
            Err(e) if e.node_code() == Some(-5) => {}
            Err(e) => return Err(e.into()),
        }
        for old in batch.replaced_txids.clone().iter().rev() {
            let old_id = parse_txid(batch.seq, old)?;
            let Some(info) = self.lookup(&old_id)? else {
                continue;
            };
            if info
                .get("confirmations")
                .and_then(Value::as_u64)
                .unwrap_or(0)
                == 0
            {
                continue;
            }
            let Some(hex) = info.get("hex").and_then(Value::as_str) else {
                continue;
            };
            tracing::info!(seq = batch.seq, mined = %old, replaced = %txid, "an earlier transaction of this batch was mined; following it");
            let current = batch.tx.take();
            batch.replaced_txids.retain(|t| t != old);
            if let Some(c) = current.as_ref() {
                batch.replaced_txids.push(c.txid.clone());
            }
            batch.tx = Some(SignedTx {
                txid: old.clone(),
                hex: hex.to_string(),
                fee: None,
                sent_height: current.and_then(|c| c.sent_height),
            });
            if self.mined(batch, &info)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The wallet's (else the node's) record of a transaction.
    pub(super) fn lookup(&self, txid: &Hash256) -> Result<Option<Value>, AnchorError> {
        // The wallet knows its own transactions without -txindex; the node-wide lookup covers a
        // wallet that lost the record in a crash (it needs -txindex for mined transactions).
        match self
            .wallet
            .call_value("gettransaction", json!([txid.to_string()]))
        {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.node_code() == Some(-5) => Ok(self.rpc.raw_transaction(txid, None)?),
            Err(e) => Err(e.into()),
        }
    }

    /// Records where `info` (a transaction record) is mined; false when it is not in a block.
    pub(super) fn mined(
        &mut self,
        batch: &mut BatchRecord,
        info: &Value,
    ) -> Result<bool, AnchorError> {
        let confirmations = info
            .get("confirmations")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        let block = info.get("blockhash").and_then(Value::as_str);
        let (true, Some(block)) = (confirmations > 0, block) else {
            return Ok(false);
        };
        let hash = Hash256::from_display_hex(block)
            .map_err(|e| AnchorError::Invalid(format!("getrawtransaction: {e}")))?;
        let header = self.rpc.header_info(&hash)?;
        batch.block = Some(BlockRef {
            hash: block.to_string(),
            height: header.height,
            confirmations,
        });
        batch.state = if confirmations >= self.config.confirmations {
            BatchState::Final
        } else {
            BatchState::Confirmed
        };
        self.outbox.update(batch)?;
        Ok(true)
    }

    pub(super) fn track(
        &mut self,
        batch: &mut BatchRecord,
        now: u64,
        tip: u64,
    ) -> Result<(), AnchorError> {
        let Some(tx) = batch.tx.clone() else {
            batch.state = BatchState::Sealed;
            return self.outbox.update(batch).map_err(Into::into);
        };
        let txid = parse_txid(batch.seq, &tx.txid)?;
        if self.observe(batch, &txid)? {
            let waited = tx.sent_height.map(|h| tip.saturating_sub(h));
            let due = self.config.bump_after_blocks;
            if batch.state == BatchState::Broadcast && due > 0 && waited.is_some_and(|w| w >= due) {
                self.bump(batch, &tx, now, tip)?;
            }
            return Ok(());
        }
        // Neither mined on the best chain nor in the mempool: dropped. Send it again.
        tracing::warn!(seq = batch.seq, txid = %txid, "anchor dropped by the node; re-sending");
        batch.state = BatchState::Signed;
        batch.block = None;
        self.outbox.update(batch)?;
        self.send(batch, now, tip)
    }
}
