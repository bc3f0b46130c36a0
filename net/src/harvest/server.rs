//! The harvester's end of the link: listen, refuse every peer but the paired farmers, hand each
//! request to the [`Handler`] (off the swarm task) and send back its answer.

use super::{link_swarm, HarvestRequest, HarvestResponse, LinkBehaviourEvent};
use crate::error::NetError;
use futures::future::BoxFuture;
use futures::StreamExt;
use libp2p::identity::Keypair;
use libp2p::request_response::{self, ResponseChannel};
use libp2p::swarm::SwarmEvent;
use libp2p::{Multiaddr, PeerId};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::{mpsc, watch};
use tracing::{debug, info, warn};

/// What answers a paired farmer's request (the harvester's plots).
pub type Handler =
    Arc<dyn Fn(PeerId, HarvestRequest) -> BoxFuture<'static, HarvestResponse> + Send + Sync>;

/// A running harvester link; it stops when this is dropped.
#[derive(Debug)]
pub struct HarvestServer {
    peer_id: PeerId,
    listen: watch::Receiver<Vec<Multiaddr>>,
    refused: Arc<AtomicU64>,
    _stop: mpsc::Sender<()>,
}

impl HarvestServer {
    /// The harvester's peer id.
    #[must_use]
    pub fn peer_id(&self) -> PeerId {
        self.peer_id
    }

    /// The addresses it listens on, each ending in `/p2p/<peer id>`, once it listens on at least
    /// one (what a farmer's config names).
    pub async fn listening(&mut self) -> Vec<Multiaddr> {
        let _ = self.listen.wait_for(|l| !l.is_empty()).await;
        self.listen.borrow().clone()
    }

    /// Connections refused because the peer is not a paired farmer.
    #[must_use]
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }
}

/// Starts a harvester link with key `key` on the current tokio runtime: listens on `listen`,
/// answers the farmers `farmers` through `handler`, refuses everyone else.
pub fn serve(
    key: Keypair,
    listen: &[Multiaddr],
    farmers: &[PeerId],
    handler: Handler,
) -> Result<HarvestServer, NetError> {
    let peer_id = key.public().to_peer_id();
    let mut swarm = link_swarm(key, farmers, true)?;
    for addr in listen {
        swarm
            .listen_on(addr.clone())
            .map_err(|e| NetError::Listen {
                addr: addr.to_string(),
                reason: e.to_string(),
            })?;
    }
    let (listen_tx, listen_rx) = watch::channel(Vec::new());
    let (stop_tx, mut stop_rx) = mpsc::channel::<()>(1);
    let refused = Arc::new(AtomicU64::new(0));
    let refused_count = Arc::clone(&refused);
    let (done_tx, mut done_rx) =
        mpsc::unbounded_channel::<(ResponseChannel<HarvestResponse>, HarvestResponse)>();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = stop_rx.recv() => break,
                Some((channel, answer)) = done_rx.recv() => {
                    if swarm.behaviour_mut().rr.send_response(channel, answer).is_err() {
                        debug!("harvest: the farmer went away before the answer");
                    }
                }
                event = swarm.select_next_some() => match event {
                    SwarmEvent::NewListenAddr { address, .. } => {
                        let full = address.with_p2p(peer_id).unwrap_or_else(|a| a);
                        info!("harvester listening on {full}");
                        listen_tx.send_modify(|l| l.push(full));
                    }
                    SwarmEvent::ConnectionEstablished { peer_id: peer, num_established, .. }
                        if num_established.get() == 1 =>
                    {
                        info!(farmer = %peer, "farmer connected");
                    }
                    SwarmEvent::ConnectionClosed { peer_id: peer, num_established: 0, .. } => {
                        info!(farmer = %peer, "farmer disconnected");
                    }
                    SwarmEvent::IncomingConnectionError { peer_id: peer, error, send_back_addr, .. } => {
                        if matches!(error, libp2p::swarm::ListenError::Denied { .. }) {
                            refused_count.fetch_add(1, Ordering::Relaxed);
                            warn!(peer = ?peer.map(|p| p.to_string()), from = %send_back_addr,
                                "refused a connection: not a paired farmer");
                        } else {
                            debug!(from = %send_back_addr, error = %error, "harvest: incoming connection failed");
                        }
                    }
                    SwarmEvent::Behaviour(LinkBehaviourEvent::Rr(request_response::Event::Message {
                        peer,
                        message: request_response::Message::Request { request, channel, .. },
                        ..
                    })) => {
                        let answer = handler(peer, request);
                        let tx = done_tx.clone();
                        tokio::spawn(async move {
                            let _ = tx.send((channel, answer.await));
                        });
                    }
                    SwarmEvent::Behaviour(LinkBehaviourEvent::Rr(request_response::Event::InboundFailure { peer, error, .. })) => {
                        debug!(farmer = %peer, error = %error, "harvest: inbound request failed");
                    }
                    _ => {}
                },
            }
        }
        info!("harvester link stopped");
    });
    Ok(HarvestServer {
        peer_id,
        listen: listen_rx,
        refused,
        _stop: stop_tx,
    })
}
