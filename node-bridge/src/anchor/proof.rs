//! Inclusion proofs: an item → its batch root (merkle path) → the OP_RETURN of a transaction →
//! the block's transaction merkle root → a block header with valid proof of work on the node's
//! best chain.

use super::merkle::{self, Node};
use super::outbox::{BatchState, Outbox};
use super::payload::{AnchorPayload, Item, ItemKind};
use super::seen::SeenAnchors;
use super::txmerkle;
use super::txparse::parse_tx;
use crate::error::AnchorError;
use crate::pow::{check_pow, BlockHeader, Hash256};
use crate::rpc::RpcClient;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A self-contained proof that an item was anchored (JSON; hashes of the PoW chain in display
/// hex, batch-tree hashes in plain hex).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnchorProof {
    /// The item (hex).
    pub item: String,
    /// Its kind.
    pub kind: ItemKind,
    /// The batch's sequence number.
    pub batch_seq: u64,
    /// The item's leaf index in the batch tree.
    pub leaf_index: u64,
    /// The number of leaves of the batch tree.
    pub leaf_count: u64,
    /// The RFC 6962 inclusion path, leaf upwards (hex).
    pub batch_path: Vec<String>,
    /// The batch root (hex).
    pub root: String,
    /// The anchoring transaction.
    pub txid: String,
    /// The block holding it.
    pub block_hash: String,
    /// Its height when the proof was made.
    pub block_height: u64,
    /// The transaction's index in the block.
    pub tx_index: u64,
    /// The transaction's merkle path in the block (display hex, bottom up).
    pub tx_path: Vec<String>,
}

/// What checking a proof against the node found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProofCheck {
    /// Everything holds and the block is on the node's best chain.
    pub valid: bool,
    /// Confirmations of the block (0 when not on the best chain).
    pub confirmations: u64,
    /// The block's height.
    pub block_height: u64,
}

fn node32(s: &str) -> Result<Node, AnchorError> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(s, &mut out)
        .map_err(|e| AnchorError::Invalid(format!("bad hash {s:?}: {e}")))?;
    Ok(out)
}

fn hash256(s: &str) -> Result<Hash256, AnchorError> {
    Hash256::from_display_hex(s).map_err(|e| AnchorError::Invalid(format!("bad hash {s:?}: {e}")))
}

/// Builds the proof for `item` from the outbox and the node. The batch must be mined.
pub fn build_proof(
    outbox: &Outbox,
    rpc: &RpcClient,
    item: &Item,
) -> Result<AnchorProof, AnchorError> {
    let hex_item = hex::encode(item.hash);
    let seq = match outbox.batch_of(item)? {
        None => return Err(AnchorError::UnknownItem(hex_item)),
        Some(None) => {
            return Err(AnchorError::Invalid(format!(
                "item {hex_item} is not batched yet"
            )))
        }
        Some(Some(seq)) => seq,
    };
    let batch = outbox
        .batch(seq)?
        .ok_or_else(|| AnchorError::Invalid(format!("batch {seq} is missing")))?;
    let (Some(tx), Some(block), true) = (
        &batch.tx,
        &batch.block,
        matches!(batch.state, BatchState::Confirmed | BatchState::Final),
    ) else {
        return Err(AnchorError::Invalid(format!(
            "batch {seq} of item {hex_item} is not mined yet (state {:?})",
            batch.state
        )));
    };
    let items = batch
        .decoded_items()
        .ok_or_else(|| AnchorError::Invalid(format!("batch {seq} holds a bad item")))?;
    assemble(
        rpc,
        item,
        &items,
        seq,
        &batch.root,
        &hash256(&tx.txid)?,
        &hash256(&block.hash)?,
        block.height,
    )
}

/// The proof of `item` from a batch it is in (`items`, sequence `seq`, root hex `root`) carried
/// by transaction `txid` in block `block_hash` at `block_height` (its transactions read from the
/// node for the transaction path).
#[allow(clippy::too_many_arguments)]
fn assemble(
    rpc: &RpcClient,
    item: &Item,
    items: &[Item],
    seq: u64,
    root: &str,
    txid: &Hash256,
    block_hash: &Hash256,
    block_height: u64,
) -> Result<AnchorProof, AnchorError> {
    let hex_item = hex::encode(item.hash);
    let leaves: Vec<Node> = items.iter().map(Item::leaf).collect();
    let index = items
        .iter()
        .position(|i| i == item)
        .ok_or_else(|| AnchorError::Invalid(format!("batch {seq} does not list {hex_item}")))?;
    let path = merkle::path(&leaves, index).unwrap_or_default();
    let txids = rpc.block_txids(block_hash)?;
    let tx_index = txids.iter().position(|t| t == txid).ok_or_else(|| {
        AnchorError::Invalid(format!("block {block_hash} does not hold tx {txid}"))
    })?;
    let tx_path = txmerkle::merkle_path(&txids, tx_index).unwrap_or_default();
    Ok(AnchorProof {
        item: hex_item,
        kind: item.kind,
        batch_seq: seq,
        leaf_index: index as u64,
        leaf_count: leaves.len() as u64,
        batch_path: path.iter().map(hex::encode).collect(),
        root: root.to_string(),
        txid: txid.to_string(),
        block_hash: block_hash.to_string(),
        block_height,
        tx_index: tx_index as u64,
        tx_path: tx_path.iter().map(Hash256::to_string).collect(),
    })
}

