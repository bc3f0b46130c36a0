//! Paths, query strings and limits of the API, for the server's router and the clients' URLs.

use masspoc_verifier::{ChainId, HeaderHash, Height};
use serde::{Deserialize, Serialize};

/// `GET`: [`crate::Health`].
pub const HEALTH: &str = "/v1/health";
/// `GET`: [`crate::ChainList`].
pub const CHAINS: &str = "/v1/chains";
/// `GET`: [`crate::Work`] (router pattern; clients use [`work`]).
pub const WORK_ROUTE: &str = "/v1/chains/{chain_id}/challenge";
/// `POST`: [`crate::SubmitHeader`] → [`crate::SubmitReply`]; `GET`: [`crate::HeaderList`]
/// (router pattern; clients use [`headers`] and [`headers_page`]).
pub const HEADERS_ROUTE: &str = "/v1/chains/{chain_id}/headers";
/// `GET`: [`crate::BodyReply`] (router pattern; clients use [`body`]); 404 `unknown_block`.
pub const BODY_ROUTE: &str = "/v1/chains/{chain_id}/bodies/{hash}";
/// `GET`: [`crate::EvidenceList`]; `POST`: [`crate::SubmitEvidence`] → [`crate::EvidenceReply`].
pub const EVIDENCE: &str = "/v1/evidence";
/// `GET`: [`crate::AnchorList`] (404 `not_anchoring` on a bridge without an outbox).
pub const ANCHORS: &str = "/v1/anchors";
/// `GET ?item=HEX[&kind=header|evidence]`: the item's anchor inclusion proof (the bridge's
/// `AnchorProof` JSON, as `masspoc anchors prove` prints it); 404 `unknown_item` when no batch
/// holds it, 409 `not_provable` while its batch is not mined.
pub const ANCHOR_PROOF: &str = "/v1/anchors/proof";
/// `GET`: Prometheus text.
pub const METRICS: &str = "/metrics";

/// Longest long-poll of `challenge?wait_ms=`.
pub const MAX_WAIT_MS: u64 = 30_000;
/// Most headers one `headers?limit=` page holds.
pub const MAX_HEADERS_LIMIT: u64 = 1000;
/// Most body bytes (their binary encodings) one page of blocks carries: a page stops before the
/// block that would pass it, but always holds at least one block.
pub const MAX_PAGE_BODY_BYTES: usize = 1 << 20;
/// Headers per page when `limit` is not given.
pub const DEFAULT_HEADERS_LIMIT: u64 = 100;
/// Largest request body the bridge reads (a header or evidence in hex with room for a block body).
pub const MAX_BODY_BYTES: usize = 512 << 10;
/// Slots of challenges in every [`crate::Work`].
pub const WORK_SLOTS: u32 = 4;

/// The query of `GET /v1/chains/{id}/challenge`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct WorkQuery {
    /// Answer as soon as the tip changes or after this long (capped at [`MAX_WAIT_MS`]); 0
    /// answers at once.
    #[serde(default)]
    pub wait_ms: u64,
    /// The tip hash the client already has work for: a long-poll answers at once while the best
    /// tip is another (it changed before the request arrived). Without it the wait ends at the
    /// first change after the request arrived, so a change in between is missed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tip: Option<HeaderHash>,
}

/// The query of `GET /v1/anchors/proof`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AnchorProofQuery {
    /// The item hash, 64 hex digits.
    pub item: String,
    /// `header` or `evidence` (default: whichever the outbox holds, headers first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// `/v1/anchors/proof?item=HEX[&kind=K]`.
#[must_use]
pub fn anchor_proof(item_hex: &str, kind: Option<&str>) -> String {
    match kind {
        Some(k) => format!("{ANCHOR_PROOF}?item={item_hex}&kind={k}"),
        None => format!("{ANCHOR_PROOF}?item={item_hex}"),
    }
}

/// The query of `GET /v1/chains/{id}/headers`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct HeadersQuery {
    /// First height (default 0, genesis is never listed).
    #[serde(default)]
    pub from: Height,
    /// Most headers (default [`DEFAULT_HEADERS_LIMIT`], capped at [`MAX_HEADERS_LIMIT`]).
    #[serde(default = "default_limit")]
    pub limit: u64,
}

fn default_limit() -> u64 {
    DEFAULT_HEADERS_LIMIT
}

impl Default for HeadersQuery {
    fn default() -> Self {
        HeadersQuery {
            from: Height(0),
            limit: DEFAULT_HEADERS_LIMIT,
        }
    }
}

/// `/v1/chains/{id}/challenge?wait_ms=W[&tip=HASH]` (W capped at [`MAX_WAIT_MS`]; `tip` the
/// tip the client has work for, see [`WorkQuery::tip`]).
#[must_use]
pub fn work(chain: &ChainId, wait_ms: u64, tip: Option<&HeaderHash>) -> String {
    let wait_ms = wait_ms.min(MAX_WAIT_MS);
    match tip {
        Some(t) => format!("/v1/chains/{chain}/challenge?wait_ms={wait_ms}&tip={t}"),
        None => format!("/v1/chains/{chain}/challenge?wait_ms={wait_ms}"),
    }
}

/// `/v1/chains/{id}/headers` (for `POST`).
#[must_use]
pub fn headers(chain: &ChainId) -> String {
    format!("/v1/chains/{chain}/headers")
}

/// `/v1/chains/{id}/bodies/{hash}`.
#[must_use]
pub fn body(chain: &ChainId, hash: &HeaderHash) -> String {
    format!("/v1/chains/{chain}/bodies/{hash}")
}

/// `/v1/chains/{id}/headers?from=H&limit=N` (N capped at [`MAX_HEADERS_LIMIT`]).
#[must_use]
pub fn headers_page(chain: &ChainId, from: Height, limit: u64) -> String {
    format!(
        "/v1/chains/{chain}/headers?from={from}&limit={}",
        limit.min(MAX_HEADERS_LIMIT)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_the_router_patterns() {
        let id = ChainId([0xab; 32]);
        let hex = "ab".repeat(32);
        assert_eq!(
            work(&id, 99_999, None),
            WORK_ROUTE.replace("{chain_id}", &hex) + "?wait_ms=30000"
        );
        assert_eq!(
            work(&id, 5, Some(&HeaderHash([0xcd; 32]))),
            WORK_ROUTE.replace("{chain_id}", &hex) + "?wait_ms=5&tip=" + &"cd".repeat(32)
        );
        assert_eq!(headers(&id), HEADERS_ROUTE.replace("{chain_id}", &hex));
        let hash = HeaderHash([0xcd; 32]);
        assert_eq!(
            body(&id, &hash),
            BODY_ROUTE
                .replace("{chain_id}", &hex)
                .replace("{hash}", &"cd".repeat(32))
        );
        assert_eq!(
            headers_page(&id, Height(7), 5000),
            format!("{}?from=7&limit=1000", headers(&id))
        );
    }
}
