//! Every anchor this node has seen in its PoW chain, and the items of every batch it knows
//! (its own, sealed here, and other nodes', received from peers and checked against their
//! root): the inputs of finality (`docs/protocol.md` §14) and of anchor proofs for any item,
//! whoever anchored it (`docs/anchoring.md`, "Anchors of other nodes").
//!
//! Tables (all in the bridge's one database):
//! - `anchor_seen_blocks`: PoW block id (32 bytes, internal order) → the [`FoundAnchor`]s of that
//!   block laid end to end (empty for a block without anchors; a block's contents never change,
//!   so an entry is never rewritten);
//! - `anchor_root_places`: batch root → `(block id 32 ‖ height u64 BE)` per block it was seen in;
//! - `anchor_batch_items`: batch root → its leaves (33 bytes each, in tree order);
//! - `anchor_item_roots`: a leaf (33 bytes) → the roots (32 bytes each) of the batches holding it.

use super::merkle::{self, Node};
use super::outbox::{BATCHES, META};
use super::payload::Item;
use super::scan::FoundAnchor;
use super::BatchRecord;
use crate::error::StoreError;
use crate::pow::Hash256;
use crate::store::Store;
use redb::{ReadableTable, TableDefinition, WriteTransaction};
use std::sync::Arc;

const SEEN_BLOCKS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("anchor_seen_blocks");
const ROOT_PLACES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("anchor_root_places");
const BATCH_ITEMS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("anchor_batch_items");
const ITEM_ROOTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("anchor_item_roots");

/// The outbox meta key set once the items of batches sealed before this table existed were
/// copied into it.
const BACKFILLED: &str = "batch_items_backfilled";

/// Most leaves a batch may have to be stored from a peer (the anchorer's default `max_batch` is
/// 4,096).
pub const MAX_BATCH_LEAVES: usize = 16_384;

/// Where a batch root was seen: a PoW block, and the anchor in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    /// The block's id.
    pub block: Hash256,
    /// Its height when it was scanned.
    pub height: u64,
    /// The anchor (transaction, commitment).
    pub anchor: FoundAnchor,
}

/// What [`SeenAnchors::offer_items`] made of a batch's leaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offer {
    /// New and matching its root: stored.
    Stored,
    /// Already held.
    Known,
    /// Empty, too long, or a leaf that is not an item.
    Malformed,
    /// The leaves do not hash to the root.
    Mismatch,
}

/// The seen-anchor tables of one database.
#[derive(Debug, Clone)]
pub struct SeenAnchors {
    store: Arc<Store>,
}

fn leaves_of(data: &[u8]) -> Option<Vec<Item>> {
    if !data.len().is_multiple_of(33) {
        return None;
    }
    data.chunks(33).map(Item::from_leaf_data).collect()
}

/// Stores `items` as the batch `root` inside `tx` (no check: the caller built the root from
/// them). Returns false when the root was already held.
pub(crate) fn put_items_in(
    store: &Store,
    tx: &WriteTransaction,
    root: &Node,
    items: &[Item],
) -> Result<bool, StoreError> {
    let mut batches = tx.open_table(BATCH_ITEMS).map_err(|e| store.err(e))?;
    if batches
        .get(root.as_slice())
        .map_err(|e| store.err(e))?
        .is_some()
    {
        return Ok(false);
    }
    let leaves: Vec<u8> = items.iter().flat_map(Item::leaf_data).collect();
    batches
        .insert(root.as_slice(), leaves.as_slice())
        .map_err(|e| store.err(e))?;
    let mut roots = tx.open_table(ITEM_ROOTS).map_err(|e| store.err(e))?;
    for item in items {
        let leaf = item.leaf_data();
        let mut held = roots
            .get(leaf.as_slice())
            .map_err(|e| store.err(e))?
            .map(|v| v.value().to_vec())
            .unwrap_or_default();
        if !held.chunks(32).any(|r| r == root.as_slice()) {
            held.extend_from_slice(root);
            roots
                .insert(leaf.as_slice(), held.as_slice())
                .map_err(|e| store.err(e))?;
        }
    }
    Ok(true)
}

impl SeenAnchors {
    /// The tables in an open database (created if missing). The first open also copies the
    /// items of every batch the outbox sealed before (older data directories).
    pub fn on(store: Arc<Store>) -> Result<Self, StoreError> {
        let s = &store;
        let tx = s.begin_write()?;
        for t in [SEEN_BLOCKS, ROOT_PLACES, BATCH_ITEMS, ITEM_ROOTS] {
            tx.open_table(t).map_err(|e| s.err(e))?;
        }
        let done = {
            let meta = tx.open_table(META).map_err(|e| s.err(e))?;
            let v = meta.get(BACKFILLED).map_err(|e| s.err(e))?;
            v.is_some()
        };
        if !done {
            let records: Vec<BatchRecord> = {
                let batches = tx.open_table(BATCHES).map_err(|e| s.err(e))?;
                let mut out = Vec::new();
                for entry in batches.iter().map_err(|e| s.err(e))? {
                    let (k, v) = entry.map_err(|e| s.err(e))?;
                    out.push(
                        serde_json::from_slice(v.value())
                            .map_err(|e| s.corrupt(format!("batch {}", k.value()), e))?,
                    );
                }
                out
            };
            for r in records {
                if let (Some(root), Some(items)) = (r.root_bytes(), r.decoded_items()) {
                    put_items_in(s, &tx, &root, &items)?;
                }
            }
            tx.open_table(META)
                .map_err(|e| s.err(e))?
                .insert(BACKFILLED, 1)
                .map_err(|e| s.err(e))?;
        }
        s.commit(tx)?;
        Ok(SeenAnchors { store })
    }

