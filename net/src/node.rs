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
//! - bootstrap peers are redialled every [`NetConfig::redial_interval`] while disconnected.

use crate::behaviour::{build, Behaviour, BehaviourEvent};
use crate::error::NetError;
use crate::message::{topic, Announce, SyncRequest, MAX_SYNC_HEADERS};
use crate::orphans::OrphanPool;
use crate::scores::{PeerScores, BAN_DURATION};
use crate::sink::{ChainSink, Verdict};
use crate::sync;
use futures::StreamExt;
use libp2p::core::ConnectedPoint;
use libp2p::gossipsub::{self, MessageAcceptance, MessageId, TopicHash};
use libp2p::identity::Keypair;
use libp2p::multiaddr::Protocol;
use libp2p::request_response::{self, OutboundRequestId, ResponseChannel};
use libp2p::swarm::SwarmEvent;
use libp2p::{Multiaddr, PeerId, Swarm};
use masspoc_api::HeaderList;
use masspoc_verifier::{Block, ChainId};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// Headers asked for per ancestor request.
pub const ANCESTOR_BATCH: u64 = 64;
/// Most ancestors fetched for one orphan before falling back to range sync.
pub const MAX_ANCESTOR_DEPTH: u64 = 512;

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
}

enum Command {
    Announce(Box<Announce>),
    Status(oneshot::Sender<NetStatus>),
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
                }
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                num_established: 0,
                ..
            } => {
                tracing::info!(peer = %peer_id, "p2p peer disconnected");
                self.syncing.retain(|(p, _)| *p != peer_id);
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
            SwarmEvent::Behaviour(BehaviourEvent::Identify(
                libp2p::identify::Event::Received { peer_id, info, .. },
            )) => {
                tracing::debug!(peer = %peer_id, agent = %info.agent_version, "p2p identified");
            }
            _ => {}
        }
    }

    fn report(&mut self, id: &MessageId, source: &PeerId, acceptance: MessageAcceptance) {
        self.swarm
            .behaviour_mut()
            .gossipsub
            .report_message_validation_result(id, source, acceptance);
    }

    /// Costs `peer` score for an invalid message; bans it at the threshold.
    fn penalise(&mut self, peer: PeerId, why: &str) {
        tracing::warn!(peer = %peer, reason = why, "p2p invalid message");
        if self.scores.penalise(peer, Instant::now()) {
            tracing::warn!(peer = %peer, "p2p peer banned");
            self.banned += 1;
            self.swarm.behaviour_mut().gossipsub.blacklist_peer(&peer);
            // Closes its connections and refuses new ones until the ban ends.
            self.swarm.behaviour_mut().blocked.block_peer(peer);
            self.bans.push((peer, Instant::now() + BAN_DURATION));
        }
    }

    fn on_gossip(&mut self, source: PeerId, id: MessageId, message: gossipsub::Message) {
        let Some(chain) = self.topics.get(&message.topic).copied() else {
            self.report(&id, &source, MessageAcceptance::Ignore);
            return;
        };
        let announce = match Announce::decode(&message.data) {
            Ok(a) if a.chain() == chain => a,
            Ok(_) => {
                self.report(&id, &source, MessageAcceptance::Reject);
                self.penalise(source, "message for another chain's topic");
                return;
            }
            Err(e) => {
                self.report(&id, &source, MessageAcceptance::Reject);
                self.penalise(source, &e.to_string());
                return;
            }
        };
        match announce {
            Announce::Block(b) => {
                self.accept(chain, vec![*b], Origin::Gossip { id, source });
            }
            Announce::Evidence(e) => {
                let sink = self.sink.clone();
                let tx = self.done_tx.clone();
                tokio::task::spawn_blocking(move || {
                    let verdict = sink.accept_evidence(&e);
                    let _ = tx.send(Done::Evidence {
                        id,
                        source,
                        verdict,
                    });
                });
            }
        }
    }

    /// Hands blocks to the sink in order, off the swarm task.
    fn accept(&self, chain: ChainId, blocks: Vec<Block>, origin: Origin) {
        let sink = self.sink.clone();
        let tx = self.done_tx.clone();
        // A page of a chain stops at its first invalid header; released orphans are siblings.
        let chained = !matches!(origin, Origin::Released { .. });
        tokio::task::spawn_blocking(move || {
            let mut results = Vec::with_capacity(blocks.len());
            for b in blocks {
                let v = sink.accept_block(&chain, &b);
                let stop = chained && matches!(v, Verdict::Invalid(_));
                results.push((b, v));
                if stop {
                    break;
                }
            }
            let _ = tx.send(Done::Headers {
                chain,
                origin,
                results,
            });
        });
    }

    fn sync_all(&mut self, peer: PeerId) {
        for chain in self.chains.clone() {
            self.start_sync(peer, chain);
        }
    }

    fn start_sync(&mut self, peer: PeerId, chain: ChainId) {
        if self.syncing.contains(&(peer, chain)) {
            return;
        }
        let Some((_, _, have)) = self.sink.best(&chain) else {
            return;
        };
        let locator = sync::locator(self.sink.as_ref(), &chain);
        let limit = MAX_SYNC_HEADERS;
        let id = self.swarm.behaviour_mut().sync.send_request(
            &peer,
            SyncRequest::Headers {
                chain,
                locator,
                have,
                limit,
            },
        );
        self.syncing.insert((peer, chain));
        self.pending.insert(id, Pending::Sync { chain, limit });
    }

    fn fetch_ancestors(&mut self, peer: PeerId, chain: ChainId, block: &Block, depth: u64) {
        if depth >= MAX_ANCESTOR_DEPTH {
            self.start_sync(peer, chain);
            return;
        }
        let locator = sync::locator(self.sink.as_ref(), &chain);
        let id = self.swarm.behaviour_mut().sync.send_request(
            &peer,
            SyncRequest::Ancestors {
                chain,
                hash: block.header.prev_hash,
                limit: ANCESTOR_BATCH,
                locator,
            },
        );
        self.pending.insert(id, Pending::Ancestors { chain, depth });
    }

    fn on_sync(&mut self, event: request_response::Event<SyncRequest, HeaderList>) {
        match event {
            request_response::Event::Message { peer, message, .. } => match message {
                request_response::Message::Request {
                    request, channel, ..
                } => {
                    let sink = self.sink.clone();
                    let tx = self.done_tx.clone();
                    tracing::debug!(peer = %peer, "p2p sync request");
                    tokio::task::spawn_blocking(move || {
                        let blocks = sync::answer(sink.as_ref(), &request);
                        let _ = tx.send(Done::Answer { channel, blocks });
                    });
                }
                request_response::Message::Response {
                    request_id,
                    response,
                } => {
                    let Some(pending) = self.pending.remove(&request_id) else {
                        return;
                    };
                    let (chain, origin, limit) = match pending {
                        Pending::Sync { chain, limit } => {
                            // A page may stop short of `limit` at its body budget: ask again
                            // until an empty answer.
                            let full = !response.headers.is_empty();
                            (chain, Origin::Sync { peer, full }, limit)
                        }
                        Pending::Ancestors { chain, depth } => {
                            (chain, Origin::Ancestors { peer, depth }, ANCESTOR_BATCH)
                        }
                    };
                    let blocks = match response.decode_blocks() {
                        Ok(b) if b.len() as u64 <= limit => b,
                        Ok(_) => {
                            self.end_sync(peer, chain, &origin);
                            self.penalise(peer, "sync answer longer than asked");
                            return;
                        }
                        Err((i, e)) => {
                            self.end_sync(peer, chain, &origin);
                            self.penalise(peer, &format!("sync answer block {i}: {e}"));
                            return;
                        }
                    };
                    if blocks.is_empty() {
                        self.end_sync(peer, chain, &origin);
                        return;
                    }
                    match origin {
                        Origin::Sync { .. } => self.synced += blocks.len() as u64,
                        _ => self.ancestors_fetched += blocks.len() as u64,
                    }
                    self.accept(chain, blocks, origin);
                }
            },
            request_response::Event::OutboundFailure {
                peer,
                request_id,
                error,
                ..
            } => {
                tracing::debug!(peer = %peer, error = %error, "p2p sync request failed");
                if let Some(Pending::Sync { chain, .. }) = self.pending.remove(&request_id) {
                    self.syncing.remove(&(peer, chain));
                }
            }
            _ => {}
        }
    }

    fn end_sync(&mut self, peer: PeerId, chain: ChainId, origin: &Origin) {
        if matches!(origin, Origin::Sync { .. }) {
            self.syncing.remove(&(peer, chain));
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
        }
    }

    fn on_headers(&mut self, chain: ChainId, origin: Origin, results: Vec<(Block, Verdict)>) {
        let mut released = Vec::new();
        let mut invalid = None;
        let mut first_orphan = None;
        let tags: Vec<Tag> = match &origin {
            Origin::Gossip { id, source } => vec![Some((id.clone(), *source))],
            Origin::Released { tags } => tags.clone(),
            _ => Vec::new(),
        };
        for (i, (block, verdict)) in results.iter().enumerate() {
            let tag = tags.get(i).cloned().flatten();
            match verdict {
                Verdict::New { .. } => {
                    if let Some((id, src)) = &tag {
                        self.report(id, src, MessageAcceptance::Accept);
                    }
                    released.extend(self.orphans.take_children(&chain, &block.hash()));
                }
                Verdict::Orphan => {
                    if first_orphan.is_none() {
                        first_orphan = Some(block.clone());
                    }
                    for evicted in self.orphans.insert(chain, block.clone(), tag) {
                        if let Some((id, src)) = evicted.tag {
                            self.report(&id, &src, MessageAcceptance::Ignore);
                        }
                    }
                }
                Verdict::Invalid(why) => {
                    if let Some((id, src)) = &tag {
                        self.report(id, src, MessageAcceptance::Reject);
                        self.penalise(*src, why);
                    } else {
                        invalid = Some(why.clone());
                    }
                }
                Verdict::Known | Verdict::Later(_) => {
                    if let Some((id, src)) = &tag {
                        self.report(id, src, MessageAcceptance::Ignore);
                    }
                }
            }
        }
        match origin {
            Origin::Sync { peer, full } => {
                self.syncing.remove(&(peer, chain));
                if let Some(why) = invalid {
                    self.penalise(peer, &format!("sync: {why}"));
                } else if full {
                    self.start_sync(peer, chain);
                }
            }
            Origin::Ancestors { peer, depth } => {
                if let Some(why) = invalid {
                    self.penalise(peer, &format!("ancestors: {why}"));
                } else if let Some(oldest) = first_orphan {
                    self.fetch_ancestors(peer, chain, &oldest, depth + results.len() as u64);
                }
            }
            Origin::Gossip { source, .. } => {
                if let Some(orphan) = first_orphan {
                    self.fetch_ancestors(source, chain, &orphan, 0);
                }
            }
            Origin::Released { .. } => {}
        }
        if !released.is_empty() {
            let tags = released.iter().map(|o| o.tag.clone()).collect();
            let blocks = released.into_iter().map(|o| o.block).collect();
            self.accept(chain, blocks, Origin::Released { tags });
        }
    }
}
