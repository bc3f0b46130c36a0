//! masspoc-node-bridge: joins masspoc's PoC chains to a scrypt proof-of-work chain driven by
//! Litecoin Core's `litecoind` over JSON-RPC.
//!
//! - [`rpc`]: the JSON-RPC client (auth, timeouts, retries, batches, lenient replies);
//! - [`pow`]: pure header checks (decode, SHA-256d id, compact target, scrypt PoW);
//! - [`follower`]: follows the node's best chain, checking every header itself, across reorgs
//!   and restarts;
//! - [`anchor`]: batches 32-byte items into merkle roots, anchors them in OP_RETURN outputs
//!   through a durable outbox, and proves inclusion;
//! - [`alerts`]: the node's alerts (anchoring stalled, wallet low, fee budget exhausted);
//! - [`confirmations`]: how deep an anchor must be for a given attacker share;
//! - [`regtest`]: a real `litecoind -regtest` for tests.

pub mod alerts;
pub mod anchor;
pub mod confirmations;
pub mod error;
pub mod fault;
pub mod follower;
pub mod host;
pub mod pow;
#[cfg(feature = "regtest")]
pub mod regtest;
pub mod rpc;
pub mod service;
pub mod store;

pub use error::{
    AnchorError, EvidenceRefusal, FollowError, HostError, PowError, RpcError, StoreError,
};
