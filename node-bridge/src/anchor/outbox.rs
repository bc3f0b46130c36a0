//! The durable outbox (redb): items waiting for a batch, and every batch from the moment it is
//! sealed until its anchor is final. Each step is committed before the next one talks to the
//! node, so a crash at any point leaves a record the anchorer can resume from.

use super::merkle::{root, Node};
use super::payload::{AnchorPayload, Item};
use crate::error::StoreError;
use crate::store::Store;
use redb::{ReadableTable, ReadableTableMetadata, TableDefinition};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

/// Pending items, in arrival order: queue number → 33-byte leaf data.
pub(crate) const PENDING: TableDefinition<u64, &[u8]> = TableDefinition::new("anchor_pending");
/// Every item ever enqueued: leaf data → batch seq (`u64::MAX` while pending).
pub(crate) const INDEX: TableDefinition<&[u8], u64> = TableDefinition::new("anchor_index");
/// Batches: seq → JSON [`BatchRecord`].
pub(crate) const BATCHES: TableDefinition<u64, &[u8]> = TableDefinition::new("anchor_batches");
/// Counters.
pub(crate) const META: TableDefinition<&str, u64> = TableDefinition::new("anchor_meta");
/// Batches not yet final: seq → (). Keeps each pass proportional to the open batches.
pub(crate) const OPEN: TableDefinition<u64, ()> = TableDefinition::new("anchor_open");

const UNBATCHED: u64 = u64::MAX;

/// Where a batch is on its way into the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BatchState {
    /// Recorded; no transaction yet.
    Sealed,
    /// A signed transaction is recorded; it may or may not have reached the node.
    Signed,
    /// The node has it in its mempool.
    Broadcast,
    /// In a block of the best chain, fewer than the required confirmations.
    Confirmed,
    /// Buried under the required confirmations.
    Final,
}

/// A signed anchor transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedTx {
    /// Its txid (display hex).
    pub txid: String,
    /// The signed transaction (hex), re-broadcast as is.
    pub hex: String,
    /// Its fee in litoshi (unknown for records written before fees were kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee: Option<u64>,
    /// The PoW tip height when the node first took it (the fee bump waits for blocks from here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_height: Option<u64>,
}

/// What the anchorer does with a queued item when it seals a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    /// Worth anchoring now: into the batch.
    Anchor,
    /// Not now (a header on a side branch): it stays queued, in its place.
    Wait,
    /// Never (a header on a side branch at or below its chain's final block, which can never
    /// become best): the anchorer removes it from the queue ([`Outbox::drop_pending`]).
    Drop,
}

/// The block holding an anchor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockRef {
    /// Block hash (display hex).
    pub hash: String,
    /// Height.
    pub height: u64,
    /// Confirmations when last seen.
    pub confirmations: u64,
}

/// One batch and its anchoring progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchRecord {
    /// Sequence number (0, 1, …), also written into the payload.
    pub seq: u64,
    /// Kinds bit mask.
    pub kinds: u8,
    /// Merkle root (hex).
    pub root: String,
    /// Leaf data of the items, in tree order (hex, 33 bytes each).
    pub items: Vec<String>,
    /// Progress.
    pub state: BatchState,
    /// The current transaction.
    pub tx: Option<SignedTx>,
    /// Earlier transactions of this batch: replaced by a fee bump (same inputs; one of them may
    /// still be the one mined, and is then adopted) or built anew because their inputs were gone.
    pub replaced_txids: Vec<String>,
    /// Where it was last seen mined.
    pub block: Option<BlockRef>,
    /// How many times the transaction was handed to the node.
    pub broadcasts: u32,
}

impl BatchRecord {
    /// The items, decoded.
    pub fn decoded_items(&self) -> Option<Vec<Item>> {
        self.items
            .iter()
            .map(|h| hex::decode(h).ok().and_then(|d| Item::from_leaf_data(&d)))
            .collect()
    }

    /// The root as bytes.
    pub fn root_bytes(&self) -> Option<Node> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(&self.root, &mut out).ok()?;
        Some(out)
    }

    /// The payload committing to this batch.
    pub fn payload(&self) -> Option<AnchorPayload> {
        Some(AnchorPayload {
            kinds: self.kinds,
            seq: self.seq,
            root: self.root_bytes()?,
        })
    }
}

/// The outbox's tables in the bridge's database.
#[derive(Debug)]
pub struct Outbox {
    store: Arc<Store>,
}

