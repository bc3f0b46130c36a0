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

use super::budget::{FeeBudget, Spend, Window};
use super::outbox::{BatchRecord, BatchState, BlockRef, Outbox, Pick, SignedTx};
use super::payload::Item;
use super::refusal::Refusal;
use super::status::{AnchorStatus, Hold};
use super::wallet;
use crate::error::AnchorError;
use crate::pow::Hash256;
use crate::rpc::RpcClient;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Where a test makes the anchorer stop as if it had crashed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrashPoint {
    /// After the signed transaction is recorded, before it is sent.
    AfterSign,
    /// After the node accepted the transaction, before that is recorded.
    AfterBroadcast,
}

/// Anchoring settings (`docs/anchoring.md`, "When anchors go out").
#[derive(Debug, Clone)]
pub struct AnchorConfig {
    /// Confirmations after which a batch is final.
    pub confirmations: u64,
    /// Largest batch.
    pub max_batch: usize,
    /// Least time between two rounds of new batches (each round seals what is queued).
    pub interval: Duration,
    /// What anchor transactions may pay per hour and per day.
    pub budget: FeeBudget,
    /// No new anchor transaction while this many are sent and not in a block.
    pub max_unconfirmed: u64,
    /// A transaction still unmined this many blocks after it was sent gets a fee bump
    /// (replace-by-fee on the same inputs); 0: never.
    pub bump_after_blocks: u64,
}

impl Default for AnchorConfig {
    /// Mainnet-like defaults: 60 s between rounds, 0.01 LTC an hour and 0.1 LTC a day, 10
    /// anchors waiting for a block at most, a bump after 6 blocks.
    fn default() -> Self {
        AnchorConfig {
            confirmations: crate::confirmations::default_confirmations(),
            max_batch: 4096,
            interval: Duration::from_secs(60),
            budget: FeeBudget::default(),
            max_unconfirmed: 10,
            bump_after_blocks: 6,
        }
    }
}

impl AnchorConfig {
    /// The defaults for a PoW network by name: [`AnchorConfig::default`], except regtest's
    /// 5 s interval (blocks come when the user mines them).
    pub fn for_network(name: &str) -> Self {
        let mut c = AnchorConfig::default();
        if name == "regtest" {
            c.interval = Duration::from_secs(5);
        }
        c
    }
}

/// The anchorer's clock: unix milliseconds (tests pass their own to cross budget windows).
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> u64 + Send + Sync>);

impl Clock {
    /// A clock reading `f`.
    pub fn new(f: impl Fn() -> u64 + Send + Sync + 'static) -> Self {
        Clock(Arc::new(f))
    }

    /// The system clock.
    pub fn system() -> Self {
        Clock::new(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        })
    }

    fn now_ms(&self) -> u64 {
        (self.0)()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Clock")
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
    clock: Clock,
    /// Filled during a pass: what holds new transactions back.
    hold: Option<Hold>,
    /// Anchors sent or signed and not in a block, counted during a pass.
    unconfirmed: u64,
    status: AnchorStatus,
    /// The last hold logged and when (a hold is logged when it changes, and once a minute).
    logged: Option<(String, Instant)>,
    /// The node refused a fee bump (replace-by-fee off): no more bumps by this process.
    rbf_refused: bool,
}

