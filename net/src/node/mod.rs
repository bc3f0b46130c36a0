//! The network task: one tokio task owns the swarm; rule checks and store reads run on the
//! blocking pool and come back to it as [`Done`] events. [`NetHandle`] is its remote control.
//!
//! Flow (`docs/network.md`):
//! - a gossiped header or evidence is decoded, handed to the sink, and reported to gossipsub
//!   only then: `Accept` relays it, `Ignore` drops it, `Reject` drops it and costs its sender
//!   score; a header whose parent is unknown waits in the orphan pool (its report deferred)
//!   while its ancestors are fetched from the peer that relayed it;
//! - on every new connection, and every [`NetConfig::sync_interval`], the node sends each peer
//!   its block locator per chain and accepts the heavier chain it gets back, page by page;
//! - bootstrap peers are redialled every [`NetConfig::redial_interval`] while disconnected;
//! - anchor batches the node lacks are asked of every peer ([`NetHandle::want_batches`]).
//!
//! Parts: `config` (settings and status types), `gossip` (gossiped messages and the verdicts
//! on headers), `catch_up` (range sync and missing ancestors), `batches` (anchor batches).

mod batches;
mod catch_up;
mod config;
mod gossip;

pub use catch_up::{ANCESTOR_BATCH, MAX_ANCESTOR_DEPTH};
pub use config::{NetConfig, NetStatus, PeerInfo};

use crate::behaviour::{build, Behaviour, BehaviourEvent};
use crate::error::NetError;
use crate::message::{topic, Announce, BatchAnswer};
use crate::orphans::OrphanPool;
use crate::scores::PeerScores;
use crate::sink::{ChainSink, Verdict};
use futures::StreamExt;
use libp2p::core::ConnectedPoint;
use libp2p::gossipsub::{self, MessageAcceptance, MessageId, TopicHash};
use libp2p::multiaddr::Protocol;
use libp2p::request_response::{OutboundRequestId, ResponseChannel};
use libp2p::swarm::SwarmEvent;
use libp2p::{Multiaddr, PeerId, Swarm};
use masspoc_api::HeaderList;
use masspoc_verifier::{Block, ChainId};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

enum Command {
    Announce(Box<Announce>),
    Status(oneshot::Sender<NetStatus>),
    WantBatches,
}

/// The remote control of a running network task; the task stops when every handle is dropped.
#[derive(Debug, Clone)]
pub struct NetHandle {
    tx: mpsc::UnboundedSender<Command>,
    peer_id: PeerId,
}

impl NetHandle {
    /// This node's peer id.
    #[must_use]
    pub fn peer_id(&self) -> PeerId {
        self.peer_id
    }

    /// Publishes something the node accepted on its own (never blocks).
    pub fn announce(&self, what: Announce) {
        let _ = self.tx.send(Command::Announce(Box::new(what)));
    }

    /// Asks peers now for the anchor batches the sink wants ([`ChainSink::wanted_batches`];
    /// never blocks). Also done every sync round.
    pub fn want_batches(&self) {
        let _ = self.tx.send(Command::WantBatches);
    }

    /// The network's status.
    pub async fn status(&self) -> Result<NetStatus, NetError> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send(Command::Status(tx))
            .map_err(|_| NetError::Stopped)?;
        rx.await.map_err(|_| NetError::Stopped)
    }
}

/// Where a batch of headers came from.
enum Origin {
    Gossip { id: MessageId, source: PeerId },
    Released { tags: Vec<Tag> },
    Sync { peer: PeerId, full: bool },
    Ancestors { peer: PeerId, depth: u64 },
}

/// An orphan's deferred gossip report.
type Tag = Option<(MessageId, PeerId)>;

/// Results of blocking work, back on the swarm task.
enum Done {
    Headers {
        chain: ChainId,
        origin: Origin,
        results: Vec<(Block, Verdict)>,
    },
    Evidence {
        id: MessageId,
        source: PeerId,
        verdict: Verdict,
    },
    Answer {
        channel: ResponseChannel<HeaderList>,
        blocks: Vec<Block>,
    },
    BatchesWanted {
        roots: Vec<[u8; 32]>,
    },
    BatchAnswer {
        channel: ResponseChannel<BatchAnswer>,
        answer: BatchAnswer,
    },
    BatchVerdicts {
        peer: PeerId,
        stored: u64,
        invalid: Option<String>,
    },
}

enum Pending {
    Sync { chain: ChainId, limit: u64 },
    Ancestors { chain: ChainId, depth: u64 },
}

