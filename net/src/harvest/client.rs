//! The farmer's end of the link: dial every paired harvester (by its `/p2p/` multiaddr), redial
//! it while it is gone, and send requests to the connected ones. A request to a harvester that
//! is not connected fails at once, so a gone harvester never holds up a round.

use super::{link_swarm, HarvestRequest, HarvestResponse, LinkBehaviourEvent};
use crate::error::NetError;
use futures::StreamExt;
use libp2p::identity::Keypair;
use libp2p::multiaddr::Protocol;
use libp2p::request_response::{self, OutboundRequestId};
use libp2p::swarm::SwarmEvent;
use libp2p::{Multiaddr, PeerId};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, info};

/// How often disconnected harvesters are dialled again.
pub const REDIAL_INTERVAL: Duration = Duration::from_secs(1);

/// Why a request got no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HarvestRequestError {
    /// The harvester is not connected now.
    #[error("not connected")]
    NotConnected,
    /// The request failed on the way (connection closed, stream error, timeout, bad answer).
    #[error("request failed: {0}")]
    Failed(String),
    /// The link task has stopped.
    #[error("the harvester link has stopped")]
    Stopped,
}

enum Command {
    Request {
        peer: PeerId,
        request: HarvestRequest,
        reply: oneshot::Sender<Result<HarvestResponse, HarvestRequestError>>,
    },
}

/// The farmer's handle on its harvester link; the link stops when every clone is dropped.
#[derive(Debug, Clone)]
pub struct HarvestClient {
    tx: mpsc::UnboundedSender<Command>,
    peer_id: PeerId,
    harvesters: Arc<[PeerId]>,
    connected: Arc<Mutex<HashSet<PeerId>>>,
}

impl HarvestClient {
    /// The farmer's peer id on the link (what each harvester's config lists).
    #[must_use]
    pub fn peer_id(&self) -> PeerId {
        self.peer_id
    }

    /// The paired harvesters, in configuration order.
    #[must_use]
    pub fn harvesters(&self) -> &[PeerId] {
        &self.harvesters
    }

    /// Whether harvester `peer` is connected now.
    #[must_use]
    pub fn is_connected(&self, peer: &PeerId) -> bool {
        self.connected
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(peer)
    }

    /// Sends `request` to `peer` and waits for its answer (the caller bounds the wait).
    pub async fn request(
        &self,
        peer: PeerId,
        request: HarvestRequest,
    ) -> Result<HarvestResponse, HarvestRequestError> {
        if !self.is_connected(&peer) {
            return Err(HarvestRequestError::NotConnected);
        }
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Command::Request {
                peer,
                request,
                reply,
            })
            .map_err(|_| HarvestRequestError::Stopped)?;
        rx.await.map_err(|_| HarvestRequestError::Stopped)?
    }
}

/// The peer id a multiaddr ends with (`…/p2p/<id>`).
#[must_use]
pub fn peer_of(addr: &Multiaddr) -> Option<PeerId> {
    addr.iter().find_map(|p| match p {
        Protocol::P2p(id) => Some(id),
        _ => None,
    })
}

/// Starts the farmer's link with key `key` on the current tokio runtime and dials `harvesters`
/// (each must end in `/p2p/<peer id>`: the dial is refused unless noise proves that id).
pub fn connect(key: Keypair, harvesters: &[Multiaddr]) -> Result<HarvestClient, NetError> {
    let peer_id = key.public().to_peer_id();
    let mut peers = Vec::with_capacity(harvesters.len());
    for a in harvesters {
        let p = peer_of(a).ok_or_else(|| {
            NetError::Build(format!(
                "harvester address {a} does not end in /p2p/<peer id>"
            ))
        })?;
        peers.push((p, a.clone()));
    }
    let ids: Vec<PeerId> = peers.iter().map(|(p, _)| *p).collect();
    let mut swarm = link_swarm(key, &ids, false)?;
    let (tx, mut rx) = mpsc::unbounded_channel::<Command>();
    let connected = Arc::new(Mutex::new(HashSet::new()));
    let shared = Arc::clone(&connected);
    tokio::spawn(async move {
        let mut pending: HashMap<
            OutboundRequestId,
            oneshot::Sender<Result<HarvestResponse, HarvestRequestError>>,
        > = HashMap::new();
        let mut dialing: HashSet<PeerId> = HashSet::new();
        let mut tick = tokio::time::interval(REDIAL_INTERVAL);
        let set = |f: &dyn Fn(&mut HashSet<PeerId>)| {
            f(&mut shared.lock().unwrap_or_else(PoisonError::into_inner));
        };
        loop {
            tokio::select! {
                command = rx.recv() => match command {
                    None => break,
                    Some(Command::Request { peer, request, reply }) => {
                        let id = swarm.behaviour_mut().rr.send_request(&peer, request);
                        pending.insert(id, reply);
                    }
                },
                _ = tick.tick() => {
                    for (p, addr) in &peers {
                        if swarm.is_connected(p) || dialing.contains(p) {
                            continue;
                        }
                        match swarm.dial(addr.clone()) {
                            Ok(()) => { dialing.insert(*p); }
                            Err(e) => debug!(%addr, error = %e, "harvest: dial"),
                        }
                    }
                }
                event = swarm.select_next_some() => match event {
                    SwarmEvent::ConnectionEstablished { peer_id: peer, num_established, .. } => {
                        dialing.remove(&peer);
                        if num_established.get() == 1 {
                            info!(harvester = %peer, "harvester connected");
                            set(&|s| { s.insert(peer); });
                        }
                    }
                    SwarmEvent::ConnectionClosed { peer_id: peer, num_established: 0, .. } => {
                        info!(harvester = %peer, "harvester disconnected");
                        set(&|s| { s.remove(&peer); });
                    }
                    SwarmEvent::OutgoingConnectionError { peer_id, error, .. } => {
                        if let Some(p) = peer_id {
                            dialing.remove(&p);
                        } else {
                            dialing.clear();
                        }
                        debug!(error = %error, "harvest: dial failed");
                    }
                    SwarmEvent::Behaviour(LinkBehaviourEvent::Rr(e)) => match e {
                        request_response::Event::Message {
                            message: request_response::Message::Response { request_id, response },
                            ..
                        } => {
                            if let Some(reply) = pending.remove(&request_id) {
                                let _ = reply.send(Ok(response));
                            }
                        }
                        request_response::Event::OutboundFailure { request_id, error, .. } => {
                            if let Some(reply) = pending.remove(&request_id) {
                                let _ = reply.send(Err(HarvestRequestError::Failed(error.to_string())));
                            }
                        }
                        _ => {}
                    },
                    _ => {}
                },
            }
        }
        debug!("harvest client stopped");
    });
    Ok(HarvestClient {
        tx,
        peer_id,
        harvesters: ids.into(),
        connected,
    })
}
