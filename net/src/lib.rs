//! masspoc-net: the chain network (`docs/network.md`). Chain nodes hosting the same chain
//! instance peer over rust-libp2p: TCP, noise, yamux, identify and ping; one gossipsub topic per
//! chain id carries new headers and slashing evidence; a request-response protocol serves range
//! sync and missing ancestors.
//!
//! The crate knows nothing of how a node stores or checks a chain: it talks to it through one
//! seam, [`ChainSink`] ("this arrived from a peer" → the node's own acceptance path, and the
//! reads sync needs). What the node accepted on its own (a farmer's submission) it hands to
//! [`NetHandle::announce`]. Nothing is relayed before the sink accepted it.
//!
//! - [`identity`]: the persistent peer key in the data directory (0600);
//! - [`message`]: gossip payloads, topics, sync requests and limits (headers and evidence in the
//!   verifier's binary encodings, sync replies as the bridge API's [`masspoc_api::HeaderList`]);
//! - [`orphans`]: the bounded pool of headers waiting for their parent;
//! - [`scores`]: peer misbehaviour scores and bans;
//! - [`sync`]: block locators and the answers to sync requests, over a [`ChainSink`];
//! - [`node`]: the swarm's event loop and its [`NetHandle`];
//! - [`harvest`]: the farmer–harvester link (`docs/harvesters.md`) on the same transport.

mod behaviour;
pub mod error;
pub mod harvest;
pub mod identity;
pub mod message;
pub mod node;
pub mod orphans;
pub mod scores;
mod sink;
pub mod sync;

pub use error::NetError;
pub use libp2p::identity::Keypair;
pub use libp2p::{Multiaddr, PeerId};
pub use message::Announce;
pub use node::{spawn, NetConfig, NetHandle, NetStatus, PeerInfo};
pub use sink::{accept_each, in_order, ChainSink, Verdict};

#[cfg(any(test, feature = "testkit"))]
pub mod memsink;
#[cfg(test)]
mod tests;
