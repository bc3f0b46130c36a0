//! Catching up: range sync with every peer (block locators, page by page) and fetching the
//! missing ancestors of an orphan from the peer that relayed it.

use super::{Done, Node, Origin, Pending};
use crate::message::{SyncRequest, MAX_SYNC_HEADERS};
use crate::sync;
use libp2p::request_response::{self};
use libp2p::PeerId;
use masspoc_api::HeaderList;
use masspoc_verifier::{Block, ChainId};

/// Headers asked for per ancestor request.
pub const ANCESTOR_BATCH: u64 = 64;
/// Most ancestors fetched for one orphan before falling back to range sync.
pub const MAX_ANCESTOR_DEPTH: u64 = 512;

impl Node {
    pub(super) fn sync_all(&mut self, peer: PeerId) {
        for chain in self.chains.clone() {
            self.start_sync(peer, chain);
        }
    }

    pub(super) fn start_sync(&mut self, peer: PeerId, chain: ChainId) {
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

    pub(super) fn fetch_ancestors(
        &mut self,
        peer: PeerId,
        chain: ChainId,
        block: &Block,
        depth: u64,
    ) {
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

    pub(super) fn on_sync(&mut self, event: request_response::Event<SyncRequest, HeaderList>) {
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

    pub(super) fn end_sync(&mut self, peer: PeerId, chain: ChainId, origin: &Origin) {
        if matches!(origin, Origin::Sync { .. }) {
            self.syncing.remove(&(peer, chain));
        }
    }
}
