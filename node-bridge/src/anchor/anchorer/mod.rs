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
//!
//! One job a file: `config` (settings, clock), `pace` (round timer, bounds, budget, status),
//! `send` (fund, sign, send, replace when the inputs are gone), `watch` (follow sent and replaced
//! transactions, re-send dropped ones), `bump` (replace-by-fee); the node's refusals are read by
//! [`super::refusal`].

mod bump;
mod config;
mod pace;
mod send;
mod watch;

pub use config::{AnchorConfig, Clock};

use super::outbox::{BatchRecord, BatchState, Outbox, Pick};
use super::payload::Item;
use super::status::{AnchorStatus, Hold};
use crate::error::AnchorError;
use crate::pow::Hash256;
use crate::rpc::RpcClient;
use std::sync::Arc;
use std::time::Instant;

/// Where a test makes the anchorer stop as if it had crashed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrashPoint {
    /// After the signed transaction is recorded, before it is sent.
    AfterSign,
    /// After the node accepted the transaction, before that is recorded.
    AfterBroadcast,
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
}

fn parse_txid(seq: u64, txid: &str) -> Result<Hash256, AnchorError> {
    Hash256::from_display_hex(txid).map_err(|e| AnchorError::Invalid(format!("batch {seq}: {e}")))
}
