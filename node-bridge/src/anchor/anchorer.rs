//! Drives outbox batches into the chain and tracks them to the required depth.
//!
//! Per batch (state in the outbox, each change committed before the next node call):
//! - `sealed` → build `OP_RETURN` tx (createrawtransaction → fundrawtransaction →
//!   signrawtransactionwithwallet), record it as `signed`;
//! - `signed` → if the node already knows the txid (chain or mempool) adopt that; otherwise
//!   `sendrawtransaction` the recorded bytes (the same txid every time, so a repeat can never
//!   anchor twice); if the node refuses it because its inputs are gone, build a replacement;
//! - `broadcast`/`confirmed` → watch confirmations; a tx that left both the chain and the
//!   mempool (node restart, reorganisation) goes back to `signed` and is sent again;
//! - `final` once it has the required confirmations.

use super::outbox::{BatchRecord, BatchState, BlockRef, Outbox, SignedTx};
use crate::error::{AnchorError, RpcError};
use crate::pow::Hash256;
use crate::rpc::RpcClient;
use serde_json::{json, Value};
use std::sync::Arc;

/// Where a test makes the anchorer stop as if it had crashed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrashPoint {
    /// After the signed transaction is recorded, before it is sent.
    AfterSign,
    /// After the node accepted the transaction, before that is recorded.
    AfterBroadcast,
}

/// Anchoring settings.
#[derive(Debug, Clone)]
pub struct AnchorConfig {
    /// Confirmations after which a batch is final.
    pub confirmations: u64,
    /// Largest batch.
    pub max_batch: usize,
}

impl Default for AnchorConfig {
    fn default() -> Self {
        AnchorConfig {
            confirmations: crate::confirmations::default_confirmations(),
            max_batch: 4096,
        }
    }
}

/// Moves batches forward; owns the outbox and a wallet client.
#[derive(Debug)]
pub struct Anchorer {
    /// The outbox (shared with whoever queues items, e.g. the chain host).
    pub outbox: Arc<Outbox>,
    rpc: RpcClient,
    wallet: RpcClient,
    config: AnchorConfig,
    crash_at: Option<CrashPoint>,
}

/// Node error codes meaning "this transaction's inputs are spent or missing".
fn inputs_gone(e: &RpcError) -> bool {
    matches!(e.node_code(), Some(-25) | Some(-26))
}

impl Anchorer {
    /// An anchorer over `outbox`; `wallet` is a client routed to the paying wallet.
    pub fn new(outbox: Outbox, rpc: RpcClient, wallet: RpcClient, config: AnchorConfig) -> Self {
        Self::shared(Arc::new(outbox), rpc, wallet, config)
    }

    /// An anchorer over an outbox shared with other users.
    pub fn shared(
        outbox: Arc<Outbox>,
        rpc: RpcClient,
        wallet: RpcClient,
        config: AnchorConfig,
    ) -> Self {
        Anchorer {
            outbox,
            rpc,
            wallet,
            config,
            crash_at: None,
        }
    }

    /// Makes the next pass stop at `point` with [`AnchorError::CrashPoint`] (tests).
    pub fn crash_at(&mut self, point: Option<CrashPoint>) {
        self.crash_at = point;
    }

    fn crash(&mut self, point: CrashPoint) -> Result<(), AnchorError> {
        if self.crash_at == Some(point) {
            self.crash_at = None;
            return Err(AnchorError::CrashPoint(point));
        }
        Ok(())
    }

    /// Seals pending items into batches, then moves every unfinished batch one step or more.
    /// Returns the batches that were open at the start of the pass, as they are after it.
    pub fn tick(&mut self) -> Result<Vec<BatchRecord>, AnchorError> {
        while self.outbox.seal(self.config.max_batch)?.is_some() {}
        let open = self.outbox.open_batches()?;
        let seqs: Vec<u64> = open.iter().map(|b| b.seq).collect();
        for mut batch in open {
            self.advance(&mut batch)?;
        }
        let mut out = Vec::with_capacity(seqs.len());
        for seq in seqs {
            out.extend(self.outbox.batch(seq)?);
        }
        Ok(out)
    }

    fn advance(&mut self, batch: &mut BatchRecord) -> Result<(), AnchorError> {
        if batch.state == BatchState::Sealed {
            self.sign(batch)?;
            self.crash(CrashPoint::AfterSign)?;
        }
        if batch.state == BatchState::Signed {
            self.send(batch)?;
        }
        if matches!(batch.state, BatchState::Broadcast | BatchState::Confirmed) {
            self.track(batch)?;
        }
        Ok(())
    }

