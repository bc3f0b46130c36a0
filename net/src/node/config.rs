//! The settings of a node's network and what it reports about itself.

use libp2p::identity::Keypair;
use libp2p::{Multiaddr, PeerId};
use std::time::Duration;

/// Settings of a node's network.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct NetConfig {
    /// The peer identity ([`crate::identity::load_or_create`]).
    pub key: Keypair,
    /// Addresses to listen on (`/ip4/127.0.0.1/tcp/0` picks a port).
    pub listen: Vec<Multiaddr>,
    /// Bootstrap peers, dialled at start and redialled while disconnected.
    pub peers: Vec<Multiaddr>,
    /// Pause between locator rounds with every connected peer.
    pub sync_interval: Duration,
    /// Pause between redials of disconnected bootstrap peers.
    pub redial_interval: Duration,
    /// The gossipsub heartbeat.
    pub heartbeat: Duration,
    /// Most headers the orphan pool holds.
    pub orphan_cap: usize,
}

impl NetConfig {
    /// Defaults: sync every 10 s, redial every 3 s, 1 s heartbeat, 1024 orphans.
    #[must_use]
    pub fn new(key: Keypair, listen: Vec<Multiaddr>, peers: Vec<Multiaddr>) -> Self {
        NetConfig {
            key,
            listen,
            peers,
            sync_interval: Duration::from_secs(10),
            redial_interval: Duration::from_secs(3),
            heartbeat: Duration::from_secs(1),
            orphan_cap: 1024,
        }
    }
}

/// One connected peer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PeerInfo {
    /// Its id.
    pub peer_id: PeerId,
    /// Its score ([`crate::scores`]).
    pub score: i64,
}

/// What the network is doing.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct NetStatus {
    /// This node's peer id.
    pub peer_id: PeerId,
    /// The addresses it listens on.
    pub listen: Vec<Multiaddr>,
    /// Connected peers.
    pub peers: Vec<PeerInfo>,
    /// Headers waiting for their parent.
    pub orphans: usize,
    /// Peers banned so far.
    pub banned: u64,
    /// Headers received in answers to ancestor requests so far.
    pub ancestors_fetched: u64,
    /// Headers received in range-sync pages so far.
    pub synced: u64,
    /// Anchor batches received from peers and stored so far.
    pub batches_fetched: u64,
}