    /// The anchors found in PoW block `id` when it was scanned (`None`: not scanned yet).
    pub fn block(&self, id: &Hash256) -> Result<Option<Vec<FoundAnchor>>, StoreError> {
        let s = &self.store;
        let tx = s.begin_read()?;
        let t = tx.open_table(SEEN_BLOCKS).map_err(|e| s.err(e))?;
        let Some(v) = t.get(id.0.as_slice()).map_err(|e| s.err(e))? else {
            return Ok(None);
        };
        FoundAnchor::decode_all(v.value())
            .map(Some)
            .ok_or_else(|| s.corrupt(format!("seen block {id}"), "bad length"))
    }

    /// Records the scan of PoW block `id` at `height` (durable when it returns).
    pub fn put_block(
        &self,
        id: &Hash256,
        height: u64,
        found: &[FoundAnchor],
    ) -> Result<(), StoreError> {
        let s = &self.store;
        let tx = s.begin_write()?;
        {
            let encoded: Vec<u8> = found.iter().flat_map(FoundAnchor::encode).collect();
            tx.open_table(SEEN_BLOCKS)
                .map_err(|e| s.err(e))?
                .insert(id.0.as_slice(), encoded.as_slice())
                .map_err(|e| s.err(e))?;
            let mut places = tx.open_table(ROOT_PLACES).map_err(|e| s.err(e))?;
            for a in found {
                let root = a.payload.root;
                let mut held = places
                    .get(root.as_slice())
                    .map_err(|e| s.err(e))?
                    .map(|v| v.value().to_vec())
                    .unwrap_or_default();
                if !held.chunks(40).any(|p| p[..32] == id.0) {
                    held.extend_from_slice(&id.0);
                    held.extend_from_slice(&height.to_be_bytes());
                    places
                        .insert(root.as_slice(), held.as_slice())
                        .map_err(|e| s.err(e))?;
                }
            }
        }
        s.commit(tx)
    }

    /// The items of batch `root`, when this node holds them.
    pub fn items(&self, root: &Node) -> Result<Option<Vec<Item>>, StoreError> {
        let s = &self.store;
        let tx = s.begin_read()?;
        let t = tx.open_table(BATCH_ITEMS).map_err(|e| s.err(e))?;
        let Some(v) = t.get(root.as_slice()).map_err(|e| s.err(e))? else {
            return Ok(None);
        };
        leaves_of(v.value())
            .map(Some)
            .ok_or_else(|| s.corrupt(format!("batch {}", hex::encode(root)), "bad leaf"))
    }

    /// Stores a batch's leaves (33-byte leaf data each, in tree order) received from a peer,
    /// when they hash to `root` (RFC 6962, `docs/anchoring.md`).
    pub fn offer_items(&self, root: &Node, leaves: &[[u8; 33]]) -> Result<Offer, StoreError> {
        if leaves.is_empty() || leaves.len() > MAX_BATCH_LEAVES {
            return Ok(Offer::Malformed);
        }
        let Some(items) = leaves
            .iter()
            .map(|l| Item::from_leaf_data(l))
            .collect::<Option<Vec<Item>>>()
        else {
            return Ok(Offer::Malformed);
        };
        let hashed: Vec<Node> = items.iter().map(Item::leaf).collect();
        if merkle::root(&hashed).as_ref() != Some(root) {
            return Ok(Offer::Mismatch);
        }
        let s = &self.store;
        let tx = s.begin_write()?;
        let stored = put_items_in(s, &tx, root, &items)?;
        s.commit(tx)?;
        Ok(if stored { Offer::Stored } else { Offer::Known })
    }