impl Outbox {
    /// Opens or creates a database file holding (at least) the outbox.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::on(Store::open(path)?)
    }

    /// The outbox in an open database (its tables created if missing).
    pub fn on(store: Arc<Store>) -> Result<Self, StoreError> {
        let tx = store.begin_write()?;
        tx.open_table(PENDING).map_err(|e| store.err(e))?;
        tx.open_table(INDEX).map_err(|e| store.err(e))?;
        tx.open_table(BATCHES).map_err(|e| store.err(e))?;
        tx.open_table(META).map_err(|e| store.err(e))?;
        tx.open_table(OPEN).map_err(|e| store.err(e))?;
        tx.open_table(super::budget::SPEND)
            .map_err(|e| store.err(e))?;
        store.commit(tx)?;
        Ok(Outbox { store })
    }

    /// The database the outbox lives in.
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// Adds items to the queue; items already queued or batched are skipped. Returns how many
    /// were new. Durable when it returns.
    pub fn enqueue(&self, items: &[Item]) -> Result<usize, StoreError> {
        let tx = self.store.begin_write()?;
        let added = self.enqueue_in(&tx, items)?;
        self.store.commit(tx)?;
        Ok(added)
    }

    /// [`Outbox::enqueue`] inside the caller's write transaction (which commits it).
    pub fn enqueue_in(
        &self,
        tx: &redb::WriteTransaction,
        items: &[Item],
    ) -> Result<usize, StoreError> {
        let s = &self.store;
        let mut added = 0;
        {
            let mut index = tx.open_table(INDEX).map_err(|e| s.err(e))?;
            let mut pending = tx.open_table(PENDING).map_err(|e| s.err(e))?;
            let mut meta = tx.open_table(META).map_err(|e| s.err(e))?;
            let mut next = meta
                .get("next_item")
                .map_err(|e| s.err(e))?
                .map_or(0, |v| v.value());
            for item in items {
                let data = item.leaf_data();
                if index.get(data.as_slice()).map_err(|e| s.err(e))?.is_some() {
                    continue;
                }
                index
                    .insert(data.as_slice(), UNBATCHED)
                    .map_err(|e| s.err(e))?;
                pending
                    .insert(next, data.as_slice())
                    .map_err(|e| s.err(e))?;
                next += 1;
                added += 1;
            }
            meta.insert("next_item", next).map_err(|e| s.err(e))?;
        }
        Ok(added)
    }

    /// How many items wait for a batch.
    pub fn pending_len(&self) -> Result<u64, StoreError> {
        let s = &self.store;
        let tx = s.db.begin_read().map_err(|e| s.err(e))?;
        let t = tx.open_table(PENDING).map_err(|e| s.err(e))?;
        t.len().map_err(|e| s.err(e))
    }

    /// The queued items, in their order.
    pub fn pending_items(&self) -> Result<Vec<Item>, StoreError> {
        let s = &self.store;
        let tx = s.db.begin_read().map_err(|e| s.err(e))?;
        let t = tx.open_table(PENDING).map_err(|e| s.err(e))?;
        let mut out = Vec::new();
        for row in t.iter().map_err(|e| s.err(e))? {
            let (k, v) = row.map_err(|e| s.err(e))?;
            out.push(
                Item::from_leaf_data(v.value()).ok_or_else(|| s.corrupt(k.value(), "bad leaf"))?,
            );
        }
        Ok(out)
    }

    /// Removes the queued items whose leaf data is in `leaves` from the queue and the index, in
    /// one commit (they will never be anchored); items already in a batch are left alone.
    /// Returns how many were removed.
    pub fn drop_pending(&self, leaves: &HashSet<Vec<u8>>) -> Result<usize, StoreError> {
        if leaves.is_empty() {
            return Ok(0);
        }
        let s = &self.store;
        let tx = self.store.begin_write()?;
        let mut dropped = 0;
        {
            let mut pending = tx.open_table(PENDING).map_err(|e| s.err(e))?;
            let mut index = tx.open_table(INDEX).map_err(|e| s.err(e))?;
            let mut keys = Vec::new();
            for row in pending.iter().map_err(|e| s.err(e))? {
                let (k, v) = row.map_err(|e| s.err(e))?;
                if leaves.contains(v.value()) {
                    keys.push((k.value(), v.value().to_vec()));
                }
            }
            for (k, data) in &keys {
                pending.remove(k).map_err(|e| s.err(e))?;
                index.remove(data.as_slice()).map_err(|e| s.err(e))?;
                dropped += 1;
            }
        }
        self.store.commit(tx)?;
        Ok(dropped)
    }

    /// Moves up to `max_items` pending items into a new sealed batch (committed before it
    /// returns). `None` when nothing is pending.
    pub fn seal(&self, max_items: usize) -> Result<Option<BatchRecord>, StoreError> {
        self.seal_picked(max_items, &|_| Pick::Anchor, None)
    }

    /// Like [`Outbox::seal`], taking only the items `pick` says to anchor now (the others stay
    /// queued in their order); with `now_ms`, records it as the time of the last seal. `pick`
    /// runs inside the seal's write transaction: it must not wait for anything that writes to
    /// the store (see [`crate::anchor::Anchorer::tick_with`], which decides before).
    pub fn seal_picked(
        &self,
        max_items: usize,
        pick: &dyn Fn(&Item) -> Pick,
        now_ms: Option<u64>,
    ) -> Result<Option<BatchRecord>, StoreError> {
        let s = &self.store;
        let tx = s.db.begin_write().map_err(|e| s.err(e))?;
        let record;
        {
            let mut pending = tx.open_table(PENDING).map_err(|e| s.err(e))?;
            let mut taken: Vec<(u64, Vec<u8>)> = Vec::new();
            let mut items = Vec::new();
            for entry in pending.iter().map_err(|e| s.err(e))? {
                if taken.len() >= max_items.max(1) {
                    break;
                }
                let (k, v) = entry.map_err(|e| s.err(e))?;
                let item = Item::from_leaf_data(v.value())
                    .ok_or_else(|| s.corrupt(k.value(), "bad leaf"))?;
                if pick(&item) == Pick::Anchor {
                    taken.push((k.value(), v.value().to_vec()));
                    items.push(item);
                }
            }
            if taken.is_empty() {
                return Ok(None);
            }
            let leaves: Vec<Node> = items.iter().map(Item::leaf).collect();
            let root = root(&leaves).ok_or_else(|| s.corrupt("batch", "empty"))?;
            let mut meta = tx.open_table(META).map_err(|e| s.err(e))?;
            let seq = meta
                .get("next_batch")
                .map_err(|e| s.err(e))?
                .map_or(0, |v| v.value());
            meta.insert("next_batch", seq + 1).map_err(|e| s.err(e))?;
            if let Some(now) = now_ms {
                meta.insert("last_seal_ms", now).map_err(|e| s.err(e))?;
            }
            // The batch's items, by root, where peers and proofs look them up (`seen`).
            super::seen::put_items_in(s, &tx, &root, &items)?;
            let mut index = tx.open_table(INDEX).map_err(|e| s.err(e))?;
            for (k, data) in &taken {
                pending.remove(k).map_err(|e| s.err(e))?;
                index.insert(data.as_slice(), seq).map_err(|e| s.err(e))?;
            }
            record = BatchRecord {
                seq,
                kinds: items.iter().fold(0, |m, i| m | i.kind.bit()),
                root: hex::encode(root),
                items: taken.iter().map(|(_, d)| hex::encode(d)).collect(),
                state: BatchState::Sealed,
                tx: None,
                replaced_txids: Vec::new(),
                block: None,
                broadcasts: 0,
            };
            let json = serde_json::to_vec(&record).map_err(|e| s.err(e))?;
            tx.open_table(BATCHES)
                .map_err(|e| s.err(e))?
                .insert(seq, json.as_slice())
                .map_err(|e| s.err(e))?;
            tx.open_table(OPEN)
                .map_err(|e| s.err(e))?
                .insert(seq, ())
                .map_err(|e| s.err(e))?;
        }
        tx.commit().map_err(|e| s.err(e))?;
        Ok(Some(record))
    }

    /// When a batch was last sealed by [`Outbox::seal_picked`] with a time (unix ms).
    pub fn last_seal_ms(&self) -> Result<Option<u64>, StoreError> {
        let s = &self.store;
        let tx = s.db.begin_read().map_err(|e| s.err(e))?;
        let t = tx.open_table(META).map_err(|e| s.err(e))?;
        let v = t.get("last_seal_ms").map_err(|e| s.err(e))?;
        Ok(v.map(|v| v.value()))
    }

    /// Replaces a batch record (committed before it returns).
    pub fn update(&self, record: &BatchRecord) -> Result<(), StoreError> {
        self.update_with_spend(record, None)
    }

    /// Replaces a batch record and records the fee it commits to, in one transaction.
    pub fn update_with_spend(
        &self,
        record: &BatchRecord,
        spend: Option<super::budget::Spend>,
    ) -> Result<(), StoreError> {
        let s = &self.store;
        let json = serde_json::to_vec(record).map_err(|e| s.err(e))?;
        let tx = s.db.begin_write().map_err(|e| s.err(e))?;
        if let Some(spend) = spend {
            self.record_spend_in(&tx, spend)?;
        }
        tx.open_table(BATCHES)
            .map_err(|e| s.err(e))?
            .insert(record.seq, json.as_slice())
            .map_err(|e| s.err(e))?;
        {
            let mut open = tx.open_table(OPEN).map_err(|e| s.err(e))?;
            if record.state == BatchState::Final {
                open.remove(record.seq).map_err(|e| s.err(e))?;
            } else {
                open.insert(record.seq, ()).map_err(|e| s.err(e))?;
            }
        }
        tx.commit().map_err(|e| s.err(e))
    }

    /// Replaces a batch record and takes back the ledger's latest record of `spend` (a fee bump
    /// the node refused never reached a mempool), in one transaction.
    pub fn update_reverting_spend(
        &self,
        record: &BatchRecord,
        spend: super::budget::Spend,
    ) -> Result<(), StoreError> {
        let s = &self.store;
        let json = serde_json::to_vec(record).map_err(|e| s.err(e))?;
        let tx = s.db.begin_write().map_err(|e| s.err(e))?;
        self.remove_spend_in(&tx, spend)?;
        tx.open_table(BATCHES)
            .map_err(|e| s.err(e))?
            .insert(record.seq, json.as_slice())
            .map_err(|e| s.err(e))?;
        tx.commit().map_err(|e| s.err(e))
    }

    /// The batches not yet final, by seq.
    pub fn open_batches(&self) -> Result<Vec<BatchRecord>, StoreError> {
        let s = &self.store;
        let seqs: Vec<u64> = {
            let tx = s.db.begin_read().map_err(|e| s.err(e))?;
            let t = tx.open_table(OPEN).map_err(|e| s.err(e))?;
            let mut out = Vec::new();
            for row in t.iter().map_err(|e| s.err(e))? {
                out.push(row.map_err(|e| s.err(e))?.0.value());
            }
            out
        };
        let mut out = Vec::with_capacity(seqs.len());
        for seq in seqs {
            out.push(
                self.batch(seq)?
                    .ok_or_else(|| s.corrupt(seq, "open batch missing"))?,
            );
        }
        Ok(out)
    }

    /// Every batch, by seq.
    pub fn batches(&self) -> Result<Vec<BatchRecord>, StoreError> {
        let s = &self.store;
        let tx = s.db.begin_read().map_err(|e| s.err(e))?;
        let t = tx.open_table(BATCHES).map_err(|e| s.err(e))?;
        let mut out = Vec::new();
        for entry in t.iter().map_err(|e| s.err(e))? {
            let (k, v) = entry.map_err(|e| s.err(e))?;
            out.push(serde_json::from_slice(v.value()).map_err(|e| s.corrupt(k.value(), e))?);
        }
        Ok(out)
    }

    /// One batch.
    pub fn batch(&self, seq: u64) -> Result<Option<BatchRecord>, StoreError> {
        let s = &self.store;
        let tx = s.db.begin_read().map_err(|e| s.err(e))?;
        let t = tx.open_table(BATCHES).map_err(|e| s.err(e))?;
        let value = t.get(seq).map_err(|e| s.err(e))?;
        match value {
            Some(v) => Ok(Some(
                serde_json::from_slice(v.value()).map_err(|e| s.corrupt(seq, e))?,
            )),
            None => Ok(None),
        }
    }

    /// The batch holding `item`: `Ok(None)` if unknown, `Ok(Some(None))` while still pending.
    pub fn batch_of(&self, item: &Item) -> Result<Option<Option<u64>>, StoreError> {
        self.batch_of_in(&self.store.begin_read()?, item)
    }

    /// [`Outbox::batch_of`] in a read transaction of the caller.
    pub fn batch_of_in(
        &self,
        tx: &redb::ReadTransaction,
        item: &Item,
    ) -> Result<Option<Option<u64>>, StoreError> {
        let s = &self.store;
        let t = tx.open_table(INDEX).map_err(|e| s.err(e))?;
        let value = t.get(item.leaf_data().as_slice()).map_err(|e| s.err(e))?;
        Ok(value.map(|v| Some(v.value()).filter(|&b| b != UNBATCHED)))
    }
}
