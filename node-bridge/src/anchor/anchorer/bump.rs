//! Fee bumps: replace-by-fee on the same inputs for a transaction blocks keep leaving out, and
//! what happens when the node refuses replacements.

use super::{parse_txid, Anchorer};
use crate::anchor::budget::Spend;
use crate::anchor::outbox::{BatchRecord, BatchState, SignedTx};
use crate::anchor::refusal::Refusal;
use crate::anchor::status::Hold;
use crate::anchor::wallet;
use crate::error::AnchorError;

impl Anchorer {
    /// Replaces a transaction that blocks keep leaving out by one paying more on the same
    /// inputs (recorded before it is sent, its fee increase in the budget's ledger); the old
    /// txid stays watched in `replaced_txids`.
    pub(super) fn bump(
        &mut self,
        batch: &mut BatchRecord,
        tx: &SignedTx,
        now: u64,
        tip: u64,
    ) -> Result<(), AnchorError> {
        let Some(old_fee) = tx.fee.filter(|_| !self.rbf_refused) else {
            return Ok(());
        };
        let delta = wallet::min_bump(&self.rpc, &tx.hex, old_fee)?;
        if let Err(e) = self
            .config
            .budget
            .check(&self.outbox.spends(now)?, now, delta)
        {
            self.hold = Some(Hold::Budget(e));
            return Ok(());
        }
        let payload = batch
            .payload()
            .ok_or_else(|| AnchorError::Invalid(format!("batch {} has a bad root", batch.seq)))?;
        let data = hex::encode(payload.encode());
        let Some(new) = wallet::bump(&self.rpc, &self.wallet, tx, &data, old_fee, delta)? else {
            tracing::warn!(seq = batch.seq, txid = %tx.txid, "anchor tx unmined but its change is too small to pay a fee bump; waiting");
            return Ok(());
        };
        tracing::info!(seq = batch.seq, old = %tx.txid, new = %new.txid, fee_litoshi = old_fee + delta, "anchor unmined for {} blocks; fee bump (replace-by-fee, same inputs)", self.config.bump_after_blocks);
        let spend = Spend {
            at_ms: now,
            litoshi: delta,
        };
        batch.replaced_txids.push(tx.txid.clone());
        batch.tx = Some(new.clone());
        batch.state = BatchState::Signed;
        self.outbox.update_with_spend(batch, Some(spend))?;
        let new_id = parse_txid(batch.seq, &new.txid)?;
        match self.rpc.send_raw_transaction(&new.hex, &new_id) {
            Ok(_) => {
                batch.broadcasts += 1;
                batch.state = BatchState::Broadcast;
                if let Some(t) = batch.tx.as_mut() {
                    t.sent_height = Some(tip);
                }
                self.outbox.update(batch)?;
                Ok(())
            }
            Err(e) if Refusal::of(&e) == Some(Refusal::MempoolConflict) => {
                // The node keeps the original (Litecoin Core replaces nothing unless started
                // with -mempoolreplacement=1): the bump never reached a mempool, so it is
                // forgotten and the original waits for a block at its fee.
                if !self.rbf_refused {
                    tracing::warn!(seq = batch.seq, txid = %tx.txid, error = %masspoc_report::Report(&e), "the node refuses fee bumps (replace-by-fee is off unless litecoind runs with -mempoolreplacement=1); anchors wait for a block at their first fee");
                }
                self.rbf_refused = true;
                batch.replaced_txids.pop();
                batch.tx = Some(tx.clone());
                batch.state = BatchState::Broadcast;
                self.outbox.update_reverting_spend(batch, spend)?;
                Ok(())
            }
            // Anything else: the bump stays recorded as `signed` and is sent again next pass.
            Err(e) => Err(e.into()),
        }
    }
}
