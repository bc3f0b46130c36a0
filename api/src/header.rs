//! `POST` and `GET /v1/chains/{id}/headers`: submitting a signed header, paging the best chain.

use crate::HexBytes;
use masspoc_verifier::{Header, HeaderHash, RejectError};
use serde::{Deserialize, Serialize};

/// Body of a header submission: `{"header": "hex"}`, the header's binary encoding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SubmitHeader {
    /// The header's binary encoding (`docs/protocol.md`), checked over these exact bytes.
    pub header: HexBytes,
}

impl SubmitHeader {
    /// The submission of a signed header.
    #[must_use]
    pub fn new(header: &Header) -> Self {
        SubmitHeader {
            header: HexBytes(header.encode().to_vec()),
        }
    }

    /// Decodes the header (the chain rules' `bad_encoding` on failure).
    pub fn decode(&self) -> Result<Header, RejectError> {
        Header::decode(self.header.as_slice())
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

/// `{"headers": ["hex", …]}`: headers along the best chain, by ascending height.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct HeaderList {
    /// The headers' binary encodings.
    pub headers: Vec<HexBytes>,
}

impl HeaderList {
    /// The list of these headers.
    #[must_use]
    pub fn of(headers: &[Header]) -> Self {
        HeaderList {
            headers: headers
                .iter()
                .map(|h| HexBytes(h.encode().to_vec()))
                .collect(),
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
}
