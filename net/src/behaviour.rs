//! The swarm: TCP + noise + yamux ([`transport_swarm`], shared by every masspoc swarm), and the
//! behaviours of the chain network (`docs/network.md`).

use crate::error::NetError;
use crate::message::{
    BatchAnswer, BatchRequest, SyncRequest, SyncResponse, BATCH_PROTOCOL, IDENTIFY_PROTOCOL,
    MAX_GOSSIP_BYTES, SYNC_PROTOCOL,
};
use libp2p::identity::Keypair;
use libp2p::swarm::NetworkBehaviour;
use libp2p::{
    allow_block_list, gossipsub, identify, noise, ping, request_response, tcp, yamux,
    StreamProtocol, Swarm,
};
use std::time::Duration;

/// How long a sync request may take before it fails.
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

/// The behaviours of a chain node.
#[derive(NetworkBehaviour)]
pub(crate) struct Behaviour {
    /// Banned peers: their connections are refused before they are established.
    pub(crate) blocked: allow_block_list::Behaviour<allow_block_list::BlockedPeers>,
    pub(crate) gossipsub: gossipsub::Behaviour,
    pub(crate) sync: request_response::json::Behaviour<SyncRequest, SyncResponse>,
    /// Anchor batches' items (`docs/network.md`, "Anchor batches").
    pub(crate) batches: request_response::json::Behaviour<BatchRequest, BatchAnswer>,
    pub(crate) identify: identify::Behaviour,
    pub(crate) ping: ping::Behaviour,
}

/// The gossipsub message id: `BLAKE3(data)`, so one header is one message whoever publishes it.
fn message_id(m: &gossipsub::Message) -> gossipsub::MessageId {
    gossipsub::MessageId::from(blake3::hash(&m.data).as_bytes().to_vec())
}

/// A swarm with key `key` over the project's one transport: TCP (nodelay) → noise (XX, the
/// key's ed25519 identity) → yamux, idle connections kept for an hour. Every masspoc swarm (the
/// chain network, the harvester link) is built here with its own behaviour.
pub(crate) fn transport_swarm<B: NetworkBehaviour>(
    key: Keypair,
    behaviour: impl FnOnce(&Keypair) -> Result<B, Box<dyn std::error::Error + Send + Sync>>,
) -> Result<Swarm<B>, NetError> {
    let build_err = |e: &dyn std::fmt::Display| NetError::Build(e.to_string());
    let swarm = libp2p::SwarmBuilder::with_existing_identity(key)
        .with_tokio()
        .with_tcp(
            tcp::Config::default().nodelay(true),
            noise::Config::new,
            yamux::Config::default,
        )
        .map_err(|e| build_err(&e))?
        .with_behaviour(behaviour)
        .map_err(|e| build_err(&e))?
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(3600)))
        .build();
    Ok(swarm)
}

/// Builds the swarm of a node with key `key`.
pub(crate) fn build(key: Keypair, heartbeat: Duration) -> Result<Swarm<Behaviour>, NetError> {
    transport_swarm(key, |key| {
        let config = gossipsub::ConfigBuilder::default()
            .heartbeat_interval(heartbeat)
            .validation_mode(gossipsub::ValidationMode::Strict)
            // Nothing is forwarded before the node's rules accepted it.
            .validate_messages()
            .message_id_fn(message_id)
            .max_transmit_size(MAX_GOSSIP_BYTES)
            .build()
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        let gossipsub =
            gossipsub::Behaviour::new(gossipsub::MessageAuthenticity::Signed(key.clone()), config)
                .map_err(std::io::Error::other)?;
        let sync = request_response::json::Behaviour::new(
            [(
                StreamProtocol::new(SYNC_PROTOCOL),
                request_response::ProtocolSupport::Full,
            )],
            request_response::Config::default().with_request_timeout(REQUEST_TIMEOUT),
        );
        let batches = request_response::json::Behaviour::new(
            [(
                StreamProtocol::new(BATCH_PROTOCOL),
                request_response::ProtocolSupport::Full,
            )],
            request_response::Config::default().with_request_timeout(REQUEST_TIMEOUT),
        );
        // No cache of peers' self-reported listen addresses: a node dials only the addresses it
        // was given (its bootstrap peers) and those that dialled it, never an address a peer
        // claimed for itself, so a request to a disconnected peer cannot open a path around
        // the configured ones.
        let identify = identify::Behaviour::new(
            identify::Config::new(IDENTIFY_PROTOCOL.to_string(), key.public()).with_cache_size(0),
        );
        Ok(Behaviour {
            blocked: allow_block_list::Behaviour::default(),
            gossipsub,
            sync,
            batches,
            identify,
            ping: ping::Behaviour::default(),
        })
    })
}
