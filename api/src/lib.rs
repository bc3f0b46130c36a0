//! masspoc-api: the bridge's HTTP/JSON API (`docs/bridge-api.md`) as Rust types, written once
//! for both ends: the chain host (`masspoc-node-bridge`) serialises them, the farmer's client
//! (`masspoc-farmer`) and the command's tools deserialise them. A renamed field is a compile error
//! on both sides, not a reply that fails to parse at run time.
//!
//! - [`ChainInfo`], [`ChainList`]: `GET /v1/chains`;
//! - [`Work`], [`SlotChallenge`]: `GET /v1/chains/{id}/challenge`;
//! - [`SubmitHeader`], [`SubmitReply`], [`HeaderList`]: `POST`/`GET /v1/chains/{id}/headers`;
//! - [`BodyReply`]: `GET /v1/chains/{id}/bodies/{hash}`;
//! - [`SubmitEvidence`], [`EvidenceReply`], [`EvidenceRow`], [`EvidenceList`]: `/v1/evidence`;
//! - [`AnchorList`], [`AnchorBatch`]: `GET /v1/anchors`;
//! - [`Health`]: `GET /v1/health`; [`ErrorBody`]: every non-2xx answer;
//! - [`routes`]: paths, query strings and limits;
//! - [`assets`]: the status pages' embedded files (both servers serve them).
//!
//! Byte strings are lowercase hex, integers JSON numbers, u128 values decimal strings
//! ([`u128_string`]). Headers and evidence travel as the hex of their binary encoding
//! ([`HexBytes`]): the chain rules decode them, so a bad encoding is the rules' `bad_encoding`,
//! not a JSON error.
//!
//! **Evolution is additive.** Every struct is `#[non_exhaustive]` and built through its
//! constructor, so adding a field changes this crate only. Unknown fields are ignored by both
//! ends, and a field added later is `#[serde(default)]` (with `skip_serializing_if` for requests),
//! so an older peer's JSON still parses and an older peer skips what it does not know. A change
//! that is not additive gets a new path prefix (`/v2`).

mod anchors;
pub mod assets;
mod chain;
mod error;
mod evidence;
mod header;
mod health;
mod hex_bytes;
pub mod routes;
pub mod u128_string;
mod work;

pub use anchors::{AnchorBatch, AnchorList};
pub use chain::{ChainInfo, ChainList};
pub use error::{codes, ErrorBody, ErrorDetail};
pub use evidence::{EvidenceList, EvidenceReply, EvidenceRow, SubmitEvidence};
pub use header::{main_blocks, BodyReply, HeaderList, SubmitHeader, SubmitReply};
pub use health::{AnchoringHealth, ChainFinality, Health};
pub use hex_bytes::HexBytes;
pub use work::{SlotChallenge, Work};
