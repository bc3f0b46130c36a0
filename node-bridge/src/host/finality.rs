//! Finality wiring (`docs/protocol.md` §14): every anchor in the node's own verified PoW chain
//! (the follower's, never another node's word), whoever sent it, counts. Each PoW block is
//! scanned once ([`crate::anchor::scan`]) and in height order; the header items of a batch
//! count when the node holds the batch's items — its own batches from its outbox, other nodes'
//! from peers over the chain network, checked against the root in the PoW block
//! ([`ChainHost::offer_batch`]). A batch whose items arrive late is fed at its PoW height then
//! (the chain state replays). A PoW reorganisation drops the anchors from the first changed
//! height up and the blocks from there are scanned again.

use super::ChainHost;
use crate::anchor::merkle::Node as Root;
use crate::anchor::scan::{scan_block, FoundAnchor};
use crate::anchor::{ItemKind, Offer};
use crate::error::AnchorError;
use crate::follower::Follower;
use crate::pow::Hash256;
use crate::HostError;
use masspoc_verifier::HeaderHash;
use std::collections::{BTreeMap, HashSet};

/// Most PoW blocks scanned in one pass (a node far behind catches up over several passes).
pub const MAX_SCAN_PER_PASS: u64 = 2_000;

/// Most batch roots seen in PoW blocks whose items this node does not hold yet; past it the
/// lowest PoW heights are forgotten (such a batch counts only if it is offered again).
pub const MAX_WAITING: usize = 4_096;

/// The node's verified PoW chain as finality reads it.
pub trait PowView {
    /// The lowest height held (the follower's start).
    fn start(&self) -> u64;
    /// The tip height (`None`: nothing held yet).
    fn tip(&self) -> Option<u64>;
    /// The verified header at `height`: its id and transaction merkle root.
    fn header_at(&self, height: u64) -> Option<(Hash256, Hash256)>;
    /// The anchors of block `id` (merkle root `merkle_root`), read from the PoW node.
    fn scan(&self, id: &Hash256, merkle_root: &Hash256) -> Result<Vec<FoundAnchor>, AnchorError>;
}

impl PowView for Follower {
    fn start(&self) -> u64 {
        self.start_height()
    }

    fn tip(&self) -> Option<u64> {
        Follower::tip(self).ok().flatten().map(|h| h.height)
    }

    fn header_at(&self, height: u64) -> Option<(Hash256, Hash256)> {
        Follower::header_at(self, height)
            .ok()
            .flatten()
            .map(|h| (h.id, h.header.merkle_root))
    }

    fn scan(&self, id: &Hash256, merkle_root: &Hash256) -> Result<Vec<FoundAnchor>, AnchorError> {
        scan_block(self.rpc(), id, merkle_root)
    }
}

/// Where the feed stands (in memory: a restart scans nothing again — scans are stored — but
/// feeds every stored anchor once more into the freshly rebuilt chain states).
#[derive(Debug, Default)]
pub(crate) struct FeedState {
    /// The last PoW block scanned and fed.
    cursor: Option<(u64, Hash256)>,
    /// PoW heights that carried anchors, with their block id.
    anchored: BTreeMap<u64, Hash256>,
    /// Roots seen without their items: the lowest PoW height each was seen at.
    waiting: BTreeMap<Root, u64>,
    /// Roots whose items arrived since the last pass, with their PoW height.
    arrived: Vec<(Root, u64)>,
    /// Where the next [`ChainHost::wanted_batches`] starts (round robin over `waiting`).
    ask_after: Option<Root>,
}

/// What one [`ChainHost::feed_finality`] pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedReport {
    /// PoW blocks scanned.
    pub scanned: u64,
    /// PoW heights whose anchors were fed.
    pub fed_heights: usize,
    /// Batch roots seen whose items this node does not hold (asked of peers).
    pub waiting: usize,
    /// The PoW height finality has reached (scanned and fed up to).
    pub pow_height: Option<u64>,
}

/// How a peer's batch was taken ([`ChainHost::offer_batch`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchOffer {
    /// Wanted, matching its root: stored and fed at the next pass.
    Stored,
    /// Already held, or not asked for (nothing stored).
    Known,
    /// The leaves do not hash to the root, or are malformed: the peer sent junk.
    Invalid,
}

