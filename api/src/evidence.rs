//! `POST` and `GET /v1/evidence`: slashing evidence (two headers one farmer signed at one chain
//! and height).

use crate::HexBytes;
use masspoc_verifier::{Evidence, EvidenceId};
use serde::{Deserialize, Serialize};

/// Body of an evidence submission: `{"evidence": "hex"}`, the evidence's binary encoding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SubmitEvidence {
    /// The evidence's encoding (`docs/protocol.md`); the bridge checks it on its own.
    pub evidence: HexBytes,
}

impl SubmitEvidence {
    /// The submission of this evidence.
    #[must_use]
    pub fn new(evidence: &Evidence) -> Self {
        SubmitEvidence {
            evidence: HexBytes(evidence.encode()),
        }
    }
}

/// The answer to accepted evidence: `{"accepted": true, "hash", "new"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EvidenceReply {
    /// Always true (a refusal is an [`crate::ErrorBody`]).
    pub accepted: bool,
    /// The evidence id.
    pub hash: EvidenceId,
    /// False when the bridge knew it already.
    pub new: bool,
}

impl EvidenceReply {
    /// The reply for accepted evidence.
    #[must_use]
    pub fn accepted(hash: EvidenceId, new: bool) -> Self {
        EvidenceReply {
            accepted: true,
            hash,
            new,
        }
    }
}

/// One piece of evidence the bridge holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EvidenceRow {
    /// The evidence id.
    pub hash: EvidenceId,
    /// Its binary encoding.
    pub evidence: HexBytes,
    /// True once its anchor has the bridge's required confirmations (its ban then applies).
    pub anchored: bool,
}

impl EvidenceRow {
    /// The row of `evidence`.
    #[must_use]
    pub fn new(evidence: &Evidence, anchored: bool) -> Self {
        EvidenceRow {
            hash: evidence.id(),
            evidence: HexBytes(evidence.encode()),
            anchored,
        }
    }
}

/// `{"evidence": [EvidenceRow, …]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EvidenceList {
    /// Every piece of evidence the bridge holds.
    pub evidence: Vec<EvidenceRow>,
}

impl EvidenceList {
    /// A list of these rows.
    #[must_use]
    pub fn new(evidence: Vec<EvidenceRow>) -> Self {
        EvidenceList { evidence }
    }
}
