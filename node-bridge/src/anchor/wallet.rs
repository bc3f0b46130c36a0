//! The wallet calls behind an anchor transaction: fund and sign a new one, build a fee bump
//! that spends the same inputs (replace-by-fee, BIP 125), and unlock the inputs of a
//! transaction that will never be sent.

use super::budget::{litoshi_of, ltc_string};
use super::outbox::SignedTx;
use crate::error::{AnchorError, RpcError};
use crate::rpc::RpcClient;
use serde_json::{json, Value};

/// BIP 125 opt-in sequence (`0xfffffffd`), as `createrawtransaction … replaceable=true` sets.
const RBF_SEQUENCE: u64 = 0xffff_fffd;

/// A change output below this (litoshi) is not worth a bump: the bump is skipped.
const MIN_CHANGE: u64 = 10_000;

/// A funded, signed transaction not yet recorded.
#[derive(Debug, Clone)]
pub struct Built {
    /// The transaction.
    pub tx: SignedTx,
    /// Its inputs, as `{"txid", "vout"}` objects (to unlock if it is abandoned).
    pub inputs: Vec<Value>,
}

/// What a field of an RPC answer must be.
pub(crate) fn str_field(method: &str, v: &Value, field: &str) -> Result<String, AnchorError> {
    v.get(field)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| unexpected(method, format!("no {field} in {v}")))
}

fn unexpected(method: &str, detail: String) -> AnchorError {
    AnchorError::Rpc(RpcError::UnexpectedResult {
        method: method.to_string(),
        detail,
    })
}

fn inputs_of(decoded: &Value) -> Vec<Value> {
    decoded["vin"]
        .as_array()
        .map(|vin| {
            vin.iter()
                .filter_map(|i| Some(json!({"txid": i.get("txid")?, "vout": i.get("vout")?})))
                .collect()
        })
        .unwrap_or_default()
}

/// Funds (`fundrawtransaction`, inputs locked, replaceable) and signs a transaction whose only
/// output of ours is `payload_hex` as `OP_RETURN`; the wallet adds inputs and change.
/// "Insufficient funds" says what the wallet holds and how much of it is locked.
pub fn fund_and_sign(
    rpc: &RpcClient,
    wallet: &RpcClient,
    payload_hex: &str,
) -> Result<Built, AnchorError> {
    let raw: String = wallet.call(
        "createrawtransaction",
        json!([[], [{ "data": payload_hex }], 0, true]),
    )?;
    let funded = match wallet.call_value(
        "fundrawtransaction",
        json!([raw, {"lockUnspents": true, "replaceable": true}]),
    ) {
        Ok(v) => v,
        Err(e) if e.node_code() == Some(-4) || e.node_code() == Some(-6) => {
            return Err(AnchorError::Invalid(format!(
                "{}; {}",
                masspoc_report::Report(&e),
                describe_funds(wallet)
            )))
        }
        Err(e) => return Err(e.into()),
    };
    let fee = litoshi_of(&funded["fee"])
        .ok_or_else(|| unexpected("fundrawtransaction", format!("no fee in {funded}")))?;
    let funded_hex = str_field("fundrawtransaction", &funded, "hex")?;
    let decoded = rpc.call_value("decoderawtransaction", json!([funded_hex]))?;
    let inputs = inputs_of(&decoded);
    match sign(rpc, wallet, &funded_hex) {
        Ok((txid, hex)) => Ok(Built {
            tx: SignedTx {
                txid,
                hex,
                fee: Some(fee),
                sent_height: None,
            },
            inputs,
        }),
        Err(e) => {
            unlock(wallet, &inputs);
            Err(e)
        }
    }
}

fn sign(
    rpc: &RpcClient,
    wallet: &RpcClient,
    hex_tx: &str,
) -> Result<(String, String), AnchorError> {
    let signed = wallet.call_value("signrawtransactionwithwallet", json!([hex_tx]))?;
    if signed.get("complete").and_then(Value::as_bool) != Some(true) {
        return Err(AnchorError::Invalid(format!(
            "signrawtransactionwithwallet: incomplete signature: {signed}"
        )));
    }
    let hex = str_field("signrawtransactionwithwallet", &signed, "hex")?;
    let decoded = rpc.call_value("decoderawtransaction", json!([hex]))?;
    let txid = str_field("decoderawtransaction", &decoded, "txid")?;
    Ok((txid, hex))
}

/// The inputs of a signed transaction.
pub fn inputs(rpc: &RpcClient, hex_tx: &str) -> Result<Vec<Value>, AnchorError> {
    Ok(inputs_of(
        &rpc.call_value("decoderawtransaction", json!([hex_tx]))?,
    ))
}