struct Node {
    swarm: Swarm<Behaviour>,
    sink: Arc<dyn ChainSink>,
    topics: HashMap<TopicHash, ChainId>,
    chains: Vec<ChainId>,
    scores: PeerScores<PeerId>,
    banned: u64,
    bans: Vec<(PeerId, Instant)>,
    ancestors_fetched: u64,
    synced: u64,
    batches_fetched: u64,
    asking_batches: HashSet<PeerId>,
    orphans: OrphanPool<Tag>,
    pending: HashMap<OutboundRequestId, Pending>,
    syncing: HashSet<(PeerId, ChainId)>,
    bootstrap: Vec<Multiaddr>,
    dialed: HashMap<Multiaddr, PeerId>,
    dialing: HashSet<Multiaddr>,
    done_tx: mpsc::UnboundedSender<Done>,
}

/// Starts the network of a node on the current tokio runtime: listens, dials the bootstrap
/// peers, subscribes to the sink's chains.
pub fn spawn(config: NetConfig, sink: Arc<dyn ChainSink>) -> Result<NetHandle, NetError> {
    let peer_id = config.key.public().to_peer_id();
    let mut swarm = build(config.key.clone(), config.heartbeat)?;
    for addr in &config.listen {
        swarm
            .listen_on(addr.clone())
            .map_err(|e| NetError::Listen {
                addr: addr.to_string(),
                reason: e.to_string(),
            })?;
    }
    let chains = sink.chain_ids();
    let mut topics = HashMap::new();
    for chain in &chains {
        let t = topic(chain);
        swarm
            .behaviour_mut()
            .gossipsub
            .subscribe(&t)
            .map_err(|e| NetError::Build(e.to_string()))?;
        topics.insert(t.hash(), *chain);
    }
    let (tx, rx) = mpsc::unbounded_channel();
    let (done_tx, done_rx) = mpsc::unbounded_channel();
    let mut node = Node {
        swarm,
        sink,
        topics,
        chains,
        scores: PeerScores::default(),
        banned: 0,
        bans: Vec::new(),
        ancestors_fetched: 0,
        synced: 0,
        batches_fetched: 0,
        asking_batches: HashSet::new(),
        orphans: OrphanPool::new(config.orphan_cap),
        pending: HashMap::new(),
        syncing: HashSet::new(),
        bootstrap: config.peers.clone(),
        dialed: HashMap::new(),
        dialing: HashSet::new(),
        done_tx,
    };
    node.redial();
    tokio::spawn(node.run(rx, done_rx, config.sync_interval, config.redial_interval));
    Ok(NetHandle { tx, peer_id })
}

fn peer_of(addr: &Multiaddr) -> Option<PeerId> {
    addr.iter().find_map(|p| match p {
        Protocol::P2p(id) => Some(id),
        _ => None,
    })
}

impl Node {
    async fn run(
        mut self,
        mut commands: mpsc::UnboundedReceiver<Command>,
        mut done: mpsc::UnboundedReceiver<Done>,
        sync_every: Duration,
        redial_every: Duration,
    ) {
        let mut sync_tick = tokio::time::interval(sync_every);
        let mut redial_tick = tokio::time::interval(redial_every);
        loop {
            tokio::select! {
                event = self.swarm.select_next_some() => self.on_swarm(event),
                command = commands.recv() => match command {
                    Some(c) => self.on_command(c),
                    None => break,
                },
                Some(d) = done.recv() => self.on_done(d),
                _ = sync_tick.tick() => {
                    let peers: Vec<PeerId> = self.swarm.connected_peers().copied().collect();
                    for peer in peers {
                        self.sync_all(peer);
                    }
                    self.ask_batches();
                }
                _ = redial_tick.tick() => self.redial(),
            }
        }
        tracing::info!("p2p network stopped");
    }

    fn on_command(&mut self, command: Command) {
        match command {
            Command::Announce(a) => {
                let t = topic(&a.chain());
                match self.swarm.behaviour_mut().gossipsub.publish(t, a.encode()) {
                    Ok(_) => {}
                    Err(gossipsub::PublishError::Duplicate) => {}
                    Err(e) => tracing::debug!(error = %e, "p2p publish"),
                }
            }
            Command::WantBatches => self.ask_batches(),
            Command::Status(reply) => {
                let now = Instant::now();
                let connected: Vec<PeerId> = self.swarm.connected_peers().copied().collect();
                let peers = connected
                    .into_iter()
                    .map(|peer_id| PeerInfo {
                        peer_id,
                        score: self.scores.score(peer_id, now),
                    })
                    .collect();
                let _ = reply.send(NetStatus {
                    peer_id: *self.swarm.local_peer_id(),
                    listen: self.swarm.listeners().cloned().collect(),
                    peers,
                    orphans: self.orphans.len(),
                    banned: self.banned,
                    ancestors_fetched: self.ancestors_fetched,
                    synced: self.synced,
                    batches_fetched: self.batches_fetched,
                });
            }
        }
    }

