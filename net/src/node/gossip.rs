//! Gossiped headers and evidence: handed to the sink off the swarm task, reported to
//! gossipsub only once the sink decided, invalid senders penalised; orphans wait for their
//! ancestors.

use super::{Done, Node, Origin, Tag};
use crate::message::Announce;
use crate::scores::BAN_DURATION;
use crate::sink::Verdict;
use libp2p::gossipsub::{self, MessageAcceptance, MessageId};
use libp2p::PeerId;
use masspoc_verifier::{Block, ChainId};
use std::time::Instant;

impl Node {
    pub(super) fn report(
        &mut self,
        id: &MessageId,
        source: &PeerId,
        acceptance: MessageAcceptance,
    ) {
        self.swarm
            .behaviour_mut()
            .gossipsub
            .report_message_validation_result(id, source, acceptance);
    }

    /// Costs `peer` score for an invalid message; bans it at the threshold.
    pub(super) fn penalise(&mut self, peer: PeerId, why: &str) {
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

    pub(super) fn on_gossip(&mut self, source: PeerId, id: MessageId, message: gossipsub::Message) {
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

    /// Hands blocks to the sink in order, off the swarm task: a sync or ancestors answer as one
    /// page ([`crate::ChainSink::accept_page`], which ends it at its first invalid block),
    /// anything else block by block (released orphans are siblings, not a chain).
    pub(super) fn accept(&self, chain: ChainId, blocks: Vec<Block>, origin: Origin) {
        let sink = self.sink.clone();
        let tx = self.done_tx.clone();
        let page = matches!(origin, Origin::Sync { .. } | Origin::Ancestors { .. });
        tokio::task::spawn_blocking(move || {
            let verdicts = if page {
                sink.accept_page(&chain, &blocks)
            } else {
                blocks
                    .iter()
                    .map(|b| sink.accept_block(&chain, b))
                    .collect()
            };
            let results = blocks.into_iter().zip(verdicts).collect();
            let _ = tx.send(Done::Headers {
                chain,
                origin,
                results,
            });
        });
    }

    pub(super) fn on_headers(
        &mut self,
        chain: ChainId,
        origin: Origin,
        results: Vec<(Block, Verdict)>,
    ) {
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
