//! Typed wrappers over the litecoind calls the bridge uses.

use super::client::RpcClient;
use crate::error::RpcError;
use crate::pow::Hash256;
use serde::Deserialize;
use serde_json::{json, Value};

/// Part of `getblockheader HASH true`.
#[derive(Debug, Clone, Deserialize)]
pub struct HeaderInfo {
    /// Block hash (display hex).
    pub hash: String,
    /// Height.
    pub height: u64,
    /// Confirmations; -1 when the block is not on the best chain.
    pub confirmations: i64,
    /// Merkle root (display hex).
    pub merkleroot: String,
    /// Number of transactions in the block.
    #[serde(rename = "nTx", default)]
    pub n_tx: u64,
    /// The block's timestamp, seconds since the Unix epoch (0 when the node does not say).
    #[serde(default)]
    pub time: u64,
}

/// Part of `gettransaction`/`getrawtransaction … true`.
#[derive(Debug, Clone, Deserialize)]
pub struct TxInfo {
    /// Confirmations (absent or 0 when unconfirmed, negative when conflicted).
    #[serde(default)]
    pub confirmations: i64,
    /// The block that holds it.
    #[serde(default)]
    pub blockhash: Option<String>,
}

fn hash_of(method: &str, v: &Value) -> Result<Hash256, RpcError> {
    v.as_str()
        .and_then(|s| Hash256::from_display_hex(s).ok())
        .ok_or_else(|| RpcError::UnexpectedResult {
            method: method.to_string(),
            detail: format!("expected a 64-digit hash, got {v}"),
        })
}

impl RpcClient {
    /// `getblockchaininfo`'s `chain`: which network the node is on (`main`, `test`, `regtest`).
    pub fn chain_name(&self) -> Result<String, RpcError> {
        #[derive(Deserialize)]
        struct Info {
            chain: String,
        }
        Ok(self.call::<Info>("getblockchaininfo", json!([]))?.chain)
    }

    /// `getblockcount`.
    pub fn block_count(&self) -> Result<u64, RpcError> {
        self.call("getblockcount", json!([]))
    }

    /// `getbestblockhash`.
    pub fn best_block_hash(&self) -> Result<Hash256, RpcError> {
        hash_of(
            "getbestblockhash",
            &self.call_value("getbestblockhash", json!([]))?,
        )
    }

    /// `getblockhash HEIGHT`.
    pub fn block_hash(&self, height: u64) -> Result<Hash256, RpcError> {
        hash_of(
            "getblockhash",
            &self.call_value("getblockhash", json!([height]))?,
        )
    }

    /// `getblockheader HASH false`: the raw 80-byte header.
    pub fn raw_header(&self, hash: &Hash256) -> Result<Vec<u8>, RpcError> {
        let v: String = self.call("getblockheader", json!([hash.to_string(), false]))?;
        hex::decode(&v).map_err(|e| RpcError::UnexpectedResult {
            method: "getblockheader".to_string(),
            detail: format!("header is not hex: {e}"),
        })
    }

    /// `getblockheader HASH true`.
    pub fn header_info(&self, hash: &Hash256) -> Result<HeaderInfo, RpcError> {
        self.call("getblockheader", json!([hash.to_string(), true]))
    }

    /// Block hashes and raw headers for `heights`, in two batched requests.
    pub fn headers_at(&self, heights: &[u64]) -> Result<Vec<(Hash256, Vec<u8>)>, RpcError> {
        let calls: Vec<(&str, Value)> = heights
            .iter()
            .map(|h| ("getblockhash", json!([h])))
            .collect();
        let hashes = self
            .batch(&calls)?
            .into_iter()
            .map(|r| r.and_then(|v| hash_of("getblockhash", &v)))
            .collect::<Result<Vec<_>, _>>()?;
        let calls: Vec<(&str, Value)> = hashes
            .iter()
            .map(|h| ("getblockheader", json!([h.to_string(), false])))
            .collect();
        let raws = self.batch(&calls)?;
        hashes
            .into_iter()
            .zip(raws)
            .map(|(h, r)| {
                let v = r?;
                let raw = v
                    .as_str()
                    .and_then(|s| hex::decode(s).ok())
                    .ok_or_else(|| RpcError::UnexpectedResult {
                        method: "getblockheader".to_string(),
                        detail: format!("expected a hex header, got {v}"),
                    })?;
                Ok((h, raw))
            })
            .collect()
    }