impl ChainHost {
    /// One finality pass over `pow`: follows a PoW reorganisation (`changed_from`: the lowest
    /// height whose block the follower replaced since the last pass), scans the PoW blocks not
    /// scanned yet in height order (at most [`MAX_SCAN_PER_PASS`]), and feeds every hosted
    /// chain the header items of the batches whose items the node holds, then the PoW height
    /// reached. A scan failure (the PoW node down) ends the pass after feeding what was read;
    /// the next pass goes on from there.
    pub fn feed_finality(
        &self,
        pow: &dyn PowView,
        changed_from: Option<u64>,
    ) -> Result<FeedReport, HostError> {
        let mut st = self.feed.lock().map_err(|_| HostError::Poisoned)?;
        let tip = pow.tip();
        self.follow_pow_reorg(&mut st, pow, tip, changed_from)?;
        let mut by_height: BTreeMap<u64, Vec<HeaderHash>> = BTreeMap::new();
        let mut report = FeedReport::default();
        let mut failed = None;
        let from = st.cursor.map_or(pow.start(), |(h, _)| h + 1);
        let to = tip.map_or(0, |t| t.min(from.saturating_add(MAX_SCAN_PER_PASS - 1)));
        for height in from..=to {
            if tip.is_none() {
                break;
            }
            let Some((id, merkle_root)) = pow.header_at(height) else {
                break;
            };
            let found = match self.seen.block(&id)? {
                Some(found) => found,
                None => match pow.scan(&id, &merkle_root) {
                    Ok(found) => {
                        self.seen.put_block(&id, height, &found)?;
                        report.scanned += 1;
                        found
                    }
                    Err(e) => {
                        failed = Some(e);
                        break;
                    }
                },
            };
            for anchor in &found {
                let root = anchor.payload.root;
                match self.seen.items(&root)? {
                    Some(items) => by_height.entry(height).or_default().extend(
                        items
                            .iter()
                            .filter(|i| i.kind == ItemKind::Header)
                            .map(|i| HeaderHash(i.hash)),
                    ),
                    None => {
                        st.waiting.entry(root).or_insert(height);
                    }
                }
            }
            if !found.is_empty() {
                st.anchored.insert(height, id);
            }
            st.cursor = Some((height, id));
        }
        while st.waiting.len() > MAX_WAITING {
            let lowest = st.waiting.iter().min_by_key(|(_, h)| **h).map(|(r, _)| *r);
            if let Some(r) = lowest {
                st.waiting.remove(&r);
            }
        }
        for (root, height) in std::mem::take(&mut st.arrived) {
            if let Some(items) = self.seen.items(&root)? {
                by_height.entry(height).or_default().extend(
                    items
                        .iter()
                        .filter(|i| i.kind == ItemKind::Header)
                        .map(|i| HeaderHash(i.hash)),
                );
            }
        }
        report.fed_heights = by_height.len();
        report.waiting = st.waiting.len();
        report.pow_height = st.cursor.map(|(h, _)| h);
        self.record_in_chains(&by_height, report.pow_height)?;
        drop(st);
        match failed {
            Some(e) => Err(e.into()),
            None => Ok(report),
        }
    }

    /// Drops what a PoW reorganisation replaced: the anchors from the first changed height up
    /// (in every chain state), and the scan cursor back below it.
    fn follow_pow_reorg(
        &self,
        st: &mut FeedState,
        pow: &dyn PowView,
        tip: Option<u64>,
        changed_from: Option<u64>,
    ) -> Result<(), HostError> {
        let Some((cursor, cursor_id)) = st.cursor else {
            return Ok(());
        };
        let moved = |h: u64, id: &Hash256| {
            tip.is_none_or(|t| h > t) || pow.header_at(h).map(|x| x.0) != Some(*id)
        };
        let mut first = changed_from.filter(|h| *h <= cursor);
        if let Some((h, _)) = st.anchored.iter().find(|(h, id)| moved(**h, id)) {
            first = Some(first.map_or(*h, |f| f.min(*h)));
        }
        if first.is_none() && moved(cursor, &cursor_id) {
            // Changed below the cursor at an unknown height: start again from the bottom.
            first = Some(pow.start());
        }
        let Some(first) = first else {
            return Ok(());
        };
        for slot in self.chains.values() {
            slot.write()?
                .state
                .forget_anchors_above(first.saturating_sub(1));
        }
        st.anchored.split_off(&first);
        st.waiting.retain(|_, h| *h < first);
        st.arrived.retain(|(_, h)| *h < first);
        st.cursor = first
            .checked_sub(1)
            .filter(|h| *h >= pow.start())
            .and_then(|h| pow.header_at(h).map(|(id, _)| (h, id)));
        Ok(())
    }

