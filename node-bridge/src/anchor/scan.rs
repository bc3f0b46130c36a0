//! Reading anchors out of PoW blocks: every `MPOC` commitment in a block of the node's own
//! verified PoW chain, whoever sent it (`docs/anchoring.md`, "Anchors of other nodes"). The
//! block's transactions come from the node, but the list is checked against the merkle root of
//! the header the follower verified, and every transaction is decoded here (its txid recomputed,
//! its outputs read from its bytes, not from the node's JSON), so the node cannot add, move,
//! alter or hide an anchor.

use super::payload::AnchorPayload;
use super::txmerkle;
use super::txparse::parse_tx;
use crate::error::AnchorError;
use crate::pow::Hash256;
use crate::rpc::RpcClient;
use serde_json::Value;

/// Encoded length of one [`FoundAnchor`].
pub const FOUND_LEN: usize = 32 + 4 + 46;

/// One anchor found in a PoW block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FoundAnchor {
    /// The anchoring transaction.
    pub txid: Hash256,
    /// Its index in the block.
    pub tx_index: u32,
    /// The commitment it carries.
    pub payload: AnchorPayload,
}

impl FoundAnchor {
    /// `txid (32, internal order) ‖ tx_index (u32 BE) ‖ payload (46)`.
    #[must_use]
    pub fn encode(&self) -> [u8; FOUND_LEN] {
        let mut out = [0u8; FOUND_LEN];
        out[..32].copy_from_slice(&self.txid.0);
        out[32..36].copy_from_slice(&self.tx_index.to_be_bytes());
        out[36..].copy_from_slice(&self.payload.encode());
        out
    }

    /// Decodes [`FoundAnchor::encode`]'s bytes.
    #[must_use]
    pub fn decode(data: &[u8]) -> Option<Self> {
        if data.len() != FOUND_LEN {
            return None;
        }
        let mut txid = [0u8; 32];
        txid.copy_from_slice(&data[..32]);
        let tx_index = u32::from_be_bytes(data[32..36].try_into().ok()?);
        Some(FoundAnchor {
            txid: Hash256(txid),
            tx_index,
            payload: AnchorPayload::decode(&data[36..])?,
        })
    }

    /// Decodes a list of encodings laid end to end.
    #[must_use]
    pub fn decode_all(data: &[u8]) -> Option<Vec<Self>> {
        if !data.len().is_multiple_of(FOUND_LEN) {
            return None;
        }
        data.chunks(FOUND_LEN).map(Self::decode).collect()
    }
}

fn bad(what: impl Into<String>) -> AnchorError {
    AnchorError::Invalid(what.into())
}

/// The anchors of a block given as `getblock HASH 2` JSON, whose header (already verified) has
/// `merkle_root`. Pure: the txids listed must fold to `merkle_root`, and every transaction is
/// decoded here to its listed txid; its outputs are read from its bytes. Transactions this
/// decoder cannot read (MWEB) are skipped unless the node's JSON shows an `MPOC` output in one.
pub fn anchors_in_block(
    block: &Value,
    merkle_root: &Hash256,
) -> Result<Vec<FoundAnchor>, AnchorError> {
    let txs = block
        .get("tx")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("getblock gave no transaction list"))?;
    let mut txids = Vec::with_capacity(txs.len());
    let mut found = Vec::new();
    for (index, tx) in txs.iter().enumerate() {
        let txid = tx
            .get("txid")
            .and_then(Value::as_str)
            .and_then(|s| Hash256::from_display_hex(s).ok())
            .ok_or_else(|| bad(format!("getblock: transaction {index} has no txid")))?;
        txids.push(txid);
        let raw = tx
            .get("hex")
            .and_then(Value::as_str)
            .and_then(|h| hex::decode(h).ok())
            .ok_or_else(|| bad(format!("getblock: transaction {txid} has no hex")))?;
        let Some(parsed) = parse_tx(&raw) else {
            // Only a transaction this decoder cannot read (an MWEB one) is taken at the node's
            // word, and anchors are never such transactions.
            let claims_anchor = tx
                .get("vout")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|o| o.pointer("/scriptPubKey/hex").and_then(Value::as_str))
                .any(|s| AnchorPayload::from_script_hex(s).is_some());
            if claims_anchor {
                return Err(bad(format!("anchoring transaction {txid} does not decode")));
            }
            continue;
        };
        if parsed.txid != txid {
            return Err(bad(format!(
                "the node's transaction {index} hashes to {}, not {txid}",
                parsed.txid
            )));
        }
        let tx_index = u32::try_from(index).map_err(|_| bad("too many transactions"))?;
        for script in &parsed.output_scripts {
            if let Some(payload) = AnchorPayload::from_script_hex(&hex::encode(script)) {
                found.push(FoundAnchor {
                    txid,
                    tx_index,
                    payload,
                });
            }
        }
    }
    if txmerkle::merkle_root(&txids).as_ref() != Some(merkle_root) {
        return Err(bad(
            "the node's transactions do not fold to the verified header's merkle root",
        ));
    }
    Ok(found)
}

