//! The JSON form of a header: every field by name (snake_case, lowercase hex, integers as
//! numbers), plus the derived `hash`; parsing re-checks `hash` when present.

use crate::challenge::Slot;
use crate::error::RejectError;
use crate::header::{Header, HEADER_VERSION};
use crate::types::{ChainId, HeaderHash, Height, PayloadRoot};
use masspoc_proof::vrf::{VrfProof, VrfPublicKey};
use masspoc_proof::Proof;
use serde::{Deserialize, Serialize};

/// A header as JSON (`docs/protocol.md`, "Header JSON").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeaderJson {
    /// Always 1.
    pub version: u8,
    /// Chain id (hex).
    pub chain_id: ChainId,
    /// Height.
    pub height: u64,
    /// Parent hash (hex).
    pub prev_hash: HeaderHash,
    /// Timestamp, ms since the Unix epoch.
    pub timestamp_ms: u64,
    /// Slot counter.
    pub slot: u32,
    /// Difficulty.
    pub difficulty: u64,
    /// The 81-byte proof encoding (hex).
    pub proof: String,
    /// VRF public key (hex, 32 bytes; not validated here).
    pub vrf_pk: String,
    /// VRF proof pi (hex, 80 bytes).
    pub vrf_proof: VrfProof,
    /// Payload root (hex).
    pub payload_root: PayloadRoot,
    /// ed25519 signature (hex, 64 bytes).
    pub signature: String,
    /// The header hash (hex); derived on output, checked on input when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<HeaderHash>,
}

impl From<&Header> for HeaderJson {
    fn from(h: &Header) -> Self {
        HeaderJson {
            version: HEADER_VERSION,
            chain_id: h.chain_id,
            height: h.height.0,
            prev_hash: h.prev_hash,
            timestamp_ms: h.timestamp_ms,
            slot: h.slot.0,
            difficulty: h.difficulty,
            proof: hex::encode(h.proof.encode()),
            vrf_pk: hex::encode(h.vrf_pk.0),
            vrf_proof: h.vrf_proof,
            payload_root: h.payload_root,
            signature: hex::encode(h.signature),
            hash: Some(h.hash()),
        }
    }
}

fn hex_array<const N: usize>(what: &str, s: &str) -> Result<[u8; N], RejectError> {
    let mut out = [0u8; N];
    hex::decode_to_slice(s, &mut out).map_err(|e| {
        RejectError::BadEncoding(format!("{what} must be {} hex digits: {e}", 2 * N))
    })?;
    Ok(out)
}

impl TryFrom<&HeaderJson> for Header {
    type Error = RejectError;
    fn try_from(j: &HeaderJson) -> Result<Header, RejectError> {
        if j.version != HEADER_VERSION {
            return Err(RejectError::BadEncoding(format!(
                "header version {} is not {HEADER_VERSION}",
                j.version
            )));
        }
        let proof = Proof::decode(&hex_array::<81>("proof", &j.proof)?)
            .map_err(|e| RejectError::BadEncoding(format!("proof: {e}")))?;
        let header = Header {
            chain_id: j.chain_id,
            height: Height(j.height),
            prev_hash: j.prev_hash,
            timestamp_ms: j.timestamp_ms,
            slot: Slot(j.slot),
            difficulty: j.difficulty,
            proof,
            vrf_pk: VrfPublicKey(hex_array("vrf_pk", &j.vrf_pk)?),
            vrf_proof: j.vrf_proof,
            payload_root: j.payload_root,
            signature: hex_array("signature", &j.signature)?,
        };
        if let Some(hash) = j.hash {
            if hash != header.hash() {
                return Err(RejectError::BadEncoding(
                    "the JSON `hash` is not the hash of the other fields".into(),
                ));
            }
        }
        Ok(header)
    }
}

/// Parses one header from text: a JSON object (the form above, or `{"header": "hex"}`) or the hex
/// of the binary encoding.
pub fn parse_header_text(text: &str) -> Result<Header, RejectError> {
    let t = text.trim();
    if t.starts_with('{') {
        #[derive(Deserialize)]
        struct Wrapped {
            header: String,
        }
        if let Ok(w) = serde_json::from_str::<Wrapped>(t) {
            return Header::from_hex(&w.header);
        }
        let j: HeaderJson = serde_json::from_str(t)
            .map_err(|e| RejectError::BadEncoding(format!("header JSON: {e}")))?;
        Header::try_from(&j)
    } else {
        Header::from_hex(t)
    }
}