    /// Feeds each hosted chain its anchors (an item a chain knows goes to that chain; one no
    /// hosted chain knows yet goes to all, kept aside until its block arrives) and the PoW height
    /// reached; republishes a chain whose final block or best tip moved.
    fn record_in_chains(
        &self,
        by_height: &BTreeMap<u64, Vec<HeaderHash>>,
        pow_height: Option<u64>,
    ) -> Result<(), HostError> {
        let mut known_somewhere: HashSet<HeaderHash> = HashSet::new();
        for slot in self.chains.values() {
            let hosted = slot.read()?;
            for items in by_height.values() {
                known_somewhere.extend(items.iter().filter(|x| hosted.state.node(x).is_some()));
            }
        }
        for slot in self.chains.values() {
            let mut hosted = slot.write()?;
            let before = (hosted.state.final_block().hash, hosted.state.best().hash);
            // Late batches (items that arrived after their PoW height was visited) replay the
            // derivation: once per pass, however many there are.
            hosted.state.defer_finality();
            for (h, items) in by_height {
                let mine: Vec<HeaderHash> = items
                    .iter()
                    .filter(|x| hosted.state.node(x).is_some() || !known_somewhere.contains(x))
                    .copied()
                    .collect();
                if !mine.is_empty() {
                    hosted.state.record_anchors(*h, &mine);
                }
            }
            if let Some(p) = pow_height {
                hosted.state.set_pow_tip(p);
            }
            hosted.state.resume_finality();
            // Republished (waking long-polls) only when the final block or, through it, the best
            // tip moved: a pass that changes nothing wakes nobody.
            let (final_block, best) = (hosted.state.final_block().hash, hosted.state.best().hash);
            if best != before.1 {
                hosted.version += 1;
            }
            if (final_block, best) != before {
                slot.publish(&hosted);
            }
        }
        Ok(())
    }

    /// Up to `max` batch roots seen in the PoW chain whose items this node lacks, to ask peers
    /// for; successive calls go round the list, so roots nobody has do not starve the others.
    pub fn wanted_batches(&self, max: usize) -> Vec<Root> {
        let Ok(mut st) = self.feed.lock() else {
            return Vec::new();
        };
        let after = st.ask_after;
        let start = after.map_or(std::ops::Bound::Unbounded, std::ops::Bound::Excluded);
        let mut out: Vec<Root> = st
            .waiting
            .range((start, std::ops::Bound::Unbounded))
            .map(|(r, _)| *r)
            .take(max)
            .collect();
        if out.len() < max {
            for r in st.waiting.keys() {
                if out.len() >= max || out.contains(r) {
                    break;
                }
                out.push(*r);
            }
        }
        st.ask_after = out.last().copied();
        out
    }

    /// A batch's leaves (33-byte leaf data each, in tree order) offered by a peer: stored when the
    /// root is one this node saw in its PoW chain and waits for, and the leaves hash to it.
    pub fn offer_batch(&self, root: &Root, leaves: &[[u8; 33]]) -> Result<BatchOffer, HostError> {
        let mut st = self.feed.lock().map_err(|_| HostError::Poisoned)?;
        let Some(height) = st.waiting.get(root).copied() else {
            return Ok(BatchOffer::Known);
        };
        Ok(match self.seen.offer_items(root, leaves)? {
            Offer::Stored | Offer::Known => {
                st.waiting.remove(root);
                st.arrived.push((*root, height));
                BatchOffer::Stored
            }
            Offer::Mismatch | Offer::Malformed => BatchOffer::Invalid,
        })
    }

    /// The leaves of batch `root` (33-byte leaf data each), when this node holds its items: what
    /// it answers a peer that asks.
    pub fn batch_leaves(&self, root: &Root) -> Option<Vec<[u8; 33]>> {
        let items = self.seen.items(root).ok()??;
        Some(items.iter().map(|i| i.leaf_data()).collect())
    }
}
