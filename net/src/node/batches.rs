//! Anchor batches: a node that saw batch roots in its PoW chain without their items asks every
//! connected peer for them (on [`crate::NetHandle::want_batches`] and every sync round), and
//! answers the same requests from what it holds. The sink checks that the leaves hash to a root
//! it is waiting for; leaves that do not cost the peer score, as an invalid header does.

use super::{Done, Node};
use crate::message::{BatchAnswer, BatchLeaves, BatchRequest, MAX_ANSWER_LEAVES, MAX_BATCH_ROOTS};
use crate::sink::Verdict;
use libp2p::request_response::{self};
use libp2p::PeerId;

impl Node {
    /// Asks the sink which batches it wants (on the blocking pool); [`Node::send_batch_requests`]
    /// sends the requests when it answers.
    pub(super) fn ask_batches(&mut self) {
        if self.swarm.connected_peers().next().is_none() {
            return;
        }
        let sink = self.sink.clone();
        let tx = self.done_tx.clone();
        tokio::task::spawn_blocking(move || {
            let roots = sink.wanted_batches(MAX_BATCH_ROOTS);
            if !roots.is_empty() {
                let _ = tx.send(Done::BatchesWanted { roots });
            }
        });
    }

    /// One request for `roots` to every connected peer without one outstanding.
    pub(super) fn send_batch_requests(&mut self, roots: &[[u8; 32]]) {
        let peers: Vec<PeerId> = self.swarm.connected_peers().copied().collect();
        for peer in peers {
            if self.asking_batches.insert(peer) {
                self.swarm
                    .behaviour_mut()
                    .batches
                    .send_request(&peer, BatchRequest::of(roots));
            }
        }
    }

    pub(super) fn on_batches(&mut self, event: request_response::Event<BatchRequest, BatchAnswer>) {
        match event {
            request_response::Event::Message { peer, message, .. } => match message {
                request_response::Message::Request {
                    request, channel, ..
                } => {
                    let Some(roots) = request.decode() else {
                        self.penalise(peer, "malformed batch request");
                        return;
                    };
                    let sink = self.sink.clone();
                    let tx = self.done_tx.clone();
                    tokio::task::spawn_blocking(move || {
                        let mut answer = BatchAnswer::default();
                        let mut leaves_sent = 0usize;
                        for root in &roots {
                            let Some(leaves) = sink.batch_leaves(root) else {
                                continue;
                            };
                            if !answer.batches.is_empty()
                                && leaves_sent + leaves.len() > MAX_ANSWER_LEAVES
                            {
                                break;
                            }
                            leaves_sent += leaves.len();
                            answer.batches.push(BatchLeaves::of(root, &leaves));
                        }
                        let _ = tx.send(Done::BatchAnswer { channel, answer });
                    });
                }
                request_response::Message::Response { response, .. } => {
                    self.asking_batches.remove(&peer);
                    let sink = self.sink.clone();
                    let tx = self.done_tx.clone();
                    tokio::task::spawn_blocking(move || {
                        let mut stored = 0u64;
                        let mut invalid = None;
                        for batch in response.batches.iter().take(MAX_BATCH_ROOTS) {
                            let verdict = match batch.decode() {
                                Some((root, leaves)) => sink.offer_batch(&root, &leaves),
                                None => Verdict::Invalid("batch leaves do not decode".into()),
                            };
                            match verdict {
                                Verdict::New { .. } => stored += 1,
                                Verdict::Invalid(why) => {
                                    invalid = Some(format!("batch {}: {why}", batch.root));
                                    break;
                                }
                                _ => {}
                            }
                        }
                        let _ = tx.send(Done::BatchVerdicts {
                            peer,
                            stored,
                            invalid,
                        });
                    });
                }
            },
            request_response::Event::OutboundFailure { peer, error, .. } => {
                tracing::debug!(peer = %peer, error = %error, "p2p batch request failed");
                self.asking_batches.remove(&peer);
            }
            _ => {}
        }
    }

    pub(super) fn on_batch_verdicts(&mut self, peer: PeerId, stored: u64, invalid: Option<String>) {
        self.batches_fetched += stored;
        if stored > 0 {
            tracing::debug!(peer = %peer, stored, "p2p anchor batches received");
        }
        if let Some(why) = invalid {
            self.penalise(peer, &why);
        }
    }
}
