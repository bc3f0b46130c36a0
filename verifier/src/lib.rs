//! masspoc-verifier: the chain rules of a masspoc PoC chain instance, batch verification and the
//! slashing detector.
//!
//! Everything except [`detector`] is pure: bytes and integers in, bytes and integers out, no
//! clock (callers pass `now_ms`), no floating point anywhere in the crate (denied by the lint
//! below; the simulator, which samples with f64, is its own crate `masspoc-sim`). The protocol is
//! pinned in `docs/protocol.md`.
#![deny(clippy::float_arithmetic)]

pub mod batch;
pub mod block;
pub mod body;
pub mod challenge;
pub mod deadline;
pub mod detector;
pub mod error;
pub mod evidence;
pub mod finality;
pub mod header;
pub mod header_json;
pub mod params;
pub mod retarget;
pub mod rules;
pub mod state;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod types;

pub use block::Block;
pub use body::Body;
pub use challenge::{derive_challenge, Slot};
pub use deadline::{deadline_ms, difficulty_for_weight};
pub use error::{BodyError, DetectorError, EvidenceError, ParamsError, RejectError};
pub use evidence::{verify_evidence, Evidence};
pub use finality::{Finality, FinalityParams};
pub use header::{Header, HEADER_LEN};
pub use header_json::{parse_header_text, HeaderJson};
pub use params::{ChainParams, ChainSpec, Genesis};
pub use rules::{check_header, CheckedHeader, ParentInfo};
pub use state::{includable, Accepted, Branch, ChainState, FinalityUpdate};
pub use types::{Beacon, ChainId, EvidenceId, HeaderHash, Height, PayloadRoot};