    fn redial(&mut self) {
        let now = Instant::now();
        let (over, on): (Vec<_>, Vec<_>) =
            self.bans.drain(..).partition(|(_, until)| *until <= now);
        self.bans = on;
        for (peer, _) in over {
            self.swarm.behaviour_mut().blocked.unblock_peer(peer);
            self.swarm
                .behaviour_mut()
                .gossipsub
                .remove_blacklisted_peer(&peer);
        }
        for addr in self.bootstrap.clone() {
            let known = peer_of(&addr).or_else(|| self.dialed.get(&addr).copied());
            if let Some(peer) = known {
                if self.swarm.is_connected(&peer) || self.scores.is_banned(peer, Instant::now()) {
                    continue;
                }
            }
            if self.dialing.contains(&addr) {
                continue;
            }
            match self.swarm.dial(addr.clone()) {
                Ok(()) => {
                    self.dialing.insert(addr);
                }
                Err(e) => tracing::debug!(%addr, error = %e, "p2p dial"),
            }
        }
    }

    fn on_swarm(&mut self, event: SwarmEvent<BehaviourEvent>) {
        match event {
            SwarmEvent::NewListenAddr { address, .. } => {
                tracing::info!(
                    "p2p listening on {address}/p2p/{}",
                    self.swarm.local_peer_id()
                );
            }
            SwarmEvent::ConnectionEstablished {
                peer_id,
                endpoint,
                num_established,
                ..
            } => {
                if let ConnectedPoint::Dialer { address, .. } = &endpoint {
                    self.dialing.remove(address);
                    self.dialed.insert(address.clone(), peer_id);
                }
                if self.scores.is_banned(peer_id, Instant::now()) {
                    let _ = self.swarm.disconnect_peer_id(peer_id);
                    return;
                }
                if num_established.get() == 1 {
                    tracing::info!(peer = %peer_id, "p2p peer connected");
                    self.sync_all(peer_id);
                    self.ask_batches();
                }
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                num_established: 0,
                ..
            } => {
                tracing::info!(peer = %peer_id, "p2p peer disconnected");
                self.syncing.retain(|(p, _)| *p != peer_id);
                self.asking_batches.remove(&peer_id);
            }
            SwarmEvent::OutgoingConnectionError { error, .. } => {
                // The address of a failed dial is not reported reliably: clear all, the next
                // redial round retries what is still disconnected.
                self.dialing.clear();
                tracing::debug!(error = %error, "p2p dial failed");
            }
            SwarmEvent::Behaviour(BehaviourEvent::Gossipsub(gossipsub::Event::Message {
                propagation_source,
                message_id,
                message,
            })) => self.on_gossip(propagation_source, message_id, message),
            SwarmEvent::Behaviour(BehaviourEvent::Sync(e)) => self.on_sync(e),
            SwarmEvent::Behaviour(BehaviourEvent::Batches(e)) => self.on_batches(e),
            SwarmEvent::Behaviour(BehaviourEvent::Identify(
                libp2p::identify::Event::Received { peer_id, info, .. },
            )) => {
                tracing::debug!(peer = %peer_id, agent = %info.agent_version, "p2p identified");
            }
            _ => {}
        }
    }

    fn on_done(&mut self, done: Done) {
        match done {
            Done::Answer { channel, blocks } => {
                let _ = self
                    .swarm
                    .behaviour_mut()
                    .sync
                    .send_response(channel, HeaderList::of_blocks(&blocks));
            }
            Done::Evidence {
                id,
                source,
                verdict,
            } => match verdict {
                Verdict::New { .. } => self.report(&id, &source, MessageAcceptance::Accept),
                Verdict::Invalid(why) => {
                    self.report(&id, &source, MessageAcceptance::Reject);
                    self.penalise(source, &why);
                }
                _ => self.report(&id, &source, MessageAcceptance::Ignore),
            },
            Done::Headers {
                chain,
                origin,
                results,
            } => self.on_headers(chain, origin, results),
            Done::BatchesWanted { roots } => self.send_batch_requests(&roots),
            Done::BatchAnswer { channel, answer } => {
                let _ = self
                    .swarm
                    .behaviour_mut()
                    .batches
                    .send_response(channel, answer);
            }
            Done::BatchVerdicts {
                peer,
                stored,
                invalid,
            } => self.on_batch_verdicts(peer, stored, invalid),
        }
    }
}