    /// Every place `item` was seen anchored at: each batch holding it, in each PoW block that
    /// batch's root was seen in (any branch; the caller checks which are on its best chain).
    pub fn places(&self, item: &Item) -> Result<Vec<(Node, Vec<Item>, Place)>, StoreError> {
        let s = &self.store;
        let tx = s.begin_read()?;
        let roots_t = tx.open_table(ITEM_ROOTS).map_err(|e| s.err(e))?;
        let places_t = tx.open_table(ROOT_PLACES).map_err(|e| s.err(e))?;
        let blocks_t = tx.open_table(SEEN_BLOCKS).map_err(|e| s.err(e))?;
        let batches_t = tx.open_table(BATCH_ITEMS).map_err(|e| s.err(e))?;
        let leaf = item.leaf_data();
        let Some(roots) = roots_t.get(leaf.as_slice()).map_err(|e| s.err(e))? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for root in roots.value().chunks(32) {
            let Some(batch) = batches_t.get(root).map_err(|e| s.err(e))? else {
                continue;
            };
            let items = leaves_of(batch.value())
                .ok_or_else(|| s.corrupt(format!("batch {}", hex::encode(root)), "bad leaf"))?;
            let Some(places) = places_t.get(root).map_err(|e| s.err(e))? else {
                continue;
            };
            for p in places.value().chunks(40) {
                let mut id = [0u8; 32];
                id.copy_from_slice(&p[..32]);
                let height = u64::from_be_bytes(p[32..40].try_into().unwrap_or_default());
                let Some(found) = blocks_t.get(id.as_slice()).map_err(|e| s.err(e))? else {
                    continue;
                };
                let found = FoundAnchor::decode_all(found.value()).ok_or_else(|| {
                    s.corrupt(format!("seen block {}", Hash256(id)), "bad length")
                })?;
                for anchor in found.into_iter().filter(|a| a.payload.root == root) {
                    let mut r = [0u8; 32];
                    r.copy_from_slice(root);
                    out.push((
                        r,
                        items.clone(),
                        Place {
                            block: Hash256(id),
                            height,
                            anchor,
                        },
                    ));
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anchor::{AnchorPayload, Outbox};

    fn item(b: u8) -> Item {
        Item::header([b; 32])
    }

    #[test]
    fn a_peers_leaves_are_stored_only_when_they_hash_to_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_data_dir(dir.path()).unwrap();
        Outbox::on(store.clone()).unwrap();
        let seen = SeenAnchors::on(store).unwrap();
        let items = [item(1), item(2), item(3)];
        let leaves: Vec<[u8; 33]> = items.iter().map(Item::leaf_data).collect();
        let root = merkle::root(&items.iter().map(Item::leaf).collect::<Vec<_>>()).unwrap();
        assert_eq!(
            seen.offer_items(&[0; 32], &leaves).unwrap(),
            Offer::Mismatch
        );
        assert_eq!(
            seen.offer_items(&root, &leaves[..2]).unwrap(),
            Offer::Mismatch
        );
        assert_eq!(seen.offer_items(&root, &[]).unwrap(), Offer::Malformed);
        let too_many = vec![leaves[0]; MAX_BATCH_LEAVES + 1];
        assert_eq!(
            seen.offer_items(&root, &too_many).unwrap(),
            Offer::Malformed
        );
        assert_eq!(
            seen.offer_items(&root, &[[9; 33]]).unwrap(),
            Offer::Malformed
        );
        assert_eq!(seen.items(&root).unwrap(), None);
        assert_eq!(seen.offer_items(&root, &leaves).unwrap(), Offer::Stored);
        assert_eq!(seen.offer_items(&root, &leaves).unwrap(), Offer::Known);
        assert_eq!(seen.items(&root).unwrap().unwrap(), items.to_vec());

        // Seen in a block: the item's place is found through its root.
        let anchor = FoundAnchor {
            txid: Hash256([7; 32]),
            tx_index: 1,
            payload: AnchorPayload {
                kinds: 1,
                seq: 0,
                root,
            },
        };
        let block = Hash256([5; 32]);
        assert_eq!(seen.block(&block).unwrap(), None);
        seen.put_block(&block, 12, &[anchor]).unwrap();
        assert_eq!(seen.block(&block).unwrap(), Some(vec![anchor]));
        let places = seen.places(&item(2)).unwrap();
        assert_eq!(places.len(), 1);
        assert_eq!(places[0].0, root);
        assert_eq!(places[0].2.height, 12);
        assert!(seen.places(&item(4)).unwrap().is_empty());
    }

    #[test]
    fn batches_sealed_before_the_table_existed_are_copied_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_data_dir(dir.path()).unwrap();
        let outbox = Outbox::on(store.clone()).unwrap();
        // A batch record as an older node wrote it: in the outbox only.
        let items = [item(1), item(2)];
        let root = merkle::root(&items.iter().map(Item::leaf).collect::<Vec<_>>()).unwrap();
        let record = BatchRecord {
            seq: 0,
            kinds: 1,
            root: hex::encode(root),
            items: items.iter().map(|i| hex::encode(i.leaf_data())).collect(),
            state: crate::anchor::BatchState::Sealed,
            tx: None,
            replaced_txids: Vec::new(),
            block: None,
            broadcasts: 0,
        };
        outbox.update(&record).unwrap();
        let seen = SeenAnchors::on(store.clone()).unwrap();
        assert_eq!(seen.items(&root).unwrap().unwrap(), items.to_vec());
        // Copied once: a batch recorded afterwards the same way is not picked up again.
        let later = [item(3)];
        let later_root = merkle::root(&[item(3).leaf()]).unwrap();
        outbox
            .update(&BatchRecord {
                seq: 1,
                root: hex::encode(later_root),
                items: later.iter().map(|i| hex::encode(i.leaf_data())).collect(),
                ..record
            })
            .unwrap();
        let seen = SeenAnchors::on(store).unwrap();
        assert_eq!(seen.items(&later_root).unwrap(), None);
    }
}
