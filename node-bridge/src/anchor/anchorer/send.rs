//! Funding, signing and sending a batch's transaction, and replacing one whose inputs are really
//! gone (`docs/anchoring.md`; the node's refusals are read by [`crate::anchor::refusal`]).

use super::{parse_txid, Anchorer, CrashPoint};
use crate::anchor::budget::Spend;
use crate::anchor::outbox::{BatchRecord, BatchState};
use crate::anchor::refusal::Refusal;
use crate::anchor::status::Hold;
use crate::anchor::wallet;
use crate::error::AnchorError;

impl Anchorer {
    pub(super) fn sign_and_send(
        &mut self,
        batch: &mut BatchRecord,
        now: u64,
        tip: u64,
    ) -> Result<(), AnchorError> {
        if !self.sign(batch, now)? {
            return Ok(());
        }
        self.unconfirmed += 1;
        self.crash(CrashPoint::AfterSign)?;
        self.send(batch, now, tip)
    }

    pub(super) fn advance_sent(
        &mut self,
        batch: &mut BatchRecord,
        now: u64,
        tip: u64,
    ) -> Result<(), AnchorError> {
        if batch.state == BatchState::Signed {
            self.send(batch, now, tip)?;
        }
        if matches!(batch.state, BatchState::Broadcast | BatchState::Confirmed) {
            self.track(batch, now, tip)?;
        }
        Ok(())
    }

    /// Funds, signs and records a new transaction for `batch` (state `signed`), its fee in the
    /// budget's ledger in the same commit. `false` (nothing recorded, inputs unlocked) when the
    /// fee does not fit the budget.
    pub(super) fn sign(&mut self, batch: &mut BatchRecord, now: u64) -> Result<bool, AnchorError> {
        let payload = batch
            .payload()
            .ok_or_else(|| AnchorError::Invalid(format!("batch {} has a bad root", batch.seq)))?;
        let data = hex::encode(payload.encode());
        let built = wallet::fund_and_sign(&self.rpc, &self.wallet, &data)?;
        let fee = built.tx.fee.unwrap_or(0);
        if let Err(e) = self
            .config
            .budget
            .check(&self.outbox.spends(now)?, now, fee)
        {
            wallet::unlock(&self.wallet, &built.inputs);
            self.hold = Some(Hold::Budget(e));
            return Ok(false);
        }
        if let Some(old) = batch.tx.take() {
            batch.replaced_txids.push(old.txid);
        }
        let txid = built.tx.txid.clone();
        batch.tx = Some(built.tx);
        batch.state = BatchState::Signed;
        self.outbox.update_with_spend(
            batch,
            Some(Spend {
                at_ms: now,
                litoshi: fee,
            }),
        )?;
        tracing::info!(seq = batch.seq, txid = %txid, fee_litoshi = fee, "anchor signed");
        Ok(true)
    }

    pub(super) fn send(
        &mut self,
        batch: &mut BatchRecord,
        now: u64,
        tip: u64,
    ) -> Result<(), AnchorError> {
        // At most one replacement per pass: a node that refuses a freshly funded tx too is
        // reported, not fed an endless stream of new transactions.
        for attempt in 0..2 {
            let Some(tx) = batch.tx.clone() else {
                if !self.sign(batch, now)? {
                    return Ok(());
                }
                continue;
            };
            let txid = parse_txid(batch.seq, &tx.txid)?;
            // Already known (sent before a crash, or mined)? Then never send it again.
            if self.observe(batch, &txid)? {
                return Ok(());
            }
            match self.rpc.send_raw_transaction(&tx.hex, &txid) {
                Ok(_) => {
                    batch.broadcasts += 1;
                    self.crash(CrashPoint::AfterBroadcast)?;
                    batch.state = BatchState::Broadcast;
                    if let Some(t) = batch.tx.as_mut() {
                        t.sent_height.get_or_insert(tip);
                    }
                    self.outbox.update(batch)?;
                    tracing::info!(seq = batch.seq, txid = %txid, "anchor sent");
                    return Ok(());
                }
                Err(e) => match Refusal::of(&e) {
                    Some(Refusal::InputsGone) if attempt == 0 => {
                        // Its inputs are spent by a mined transaction or do not exist on this
                        // chain: this tx can no longer confirm here, so a new one is safe.
                        tracing::warn!(seq = batch.seq, txid = %txid, error = %masspoc_report::Report(&e), "anchor tx can no longer confirm (its inputs are spent or missing); replacing it");
                        if let Ok(inputs) = wallet::inputs(&self.rpc, &tx.hex) {
                            wallet::unlock(&self.wallet, &inputs);
                        }
                        if !self.sign(batch, now)? {
                            return Ok(());
                        }
                    }
                    Some(Refusal::MempoolChainTooLong) => {
                        self.hold = Some(Hold::MempoolChain {
                            unconfirmed: self.unconfirmed,
                        });
                        return Ok(());
                    }
                    Some(r) if r.is_wait() => {
                        tracing::warn!(seq = batch.seq, txid = %txid, refusal = ?r, error = %masspoc_report::Report(&e), "anchor tx not taken now; the same bytes are sent again later");
                        return Ok(());
                    }
                    _ => return Err(e.into()),
                },
            }
        }
        Err(AnchorError::Invalid(format!(
            "batch {}: the node refused its replacement transaction too",
            batch.seq
        )))
    }
}