/// How often a hold that does not change is logged again.
const HOLD_LOG_EVERY: Duration = Duration::from_secs(60);

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
            clock: Clock::system(),
            hold: None,
            unconfirmed: 0,
            status: AnchorStatus::default(),
            logged: None,
            rbf_refused: false,
        }
    }

    /// Replaces the clock (tests).
    pub fn set_clock(&mut self, clock: Clock) {
        self.clock = clock;
    }

    /// The settings.
    pub fn config(&self) -> &AnchorConfig {
        &self.config
    }

    /// What the last pass found: queued items, anchors waiting for a block, what holds new ones.
    pub fn status(&self) -> &AnchorStatus {
        &self.status
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

    /// [`Anchorer::tick_with`] anchoring every queued item.
    pub fn tick(&mut self) -> Result<Vec<BatchRecord>, AnchorError> {
        self.tick_with(&|_| Pick::Anchor)
    }

    /// One pass: follows every transaction already out there (confirmations, drops, fee bumps),
    /// then — within the bounds (anchors waiting for a block, fee budget) — signs sealed batches
    /// and, once the interval since the last round has passed, seals the queued items `pick`
    /// chooses into new batches and sends them. `pick` is called before any write transaction
    /// opens (it may lock what itself writes to the store). Returns the batches open at the start
    /// of the pass and those sealed in it, as they are after it.
    pub fn tick_with(
        &mut self,
        pick: &dyn Fn(&Item) -> Pick,
    ) -> Result<Vec<BatchRecord>, AnchorError> {
        let result = self.pass(pick);
        self.finish_status()?;
        result
    }

    fn pass(&mut self, pick: &dyn Fn(&Item) -> Pick) -> Result<Vec<BatchRecord>, AnchorError> {
        let now = self.clock.now_ms();
        self.hold = None;
        let open = self.outbox.open_batches()?;
        let mut seqs: Vec<u64> = open.iter().map(|b| b.seq).collect();
        let tip = self.rpc.block_count()?;
        let (sealed, sent): (Vec<_>, Vec<_>) = open
            .into_iter()
            .partition(|b| b.state == BatchState::Sealed);
        for mut batch in sent {
            self.advance_sent(&mut batch, now, tip)?;
        }
        self.unconfirmed = self.count_unconfirmed()?;
        for mut batch in sealed {
            if !self.may_send_new(now)? {
                break;
            }
            self.sign_and_send(&mut batch, now, tip)?;
        }
        if self.round_due(now)? && self.may_send_new(now)? {
            // A round seals everything chosen (each batch durable before any transaction),
            // then signs and sends batch after batch while the bounds allow; batches left
            // sealed are signed by later passes.
            let mut chosen = self.pick_queued(pick)?;
            let mut new = Vec::new();
            while !chosen.is_empty() {
                let Some(batch) = self.outbox.seal_picked(
                    self.config.max_batch,
                    &|i| {
                        if chosen.contains(i.leaf_data().as_slice()) {
                            Pick::Anchor
                        } else {
                            Pick::Wait
                        }
                    },
                    Some(now),
                )?
                else {
                    break;
                };
                for item in &batch.items {
                    if let Ok(d) = hex::decode(item) {
                        chosen.remove(&d);
                    }
                }
                seqs.push(batch.seq);
                new.push(batch);
            }
            for mut batch in new {
                if !self.may_send_new(now)? {
                    break;
                }
                self.sign_and_send(&mut batch, now, tip)?;
            }
        }
        let mut out = Vec::with_capacity(seqs.len());
        for seq in seqs {
            out.extend(self.outbox.batch(seq)?);
        }
        Ok(out)
    }

    fn finish_status(&mut self) -> Result<(), AnchorError> {
        let now = self.clock.now_ms();
        let spends = self.outbox.spends(now)?;
        let sum = |w: Window| {
            spends
                .iter()
                .filter(|s| s.at_ms > now.saturating_sub(w.ms()))
                .map(|s| s.litoshi)
                .sum()
        };
        self.status = AnchorStatus {
            queued: self.outbox.pending_len()?,
            unconfirmed: self.count_unconfirmed()?,
            hold: self.hold.clone(),
            spent_hour: sum(Window::Hour),
            spent_day: sum(Window::Day),
            budget: Some(self.config.budget),
        };
        match &self.hold {
            Some(hold) => {
                let message = hold.message();
                let again = match &self.logged {
                    Some((m, at)) => *m != message || at.elapsed() >= HOLD_LOG_EVERY,
                    None => true,
                };
                if again {
                    tracing::warn!(reason = hold.reason(), "{message}");
                    self.logged = Some((message, Instant::now()));
                }
            }
            None => {
                if self.logged.take().is_some() {
                    tracing::info!("anchoring resumes: nothing holds new anchors back any more");
                }
            }
        }
        Ok(())
    }

    fn count_unconfirmed(&self) -> Result<u64, AnchorError> {
        Ok(self
            .outbox
            .open_batches()?
            .iter()
            .filter(|b| matches!(b.state, BatchState::Signed | BatchState::Broadcast))
            .count() as u64)
    }

    /// The queued items `pick` chooses now (read before the seal's write transaction).
    fn pick_queued(&self, pick: &dyn Fn(&Item) -> Pick) -> Result<HashSet<Vec<u8>>, AnchorError> {
        Ok(self
            .outbox
            .pending_items()?
            .into_iter()
            .filter(|i| pick(i) == Pick::Anchor)
            .map(|i| i.leaf_data().to_vec())
            .collect())
    }

    fn round_due(&self, now: u64) -> Result<bool, AnchorError> {
        let interval = u64::try_from(self.config.interval.as_millis()).unwrap_or(u64::MAX);
        Ok(match self.outbox.last_seal_ms()? {
            Some(last) => now.saturating_sub(last) >= interval || now < last,
            None => true,
        })
    }

    /// Whether a new transaction may go out now; sets the hold when not.
    fn may_send_new(&mut self, now: u64) -> Result<bool, AnchorError> {
        if self.hold.is_some() {
            return Ok(false);
        }
        if self.unconfirmed >= self.config.max_unconfirmed {
            self.hold = Some(Hold::WaitingForBlocks {
                unconfirmed: self.unconfirmed,
                max: self.config.max_unconfirmed,
            });
            return Ok(false);
        }
        // Before funding, the last fee paid stands for the next one (the exact fee is checked
        // once the wallet has funded it).
        let spends = self.outbox.spends(now)?;
        let estimate = spends
            .iter()
            .max_by_key(|s| s.at_ms)
            .map_or(1, |s| s.litoshi);
        if let Err(e) = self.config.budget.check(&spends, now, estimate) {
            self.hold = Some(Hold::Budget(e));
            return Ok(false);
        }
        Ok(true)
    }

    fn sign_and_send(
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

    fn advance_sent(
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
    fn sign(&mut self, batch: &mut BatchRecord, now: u64) -> Result<bool, AnchorError> {
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

    fn send(&mut self, batch: &mut BatchRecord, now: u64, tip: u64) -> Result<(), AnchorError> {
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

    /// Looks the batch's transactions up: the current one, then those it replaced (a fee bump's
    /// original may be the one mined, and is then adopted). Updates the batch and returns true
    /// when the node has the current one, or a replaced one in a block.
    fn observe(&mut self, batch: &mut BatchRecord, txid: &Hash256) -> Result<bool, AnchorError> {
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
    fn lookup(&self, txid: &Hash256) -> Result<Option<Value>, AnchorError> {
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
    fn mined(&mut self, batch: &mut BatchRecord, info: &Value) -> Result<bool, AnchorError> {
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

    fn track(&mut self, batch: &mut BatchRecord, now: u64, tip: u64) -> Result<(), AnchorError> {
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

    /// Replaces a transaction that blocks keep leaving out by one paying more on the same
    /// inputs (recorded before it is sent, its fee increase in the budget's ledger); the old
    /// txid stays watched in `replaced_txids`.
    fn bump(
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

fn parse_txid(seq: u64, txid: &str) -> Result<Hash256, AnchorError> {
    Hash256::from_display_hex(txid).map_err(|e| AnchorError::Invalid(format!("batch {seq}: {e}")))
}
