//! The harvester link (`docs/harvesters.md`): a farmer asks the harvesters on other machines for
//! the candidate proofs of their plots. Request-response on [`HARVEST_PROTOCOL`] over the
//! project's one transport (TCP, noise, yamux: [`crate::behaviour`]), JSON bodies.
//!
//! Pairing is by noise peer ids, one step each side: a harvester lists the farmer peer ids it
//! answers ([`serve`]), a farmer lists each harvester's multiaddr with its `/p2p/<peer id>`
//! ([`connect`]). Connections from any other peer are refused when they are established, on
//! both sides (libp2p's allow list), so an unpaired farmer gets no answer and an unpaired
//! harvester is never asked.
//!
//! - [`message`]: requests, answers and limits;
//! - [`server`]: the harvester's end, answering through a [`Handler`];
//! - [`client`]: the farmer's end, dialling and redialling its harvesters.

pub mod client;
pub mod message;
pub mod server;

pub use client::{connect, HarvestClient, HarvestRequestError};
pub use message::{
    HarvestRequest, HarvestResponse, LookupReply, LookupRequest, PlotReport, HARVEST_PROTOCOL,
    MAX_PROOFS,
};
pub use server::{serve, Handler, HarvestServer};

use crate::error::NetError;
use libp2p::identity::Keypair;
use libp2p::swarm::NetworkBehaviour;
use libp2p::{allow_block_list, ping, request_response, PeerId, StreamProtocol, Swarm};
use std::time::Duration;

/// How long a request may stay unanswered before libp2p fails it (the farmer stops waiting
/// much earlier, at its lookup budget; this only bounds what is kept for late answers).
pub const HARVEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The behaviours of either end of the link.
#[derive(NetworkBehaviour)]
pub(crate) struct LinkBehaviour {
    /// Only the paired peers: every other connection is refused once noise names the peer.
    pub(crate) allowed: allow_block_list::Behaviour<allow_block_list::AllowedPeers>,
    pub(crate) rr: request_response::json::Behaviour<HarvestRequest, HarvestResponse>,
    pub(crate) ping: ping::Behaviour,
}

/// A link swarm with key `key` that talks only to `peers`; `harvester` picks the side (a
/// harvester answers requests, a farmer sends them).
pub(crate) fn link_swarm(
    key: Keypair,
    peers: &[PeerId],
    harvester: bool,
) -> Result<Swarm<LinkBehaviour>, NetError> {
    let support = if harvester {
        request_response::ProtocolSupport::Inbound
    } else {
        request_response::ProtocolSupport::Outbound
    };
    crate::behaviour::transport_swarm(key, |_| {
        let mut allowed = allow_block_list::Behaviour::<allow_block_list::AllowedPeers>::default();
        for p in peers {
            allowed.allow_peer(*p);
        }
        let rr = request_response::json::Behaviour::new(
            [(StreamProtocol::new(HARVEST_PROTOCOL), support)],
            request_response::Config::default()
                .with_request_timeout(HARVEST_TIMEOUT)
                .with_max_concurrent_streams(1024),
        );
        Ok(LinkBehaviour {
            allowed,
            rr,
            ping: ping::Behaviour::default(),
        })
    })
}

#[cfg(test)]
mod tests;