    /// `getblock HASH 1`: the txids of a block, in block order.
    pub fn block_txids(&self, hash: &Hash256) -> Result<Vec<Hash256>, RpcError> {
        let v = self.call_value("getblock", json!([hash.to_string(), 1]))?;
        let txs =
            v.get("tx")
                .and_then(Value::as_array)
                .ok_or_else(|| RpcError::UnexpectedResult {
                    method: "getblock".to_string(),
                    detail: "no tx list".to_string(),
                })?;
        txs.iter().map(|t| hash_of("getblock", t)).collect()
    }

    /// `getblock HASH 2`: the block with decoded transactions (JSON; works with MWEB data too).
    pub fn block_verbose(&self, hash: &Hash256) -> Result<Value, RpcError> {
        self.call_value("getblock", json!([hash.to_string(), 2]))
    }

    /// `getrawtransaction TXID true [BLOCKHASH]`; `None` when the node does not know the tx.
    pub fn raw_transaction(
        &self,
        txid: &Hash256,
        block: Option<&Hash256>,
    ) -> Result<Option<Value>, RpcError> {
        let mut params = vec![json!(txid.to_string()), json!(true)];
        if let Some(b) = block {
            params.push(json!(b.to_string()));
        }
        match self.call_value("getrawtransaction", Value::Array(params)) {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.node_code() == Some(-5) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `sendrawtransaction HEX` → txid. "Already in the chain" (-27) counts as success.
    pub fn send_raw_transaction(&self, hex_tx: &str, txid: &Hash256) -> Result<Hash256, RpcError> {
        match self.call_value("sendrawtransaction", json!([hex_tx])) {
            Ok(v) => hash_of("sendrawtransaction", &v),
            Err(e) if e.node_code() == Some(-27) => Ok(*txid),
            Err(e) => Err(e),
        }
    }

    /// `createwallet NAME`.
    pub fn create_wallet(&self, name: &str) -> Result<(), RpcError> {
        self.call_value("createwallet", json!([name])).map(|_| ())
    }

    /// `loadwallet NAME`; an already loaded wallet is fine.
    pub fn load_wallet(&self, name: &str) -> Result<(), RpcError> {
        match self.call_value("loadwallet", json!([name])) {
            Ok(_) => Ok(()),
            Err(e) if e.node_code() == Some(-35) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// `getnewaddress` (wallet client).
    pub fn new_address(&self) -> Result<String, RpcError> {
        self.call("getnewaddress", json!([]))
    }

    /// `generatetoaddress N ADDRESS` → the new block hashes.
    pub fn generate_to_address(&self, n: u64, address: &str) -> Result<Vec<Hash256>, RpcError> {
        let v: Vec<String> = self.call("generatetoaddress", json!([n, address]))?;
        v.iter()
            .map(|s| hash_of("generatetoaddress", &Value::from(s.as_str())))
            .collect()
    }

    /// `invalidateblock HASH`.
    pub fn invalidate_block(&self, hash: &Hash256) -> Result<(), RpcError> {
        self.call_value("invalidateblock", json!([hash.to_string()]))
            .map(|_| ())
    }

    /// `getrawmempool` → txids.
    pub fn mempool(&self) -> Result<Vec<Hash256>, RpcError> {
        let v: Vec<String> = self.call("getrawmempool", json!([]))?;
        v.iter()
            .map(|s| hash_of("getrawmempool", &Value::from(s.as_str())))
            .collect()
    }
}