/// The anchors of block `hash` (header verified by the follower, with `merkle_root`), read from
/// the node.
pub fn scan_block(
    rpc: &RpcClient,
    hash: &Hash256,
    merkle_root: &Hash256,
) -> Result<Vec<FoundAnchor>, AnchorError> {
    let block = rpc.block_verbose(hash)?;
    anchors_in_block(&block, merkle_root).map_err(|e| match e {
        AnchorError::Invalid(what) => AnchorError::Invalid(format!("PoW block {hash}: {what}")),
        other => other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tx_hex(script: &str) -> String {
        // version 1, one input (null outpoint, empty script), one output, locktime 0.
        let mut s = String::from("01000000");
        s.push_str("01");
        s.push_str(&"00".repeat(32));
        s.push_str("ffffffff00ffffffff");
        s.push_str("01");
        s.push_str(&"00".repeat(8));
        s.push_str(&format!("{:02x}{script}", script.len() / 2));
        s.push_str("00000000");
        s
    }

    fn block_of(hexes: &[String]) -> (Value, Hash256) {
        let txs: Vec<Value> = hexes
            .iter()
            .map(|h| {
                let parsed = parse_tx(&hex::decode(h).unwrap()).unwrap();
                let script = hex::encode(&parsed.output_scripts[0]);
                json!({"txid": parsed.txid.to_string(), "hex": h,
                       "vout": [{"scriptPubKey": {"hex": script}}]})
            })
            .collect();
        let ids: Vec<Hash256> = txs
            .iter()
            .map(|t| Hash256::from_display_hex(t["txid"].as_str().unwrap()).unwrap())
            .collect();
        (json!({ "tx": txs }), txmerkle::merkle_root(&ids).unwrap())
    }

    fn payload(seq: u64) -> AnchorPayload {
        AnchorPayload {
            kinds: 1,
            seq,
            root: [seq as u8; 32],
        }
    }

    #[test]
    fn finds_every_commitment_and_checks_the_merkle_root() {
        let hexes = vec![
            tx_hex("51"),
            tx_hex(&payload(3).script_hex()),
            tx_hex(&payload(9).script_hex()),
        ];
        let (block, root) = block_of(&hexes);
        let found = anchors_in_block(&block, &root).unwrap();
        assert_eq!(found.len(), 2);
        assert_eq!((found[0].tx_index, found[0].payload), (1, payload(3)));
        assert_eq!((found[1].tx_index, found[1].payload), (2, payload(9)));
        let bytes: Vec<u8> = found.iter().flat_map(FoundAnchor::encode).collect();
        assert_eq!(FoundAnchor::decode_all(&bytes), Some(found));
        // Another header's root: the node's list is refused.
        let err = anchors_in_block(&block, &Hash256([1; 32])).unwrap_err();
        assert!(err.to_string().contains("merkle root"), "{err}");
    }

    #[test]
    fn a_node_that_alters_or_hides_an_anchor_is_caught() {
        let hexes = vec![tx_hex("51"), tx_hex(&payload(3).script_hex())];
        let (mut block, root) = block_of(&hexes);
        // The JSON claims another root than the transaction's bytes carry: the bytes count.
        block["tx"][1]["vout"][0]["scriptPubKey"]["hex"] = json!(payload(4).script_hex());
        assert_eq!(
            anchors_in_block(&block, &root).unwrap()[0].payload,
            payload(3)
        );
        // The JSON hides the commitment: the bytes still show it.
        block["tx"][1]["vout"][0]["scriptPubKey"]["hex"] = json!("51");
        assert_eq!(
            anchors_in_block(&block, &root).unwrap()[0].payload,
            payload(3)
        );
        // Bytes that do not hash to the listed txid.
        block["tx"][1]["hex"] = json!(tx_hex(&payload(5).script_hex()));
        let err = anchors_in_block(&block, &root).unwrap_err();
        assert!(err.to_string().contains("hashes to"), "{err}");
    }
}