    fn sign(&mut self, batch: &mut BatchRecord) -> Result<(), AnchorError> {
        let payload = batch
            .payload()
            .ok_or_else(|| AnchorError::Invalid(format!("batch {} has a bad root", batch.seq)))?;
        let data = hex::encode(payload.encode());
        let raw: String = self.wallet.call(
            "createrawtransaction",
            json!([[], [{"data": data}], 0, true]),
        )?;
        let funded: Value = self.wallet.call_value(
            "fundrawtransaction",
            json!([raw, {"lockUnspents": true, "replaceable": true}]),
        )?;
        let funded_hex = str_field("fundrawtransaction", &funded, "hex")?;
        let signed: Value = self
            .wallet
            .call_value("signrawtransactionwithwallet", json!([funded_hex]))?;
        if signed.get("complete").and_then(Value::as_bool) != Some(true) {
            return Err(AnchorError::Invalid(format!(
                "signrawtransactionwithwallet: incomplete signature for batch {}: {}",
                batch.seq, signed
            )));
        }
        let hex_tx = str_field("signrawtransactionwithwallet", &signed, "hex")?;
        let decoded = self
            .rpc
            .call_value("decoderawtransaction", json!([hex_tx]))?;
        let txid = str_field("decoderawtransaction", &decoded, "txid")?;
        if let Some(old) = batch.tx.take() {
            batch.replaced_txids.push(old.txid);
        }
        batch.tx = Some(SignedTx { txid, hex: hex_tx });
        batch.state = BatchState::Signed;
        self.outbox.update(batch)?;
        tracing::info!(seq = batch.seq, txid = %batch.tx.as_ref().map_or("", |t| &t.txid), "anchor signed");
        Ok(())
    }

    fn send(&mut self, batch: &mut BatchRecord) -> Result<(), AnchorError> {
        // At most one replacement per pass: a node that refuses a freshly funded tx too is
        // reported, not fed an endless stream of new transactions.
        for attempt in 0..2 {
            let Some(tx) = batch.tx.clone() else {
                self.sign(batch)?;
                continue;
            };
            let txid = Hash256::from_display_hex(&tx.txid)
                .map_err(|e| AnchorError::Invalid(format!("batch {}: {e}", batch.seq)))?;
            // Already known (sent before a crash, or mined)? Then never send it again.
            if self.observe(batch, &txid)? {
                return Ok(());
            }
            match self.rpc.send_raw_transaction(&tx.hex, &txid) {
                Ok(_) => {
                    batch.broadcasts += 1;
                    self.crash(CrashPoint::AfterBroadcast)?;
                    batch.state = BatchState::Broadcast;
                    self.outbox.update(batch)?;
                    tracing::info!(seq = batch.seq, txid = %txid, "anchor sent");
                    return Ok(());
                }
                Err(e) if inputs_gone(&e) && attempt == 0 => {
                    // Its inputs are spent by another transaction or do not exist on this chain:
                    // this tx can no longer confirm here, so a new one is safe.
                    tracing::warn!(seq = batch.seq, txid = %txid, error = %masspoc_report::Report(&e), "anchor tx can no longer confirm; replacing it");
                    self.sign(batch)?;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(AnchorError::Invalid(format!(
            "batch {}: the node refused its replacement transaction too",
            batch.seq
        )))
    }

    /// Looks the tx up: updates the batch and returns true when the node has it.
    fn observe(&mut self, batch: &mut BatchRecord, txid: &Hash256) -> Result<bool, AnchorError> {
        // The wallet knows its own transactions without -txindex; the node-wide lookup covers a
        // wallet that lost the record in a crash (it needs -txindex for mined transactions).
        let info = match self
            .wallet
            .call_value("gettransaction", json!([txid.to_string()]))
        {
            Ok(v) => Some(v),
            Err(e) if e.node_code() == Some(-5) => self.rpc.raw_transaction(txid, None)?,
            Err(e) => return Err(e.into()),
        };
        if let Some(info) = info {
            let confirmations = info
                .get("confirmations")
                .and_then(Value::as_u64)
                .unwrap_or(0);
            let block = info.get("blockhash").and_then(Value::as_str);
            if let (true, Some(block)) = (confirmations > 0, block) {
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
                Ok(true)
            }
            Err(e) if e.node_code() == Some(-5) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    fn track(&mut self, batch: &mut BatchRecord) -> Result<(), AnchorError> {
        let Some(tx) = batch.tx.clone() else {
            batch.state = BatchState::Sealed;
            return self.outbox.update(batch).map_err(Into::into);
        };
        let txid = Hash256::from_display_hex(&tx.txid)
            .map_err(|e| AnchorError::Invalid(format!("batch {}: {e}", batch.seq)))?;
        if self.observe(batch, &txid)? {
            return Ok(());
        }
        // Neither mined on the best chain nor in the mempool: dropped. Send it again.
        tracing::warn!(seq = batch.seq, txid = %txid, "anchor dropped by the node; re-sending");
        batch.state = BatchState::Signed;
        batch.block = None;
        self.outbox.update(batch)?;
        self.send(batch)
    }
}

fn str_field(method: &str, v: &Value, field: &str) -> Result<String, AnchorError> {
    v.get(field)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| {
            AnchorError::Rpc(RpcError::UnexpectedResult {
                method: method.to_string(),
                detail: format!("no {field} in {v}"),
            })
        })
}
