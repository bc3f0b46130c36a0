//! A block: a header and the body its payload root commits to.
//!
//! Encoding (`docs/protocol.md`, "Block body"): `header[HEADER_LEN] || body`, the body in its
//! strict encoding ([`crate::body`]).

use crate::body::Body;
use crate::error::RejectError;
use crate::header::{Header, HEADER_LEN};
use crate::types::HeaderHash;

/// A header with its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// The signed header.
    pub header: Header,
    /// The body under `header.payload_root`.
    pub body: Body,
}

impl Block {
    /// A block whose body is empty (what [`crate::ChainState::accept_header`] assumes).
    #[must_use]
    pub fn empty(header: Header) -> Block {
        Block {
            header,
            body: Body::EMPTY,
        }
    }

    /// The header's hash (the block's id).
    #[must_use]
    pub fn hash(&self) -> HeaderHash {
        self.header.hash()
    }

    /// `header || body`.
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        let mut b = self.header.encode().to_vec();
        b.extend_from_slice(&self.body.encode());
        b
    }

    /// Decodes a block: a canonical header, then exactly one canonical body. Does not check that
    /// they match ([`Block::check_body_root`]).
    pub fn decode(bytes: &[u8]) -> Result<Block, RejectError> {
        if bytes.len() < HEADER_LEN {
            return Err(RejectError::BadEncoding(format!(
                "a block is at least {HEADER_LEN} bytes, got {}",
                bytes.len()
            )));
        }
        let (h, b) = bytes.split_at(HEADER_LEN);
        Ok(Block {
            header: Header::decode(h)?,
            body: Body::decode(b).map_err(RejectError::BadBody)?,
        })
    }

    /// The body is valid ([`Body::validate`], `bad_body`) and its root is the header's payload
    /// root (`body_mismatch`).
    pub fn check_body_root(&self) -> Result<(), RejectError> {
        self.body.validate().map_err(RejectError::BadBody)?;
        let got = self.body.root();
        if got != self.header.payload_root {
            return Err(RejectError::BodyMismatch {
                expected: self.header.payload_root.to_hex(),
                got: got.to_hex(),
            });
        }
        Ok(())
    }
}