/// Unlocks `inputs` in the wallet (`lockunspent true`), one by one: an input that is not locked
/// (any more), spent or unknown is skipped.
pub fn unlock(wallet: &RpcClient, inputs: &[Value]) {
    for input in inputs {
        if let Err(e) = wallet.call_value("lockunspent", json!([true, [input]])) {
            tracing::debug!(input = %input, error = %masspoc_report::Report(&e), "input not unlocked");
        }
    }
}

fn describe_funds(wallet: &RpcClient) -> String {
    let balances = wallet.call_value("getbalances", json!([])).ok();
    let locked = wallet
        .call_value("listlockunspent", json!([]))
        .ok()
        .and_then(|v| v.as_array().map(Vec::len));
    let mine = balances.as_ref().map(|b| &b["mine"]);
    format!(
        "the wallet has {} LTC confirmed, {} LTC unconfirmed, {} immature; {} outputs locked by \
         anchor transactions not yet sent",
        mine.map_or("?".into(), |m| m["trusted"].to_string()),
        mine.map_or("?".into(), |m| m["untrusted_pending"].to_string()),
        mine.map_or("?".into(), |m| m["immature"].to_string()),
        locked.map_or("?".into(), |n| n.to_string()),
    )
}

/// A replacement of `current` (BIP 125): the same inputs and outputs (its `OP_RETURN` carrying
/// `payload_hex`), its change lowered so that the fee rises by `delta` litoshi, signed. `Ok(None)` when the change is too small to pay
/// it. The minimum bump the node accepts is [`min_bump`].
pub fn bump(
    rpc: &RpcClient,
    wallet: &RpcClient,
    current: &SignedTx,
    payload_hex: &str,
    old_fee: u64,
    delta: u64,
) -> Result<Option<SignedTx>, AnchorError> {
    let decoded = rpc.call_value("decoderawtransaction", json!([current.hex]))?;
    let vin: Vec<Value> = inputs_of(&decoded)
        .into_iter()
        .map(|mut i| {
            i["sequence"] = json!(RBF_SEQUENCE);
            i
        })
        .collect();
    let vout = decoded["vout"]
        .as_array()
        .ok_or_else(|| unexpected("decoderawtransaction", "no vout".into()))?;
    // The change is the largest output that is not the OP_RETURN.
    let change = vout
        .iter()
        .enumerate()
        .filter(|(_, o)| o["scriptPubKey"]["type"] != "nulldata")
        .max_by_key(|(_, o)| litoshi_of(&o["value"]).unwrap_or(0))
        .map(|(i, _)| i);
    let Some(change) = change else {
        return Ok(None);
    };
    let mut outputs = Vec::with_capacity(vout.len());
    for (i, o) in vout.iter().enumerate() {
        let spk = &o["scriptPubKey"];
        if spk["type"] == "nulldata" {
            outputs.push(json!({ "data": payload_hex }));
            continue;
        }
        let address = spk["address"]
            .as_str()
            .or_else(|| spk["addresses"][0].as_str())
            .ok_or_else(|| unexpected("decoderawtransaction", format!("no address in {o}")))?;
        let mut value = litoshi_of(&o["value"])
            .ok_or_else(|| unexpected("decoderawtransaction", format!("bad value in {o}")))?;
        if i == change {
            match value.checked_sub(delta) {
                Some(v) if v >= MIN_CHANGE => value = v,
                _ => return Ok(None),
            }
        }
        outputs.push(json!({ address: ltc_string(value) }));
    }
    let raw: String = wallet.call("createrawtransaction", json!([vin, outputs, 0, true]))?;
    let (txid, hex) = sign(rpc, wallet, &raw)?;
    Ok(Some(SignedTx {
        txid,
        hex,
        fee: Some(old_fee + delta),
        sent_height: None,
    }))
}

/// The least a bump of a transaction of `vsize` virtual bytes paying `old_fee` adds so the node
/// takes the replacement: BIP 125 rule 4 (the node's `incrementalfee` × size), and at least the
/// old fee again, so the rate doubles.
pub fn min_bump(rpc: &RpcClient, hex_tx: &str, old_fee: u64) -> Result<u64, AnchorError> {
    let decoded = rpc.call_value("decoderawtransaction", json!([hex_tx]))?;
    let vsize = decoded["vsize"].as_u64().unwrap_or(1000);
    let per_kvb = rpc
        .call_value("getnetworkinfo", json!([]))
        .ok()
        .and_then(|n| litoshi_of(&n["incrementalfee"]))
        .unwrap_or(1000);
    Ok(old_fee.max((per_kvb * vsize).div_ceil(1000)).max(1))
}
