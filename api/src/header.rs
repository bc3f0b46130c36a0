//! `POST` and `GET /v1/chains/{id}/headers`: submitting a signed block (header and body), paging
//! the best chain; `GET /v1/chains/{id}/bodies/{hash}`: one block's body.

use crate::HexBytes;
use masspoc_verifier::{Block, Body, ChainState, Header, HeaderHash, Height, RejectError};
use serde::{Deserialize, Serialize};

/// Body of a block submission: `{"header": "hex", "body": "hex"}`, the header's and the block
/// body's binary encodings. A missing `body` is the empty body, which matches only a header whose
/// payload root is the empty body's root (else `body_mismatch`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SubmitHeader {
    /// The header's binary encoding (`docs/protocol.md`), checked over these exact bytes.
    pub header: HexBytes,
    /// The body's binary encoding (`docs/protocol.md`, "Block body"); absent = the empty body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<HexBytes>,
}

impl SubmitHeader {
    /// The submission of a signed header with the empty body (no `body` field).
    #[must_use]
    pub fn new(header: &Header) -> Self {
        SubmitHeader {
            header: HexBytes(header.encode().to_vec()),
            body: None,
        }
    }

    /// The submission of a signed block, its body always sent.
    #[must_use]
    pub fn block(block: &Block) -> Self {
        SubmitHeader {
            header: HexBytes(block.header.encode().to_vec()),
            body: Some(HexBytes(block.body.encode())),
        }
    }

    /// Decodes the header (the chain rules' `bad_encoding` on failure).
    pub fn decode(&self) -> Result<Header, RejectError> {
        Header::decode(self.header.as_slice())
    }

    /// Decodes the block: the header (`bad_encoding`) and the body (`bad_body`; absent = the
    /// empty body). Whether the body matches the header's root is the rules' check.
    pub fn decode_block(&self) -> Result<Block, RejectError> {
        let header = self.decode()?;
        let body = match &self.body {
            None => Body::EMPTY,
            Some(b) => Body::decode(b.as_slice()).map_err(RejectError::BadBody)?,
        };
        Ok(Block { header, body })
    }
}

/// The answer to an accepted header: `{"accepted": true, "hash", "best"}` (a refusal is an
/// [`crate::ErrorBody`]); re-submitting a known header answers the same again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SubmitReply {
    /// Always true.
    pub accepted: bool,
    /// The header's hash.
    pub hash: HeaderHash,
    /// Whether it is the best tip now.
    pub best: bool,
}

impl SubmitReply {
    /// The reply for an accepted header.
    #[must_use]
    pub fn accepted(hash: HeaderHash, best: bool) -> Self {
        SubmitReply {
            accepted: true,
            hash,
            best,
        }
    }
}

/// `{"headers": ["hex", …], "bodies": ["hex", …]}`: blocks along the best chain, by ascending
/// height; `bodies[i]` is the body of `headers[i]`. A reply without `bodies` (an older node) means
/// every body is empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct HeaderList {
    /// The headers' binary encodings.
    pub headers: Vec<HexBytes>,
    /// The bodies' binary encodings, one per header (absent = all empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bodies: Vec<HexBytes>,
}

impl HeaderList {
    /// The list of these headers, every body empty (no `bodies` field).
    #[must_use]
    pub fn of(headers: &[Header]) -> Self {
        HeaderList {
            headers: headers
                .iter()
                .map(|h| HexBytes(h.encode().to_vec()))
                .collect(),
            bodies: Vec::new(),
        }
    }

    /// The list of these blocks, headers and bodies.
    #[must_use]
    pub fn of_blocks(blocks: &[Block]) -> Self {
        HeaderList {
            headers: blocks
                .iter()
                .map(|b| HexBytes(b.header.encode().to_vec()))
                .collect(),
            bodies: blocks.iter().map(|b| HexBytes(b.body.encode())).collect(),
        }
    }

    /// Decodes every header; the first that does not decode is the error, with its index.
    pub fn decode(&self) -> Result<Vec<Header>, (usize, RejectError)> {
        self.headers
            .iter()
            .enumerate()
            .map(|(i, h)| Header::decode(h.as_slice()).map_err(|e| (i, e)))
            .collect()
    }

    /// Decodes every block (no `bodies` = every body empty; a `bodies` list of another length
    /// is `bad_body` at the first index it misses). The first that does not decode is the error,
    /// with its index. Whether each body matches its header is the rules' check.
    pub fn decode_blocks(&self) -> Result<Vec<Block>, (usize, RejectError)> {
        let headers = self.decode()?;
        if self.bodies.is_empty() {
            return Ok(headers.into_iter().map(Block::empty).collect());
        }
        if self.bodies.len() != headers.len() {
            let at = self.bodies.len().min(headers.len());
            return Err((
                at,
                RejectError::BadEncoding(format!(
                    "{} headers but {} bodies",
                    headers.len(),
                    self.bodies.len()
                )),
            ));
        }
        headers
            .into_iter()
            .zip(&self.bodies)
            .enumerate()
            .map(|(i, (header, b))| {
                Body::decode(b.as_slice())
                    .map(|body| Block { header, body })
                    .map_err(|e| (i, RejectError::BadBody(e)))
            })
            .collect()
    }
}

/// `GET /v1/chains/{id}/bodies/{hash}`: `{"hash": "hex", "body": "hex"}`, a known block's body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BodyReply {
    /// The block's (header's) hash.
    pub hash: HeaderHash,
    /// The body's binary encoding.
    pub body: HexBytes,
}

impl BodyReply {
    /// The reply for a block's body.
    #[must_use]
    pub fn new(hash: HeaderHash, body: &Body) -> Self {
        BodyReply {
            hash,
            body: HexBytes(body.encode()),
        }
    }

    /// Decodes the body (`bad_body`).
    pub fn decode(&self) -> Result<Body, RejectError> {
        Body::decode(self.body.as_slice()).map_err(RejectError::BadBody)
    }
}

/// Up to `limit` blocks of the best chain from height `from` on (genesis never listed), their
/// bodies' encodings together at most [`crate::routes::MAX_PAGE_BODY_BYTES`] (at least one block).
pub fn main_blocks(state: &ChainState, from: Height, limit: u64) -> Vec<Block> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let mut out = Vec::new();
    let mut body_bytes = 0usize;
    let mut h = from.0.max(1);
    while out.len() < limit {
        let Some(node) = state.main_at(Height(h)).and_then(|hash| state.node(&hash)) else {
            break;
        };
        if let Some(header) = node.header {
            let body = node.body();
            body_bytes = body_bytes.saturating_add(body.encode().len());
            if body_bytes > crate::routes::MAX_PAGE_BODY_BYTES && !out.is_empty() {
                break;
            }
            out.push(Block {
                header,
                body: body.clone(),
            });
        }
        h += 1;
    }
    out
}
