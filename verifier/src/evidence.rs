//! Slashing evidence: two headers signed by one farmer for one chain and height, with different
//! hashes. Self-contained: [`verify_evidence`] needs no other state.
//!
//! Binary encoding (`docs/protocol.md`, "Evidence"): `header_a[382] || header_b[382]` with
//! `hash(header_a) < hash(header_b)` (byte-wise), so the same pair always encodes the same way.

use crate::error::EvidenceError;
use crate::header::{Header, HEADER_LEN};
use crate::header_json::HeaderJson;
use crate::types::{ChainId, EvidenceId, Height};
use masspoc_proof::FarmerPublicKey;
use serde::{Deserialize, Serialize};

/// Length of an evidence encoding.
pub const EVIDENCE_LEN: usize = 2 * HEADER_LEN;
/// Domain tag of the evidence id.
pub const EVIDENCE_ID_TAG: &[u8] = b"masspoc/v1/evidence";

/// Verified evidence of equivocation. Construct with [`Evidence::new`] or [`Evidence::decode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Evidence {
    a: Header,
    b: Header,
}

impl Evidence {
    /// Builds evidence from two headers in either order and verifies it.
    pub fn new(x: Header, y: Header) -> Result<Evidence, EvidenceError> {
        let (a, b) = if x.hash() <= y.hash() { (x, y) } else { (y, x) };
        let e = Evidence { a, b };
        e.check()?;
        Ok(e)
    }

    /// Decodes and verifies exactly [`EVIDENCE_LEN`] bytes.
    pub fn decode(bytes: &[u8]) -> Result<Evidence, EvidenceError> {
        if bytes.len() != EVIDENCE_LEN {
            return Err(EvidenceError::BadEncoding(format!(
                "evidence is {EVIDENCE_LEN} bytes, got {}",
                bytes.len()
            )));
        }
        let dec = |b: &[u8], which: &str| {
            Header::decode(b)
                .map_err(|e| EvidenceError::BadEncoding(format!("header {which}: {e}")))
        };
        let e = Evidence {
            a: dec(&bytes[..HEADER_LEN], "a")?,
            b: dec(&bytes[HEADER_LEN..], "b")?,
        };
        e.check()?;
        Ok(e)
    }

    /// Decodes the hex of an encoding.
    pub fn from_hex(s: &str) -> Result<Evidence, EvidenceError> {
        let bytes = hex::decode(s.trim())
            .map_err(|e| EvidenceError::BadEncoding(format!("evidence hex: {e}")))?;
        Evidence::decode(&bytes)
    }

    fn check(&self) -> Result<(), EvidenceError> {
        let (a, b) = (&self.a, &self.b);
        if a.chain_id != b.chain_id {
            return Err(EvidenceError::DifferentChains);
        }
        if a.height != b.height {
            return Err(EvidenceError::DifferentHeights);
        }
        if a.farmer() != b.farmer() {
            return Err(EvidenceError::DifferentKeys);
        }
        let (ha, hb) = (a.hash(), b.hash());
        if ha == hb {
            return Err(EvidenceError::SameHeader);
        }
        if ha > hb {
            return Err(EvidenceError::BadEncoding(
                "headers not in canonical order (lower hash first)".into(),
            ));
        }
        a.verify_signature()
            .map_err(|_| EvidenceError::BadSignature("a"))?;
        b.verify_signature()
            .map_err(|_| EvidenceError::BadSignature("b"))?;
        Ok(())
    }

    /// The canonical encoding.
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(EVIDENCE_LEN);
        v.extend_from_slice(&self.a.encode());
        v.extend_from_slice(&self.b.encode());
        v
    }

    /// `BLAKE3(EVIDENCE_ID_TAG || encode())`: equal for equal evidence, the de-duplication key.
    #[must_use]
    pub fn id(&self) -> EvidenceId {
        let mut h = blake3::Hasher::new();
        h.update(EVIDENCE_ID_TAG);
        h.update(&self.encode());
        EvidenceId(*h.finalize().as_bytes())
    }

    /// The two headers, lower hash first.
    #[must_use]
    pub fn headers(&self) -> (&Header, &Header) {
        (&self.a, &self.b)
    }

    /// The chain.
    #[must_use]
    pub fn chain_id(&self) -> ChainId {
        self.a.chain_id
    }

    /// The height.
    #[must_use]
    pub fn height(&self) -> Height {
        self.a.height
    }

    /// The equivocating farmer.
    #[must_use]
    pub fn farmer(&self) -> FarmerPublicKey {
        self.a.farmer()
    }
}

/// Decodes and checks evidence bytes with no other state.
pub fn verify_evidence(bytes: &[u8]) -> Result<Evidence, EvidenceError> {
    Evidence::decode(bytes)
}

/// Evidence as JSON: a summary and the two headers in their JSON form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceJson {
    /// Evidence id (hex).
    pub id: EvidenceId,
    /// Chain id (hex).
    pub chain_id: ChainId,
    /// Height.
    pub height: u64,
    /// The equivocating farmer key (hex).
    pub farmer_pk: FarmerPublicKey,
    /// The header with the lower hash.
    pub header_a: HeaderJson,
    /// The other header.
    pub header_b: HeaderJson,
    /// Hex of the binary encoding.
    pub encoded: String,
}

impl From<&Evidence> for EvidenceJson {
    fn from(e: &Evidence) -> Self {
        EvidenceJson {
            id: e.id(),
            chain_id: e.chain_id(),
            height: e.height().0,
            farmer_pk: e.farmer(),
            header_a: HeaderJson::from(&e.a),
            header_b: HeaderJson::from(&e.b),
            encoded: hex::encode(e.encode()),
        }
    }
}

impl TryFrom<&EvidenceJson> for Evidence {
    type Error = EvidenceError;
    fn try_from(j: &EvidenceJson) -> Result<Evidence, EvidenceError> {
        let e = Evidence::from_hex(&j.encoded)?;
        let header = |h: &HeaderJson| {
            Header::try_from(h).map_err(|e| EvidenceError::BadEncoding(e.to_string()))
        };
        let same = header(&j.header_a)? == e.a
            && header(&j.header_b)? == e.b
            && j.id == e.id()
            && j.chain_id == e.chain_id()
            && j.height == e.height().0
            && j.farmer_pk == e.farmer();
        if !same {
            return Err(EvidenceError::BadEncoding(
                "the JSON fields disagree with `encoded`".into(),
            ));
        }
        Ok(e)
    }
}

/// Parses evidence from text: hex, `{"evidence": "hex"}`, or the [`EvidenceJson`] form.
pub fn parse_evidence_text(text: &str) -> Result<Evidence, EvidenceError> {
    let t = text.trim();
    if !t.starts_with('{') {
        return Evidence::from_hex(t);
    }
    #[derive(Deserialize)]
    struct Wrapped {
        evidence: String,
    }
    if let Ok(w) = serde_json::from_str::<Wrapped>(t) {
        return Evidence::from_hex(&w.evidence);
    }
    let j: EvidenceJson = serde_json::from_str(t)
        .map_err(|e| EvidenceError::BadEncoding(format!("evidence JSON: {e}")))?;
    Evidence::try_from(&j)
}