/// The proof of `item` from every anchor this node has seen in its PoW chain, whoever sent it
/// ([`SeenAnchors`]): of the places whose block `on_best(height, id)` says is on the best chain,
/// the lowest (where finality counts the item). `None` when no such place is known.
pub fn build_seen_proof(
    seen: &SeenAnchors,
    rpc: &RpcClient,
    on_best: &dyn Fn(u64, &Hash256) -> bool,
    item: &Item,
) -> Result<Option<AnchorProof>, AnchorError> {
    let mut places = seen.places(item)?;
    places.sort_by_key(|(_, _, p)| (p.height, p.anchor.tx_index));
    let Some((root, items, place)) = places
        .into_iter()
        .find(|(_, _, p)| on_best(p.height, &p.block))
    else {
        return Ok(None);
    };
    assemble(
        rpc,
        item,
        &items,
        place.anchor.payload.seq,
        &hex::encode(root),
        &place.anchor.txid,
        &place.block,
        place.height,
    )
    .map(Some)
}

/// Checks a proof: the batch path gives the root; the transaction the node serves hashes to the
/// txid and carries the payload with that root; the txid folds up its path to the merkle root
/// of a header whose id and scrypt proof of work we check ourselves. Errors say which link
/// failed; `valid` is false only when all links hold but the block is off the best chain.
pub fn verify_proof(rpc: &RpcClient, proof: &AnchorProof) -> Result<ProofCheck, AnchorError> {
    let bad = |what: String| Err(AnchorError::Invalid(what));
    let item = Item {
        kind: proof.kind,
        hash: node32(&proof.item)?,
    };
    let path: Vec<Node> = proof
        .batch_path
        .iter()
        .map(|s| node32(s))
        .collect::<Result<_, _>>()?;
    let root = node32(&proof.root)?;
    if merkle::root_from_path(&item.leaf(), proof.leaf_index, proof.leaf_count, &path) != Some(root)
    {
        return bad("the batch path does not lead from the item to the root".into());
    }
    let txid = hash256(&proof.txid)?;
    let block_hash = hash256(&proof.block_hash)?;
    let raw_tx = rpc
        .raw_transaction(&txid, Some(&block_hash))?
        .ok_or_else(|| AnchorError::Invalid(format!("the node does not know tx {}", proof.txid)))?;
    let tx_bytes = raw_tx
        .get("hex")
        .and_then(Value::as_str)
        .and_then(|h| hex::decode(h).ok())
        .ok_or_else(|| AnchorError::Invalid("getrawtransaction gave no hex".into()))?;
    let parsed = parse_tx(&tx_bytes)
        .ok_or_else(|| AnchorError::Invalid("the anchoring transaction does not decode".into()))?;
    if parsed.txid != txid {
        return bad(format!(
            "the node's transaction hashes to {}, not {}",
            parsed.txid, proof.txid
        ));
    }
    let committed = parsed.output_scripts.iter().any(|s| {
        AnchorPayload::from_script_hex(&hex::encode(s))
            .is_some_and(|p| p.root == root && p.seq == proof.batch_seq)
    });
    if !committed {
        return bad("the transaction carries no anchor for this root".into());
    }
    let header = BlockHeader::decode(&rpc.raw_header(&block_hash)?)
        .map_err(|e| AnchorError::Invalid(format!("block header: {e}")))?;
    let check = check_pow(&header);
    if check.id != block_hash {
        return bad(format!(
            "the node's header hashes to {}, not {}",
            check.id, proof.block_hash
        ));
    }
    check
        .verdict
        .map_err(|e| AnchorError::Invalid(format!("block header: {e}")))?;
    let info = rpc.header_info(&block_hash)?;
    if proof.tx_index >= info.n_tx {
        return bad(format!(
            "tx index {} but the block has {} transactions",
            proof.tx_index, info.n_tx
        ));
    }
    let tx_path: Vec<Hash256> = proof
        .tx_path
        .iter()
        .map(|s| hash256(s))
        .collect::<Result<_, _>>()?;
    if txmerkle::root_from_path(&txid, proof.tx_index, &tx_path) != header.merkle_root {
        return bad("the transaction path does not lead to the block's merkle root".into());
    }
    let confirmations = u64::try_from(info.confirmations).unwrap_or(0);
    Ok(ProofCheck {
        valid: confirmations > 0,
        confirmations,
        block_height: info.height,
    })
}
