//! The block body under a header's payload root: the slashing evidence the block includes, then an
//! opaque application payload.
//!
//! Encoding (`docs/protocol.md`, "Block body"), strict:
//! `u16le(n) || evidence_1 .. evidence_n || u32le(len) || payload[len]` where each evidence is its
//! canonical [`EVIDENCE_LEN`]-byte encoding, the evidence is sorted by [`EvidenceId`] ascending
//! with no duplicates, `n <= MAX_BODY_EVIDENCE` and `len <= MAX_PAYLOAD_LEN`; nothing may follow
//! the payload. The root is `BLAKE3(BODY_ROOT_TAG || encoding)`.

use crate::error::BodyError;
use crate::evidence::{Evidence, EVIDENCE_LEN};
use crate::types::{EvidenceId, PayloadRoot};

/// Domain tag of the body root.
pub const BODY_ROOT_TAG: &[u8] = b"masspoc/v1/body";
/// Most pieces of evidence one body carries.
pub const MAX_BODY_EVIDENCE: usize = 16;
/// Longest application payload, bytes.
pub const MAX_PAYLOAD_LEN: usize = 65_536;
/// Longest body encoding, bytes.
pub const MAX_BODY_LEN: usize = 2 + MAX_BODY_EVIDENCE * EVIDENCE_LEN + 4 + MAX_PAYLOAD_LEN;

/// A block body. Every [`Evidence`] value is already verified (it can only be built by
/// [`Evidence::new`] or [`Evidence::decode`]); [`Body::validate`] checks the rest.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Body {
    /// The included evidence, sorted by [`Evidence::id`] ascending, no duplicates, at most
    /// [`MAX_BODY_EVIDENCE`].
    pub evidence: Vec<Evidence>,
    /// The opaque application payload, at most [`MAX_PAYLOAD_LEN`] bytes.
    pub payload: Vec<u8>,
}

impl Body {
    /// The empty body (no evidence, no payload).
    pub const EMPTY: Body = Body {
        evidence: Vec::new(),
        payload: Vec::new(),
    };

    /// A body from evidence in any order (sorted here) and a payload; refuses duplicates and
    /// oversize parts.
    pub fn new(mut evidence: Vec<Evidence>, payload: Vec<u8>) -> Result<Body, BodyError> {
        evidence.sort_by_cached_key(Evidence::id);
        let body = Body { evidence, payload };
        body.validate()?;
        Ok(body)
    }

    /// Whether the body carries neither evidence nor payload.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.evidence.is_empty() && self.payload.is_empty()
    }

    /// Checks the count and size limits and the strict id order of the evidence.
    pub fn validate(&self) -> Result<(), BodyError> {
        if self.evidence.len() > MAX_BODY_EVIDENCE {
            return Err(BodyError::TooMuchEvidence(self.evidence.len()));
        }
        if self.payload.len() > MAX_PAYLOAD_LEN {
            return Err(BodyError::PayloadTooLong(self.payload.len()));
        }
        check_order(self.evidence.iter().map(Evidence::id))
    }

    /// The canonical encoding. The body must be valid ([`Body::validate`]); the lengths are
    /// written as the limits allow.
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        let mut b =
            Vec::with_capacity(2 + self.evidence.len() * EVIDENCE_LEN + 4 + self.payload.len());
        b.extend_from_slice(&(self.evidence.len() as u16).to_le_bytes());
        for e in &self.evidence {
            b.extend_from_slice(&e.encode());
        }
        b.extend_from_slice(&(self.payload.len() as u32).to_le_bytes());
        b.extend_from_slice(&self.payload);
        b
    }

    /// Decodes exactly one canonical body: every piece of evidence verifies, the order and the
    /// limits hold, and no byte follows the payload.
    pub fn decode(bytes: &[u8]) -> Result<Body, BodyError> {
        let mut at = 0usize;
        let mut take = |n: usize, what: &'static str| -> Result<&[u8], BodyError> {
            let end = at
                .checked_add(n)
                .filter(|e| *e <= bytes.len())
                .ok_or(BodyError::Truncated(what))?;
            let s = &bytes[at..end];
            at = end;
            Ok(s)
        };
        let n = usize::from(u16::from_le_bytes(
            take(2, "evidence count")?.try_into().expect("2 bytes"),
        ));
        if n > MAX_BODY_EVIDENCE {
            return Err(BodyError::TooMuchEvidence(n));
        }
        let mut evidence = Vec::with_capacity(n);
        for i in 0..n {
            let e = Evidence::decode(take(EVIDENCE_LEN, "evidence")?)
                .map_err(|e| BodyError::BadEvidence(i, e))?;
            evidence.push(e);
        }
        let len = u32::from_le_bytes(take(4, "payload length")?.try_into().expect("4 bytes"));
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        if len > MAX_PAYLOAD_LEN {
            return Err(BodyError::PayloadTooLong(len));
        }
        let payload = take(len, "payload")?.to_vec();
        if at != bytes.len() {
            return Err(BodyError::TrailingBytes(bytes.len() - at));
        }
        check_order(evidence.iter().map(Evidence::id))?;
        Ok(Body { evidence, payload })
    }

    /// `BLAKE3(BODY_ROOT_TAG || encode())`: the payload root a header carrying this body signs.
    #[must_use]
    pub fn root(&self) -> PayloadRoot {
        root_of_encoding(&self.encode())
    }

    /// The root of the empty body (`BLAKE3("masspoc/v1/body" || 00 00 00 00 00 00)`).
    #[must_use]
    pub fn empty_root() -> PayloadRoot {
        Body::EMPTY.root()
    }
}

/// `BLAKE3(BODY_ROOT_TAG || bytes)` of a body's encoding.
#[must_use]
pub fn root_of_encoding(bytes: &[u8]) -> PayloadRoot {
    let mut h = blake3::Hasher::new();
    h.update(BODY_ROOT_TAG);
    h.update(bytes);
    PayloadRoot(*h.finalize().as_bytes())
}

/// Evidence ids must strictly increase (sorted, no duplicates).
fn check_order(ids: impl Iterator<Item = EvidenceId>) -> Result<(), BodyError> {
    let mut prev: Option<EvidenceId> = None;
    for (i, id) in ids.enumerate() {
        match prev {
            Some(p) if p == id => return Err(BodyError::DuplicateEvidence(i)),
            Some(p) if p > id => return Err(BodyError::UnsortedEvidence(i)),
            _ => {}
        }
        prev = Some(id);
    }
    Ok(())
}
