//! The body of every non-2xx answer: `{"error": {"code": "snake_case_reason", "message": "…"}}`.

use serde::{Deserialize, Serialize};

/// An error answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// The code and message of an error answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ErrorDetail {
    /// A snake_case reason: one of [`codes`] or a chain rule's rejection code (`bad_proof`,
    /// `deadline_not_met`, …).
    pub code: String,
    /// For people.
    pub message: String,
}

impl ErrorBody {
    /// An error answer with this code and message.
    #[must_use]
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        ErrorBody {
            error: ErrorDetail {
                code: code.into(),
                message: message.into(),
            },
        }
    }
}

/// The codes the bridge itself uses (the chain rules' rejection codes come on top).
pub mod codes {
    /// 400: the body is not JSON, a field is missing or not hex, a chain id or query is bad.
    pub const BAD_REQUEST: &str = "bad_request";
    /// 404: the bridge does not host this chain.
    pub const UNKNOWN_CHAIN: &str = "unknown_chain";
    /// 404: the bridge keeps no anchoring outbox (`GET /v1/anchors`).
    pub const NOT_ANCHORING: &str = "not_anchoring";
    /// 404: no anchor batch of this bridge holds the item (`GET /v1/anchors/proof`).
    pub const UNKNOWN_ITEM: &str = "unknown_item";
    /// 409: the item's batch is not mined yet, so there is no inclusion proof to give.
    pub const NOT_PROVABLE: &str = "not_provable";
    /// 422: submitted evidence does not check.
    pub const BAD_EVIDENCE: &str = "bad_evidence";
    /// 422: evidence for a chain this bridge does not host (refused before anything is stored).
    pub const EVIDENCE_CHAIN_NOT_HOSTED: &str = "evidence_chain_not_hosted";
    /// 422: evidence against a key with no block on the chain (refused before anything is
    /// stored).
    pub const EVIDENCE_FARMER_HAS_NO_BLOCK: &str = "evidence_farmer_has_no_block";
    /// 500: a store failed (the message never carries local paths; the bridge's log has them).
    pub const INTERNAL: &str = "internal";
    /// 404: `GET …/bodies/{hash}` for a block the node does not know.
    pub const UNKNOWN_BLOCK: &str = "unknown_block";
    /// 401: the bridge requires a bearer token for this request and none or a wrong one came.
    pub const UNAUTHORIZED: &str = "unauthorized";
    /// 413: the request body is larger than [`crate::routes::MAX_BODY_BYTES`].
    pub const TOO_LARGE: &str = "too_large";
    /// 415: a `POST` without `Content-Type: application/json`.
    pub const UNSUPPORTED_MEDIA_TYPE: &str = "unsupported_media_type";
    /// 429: this client sent more `POST`s than its rate allows; retry after a second.
    pub const RATE_LIMITED: &str = "rate_limited";
    /// 503: every submission slot is busy; retry shortly.
    pub const BUSY: &str = "busy";
    /// 408: the request (its body, or its handling) took longer than the bridge allows.
    pub const TIMEOUT: &str = "timeout";
}
