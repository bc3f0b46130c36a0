//! `ChainState`'s side of finality ([`crate::finality`]): feeding it anchors and the PoW tip,
//! refusing blocks that do not descend from the final block (`conflicts_with_final`) and keeping
//! the best tip inside the final block's subtree.

use super::ancestry::{ancestor, descends_from, skip_height};
use super::{compare_tips, ChainState, Node, Reorg};
use crate::error::RejectError;
use crate::finality::Finality;
use crate::types::{HeaderHash, Height};
use std::cmp::Ordering;

/// What feeding finality changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FinalityUpdate {
    /// The final block after the call.
    pub final_hash: HeaderHash,
    /// Its height.
    pub final_height: Height,
    /// The final block moved.
    pub advanced: bool,
    /// The best tip had to move into the final block's subtree (its old tip conflicted).
    pub reorg: Option<Reorg>,
}

impl ChainState {
    /// Records that `hashes` (PoC header hashes) are anchored in the PoW block at `pow_height` of
    /// the caller's verified PoW chain. Record a PoW block's anchors before moving the tip past
    /// it ([`ChainState::set_pow_tip`]); hashes of blocks not known yet are kept aside (at most
    /// [`crate::finality::MAX_ASIDE`]) until the block arrives.
    pub fn record_anchors(&mut self, pow_height: u64, hashes: &[HeaderHash]) -> FinalityUpdate {
        let moved = self.finality.record(&self.nodes, pow_height, hashes);
        self.finality_update(moved)
    }

    /// The caller's verified PoW chain has its tip at `height`: every PoW height confirmed by it
    /// (`anchor_confirmations`) is visited and the final block may move up.
    pub fn set_pow_tip(&mut self, height: u64) -> FinalityUpdate {
        let moved = self.finality.set_pow_tip(&self.nodes, height);
        self.finality_update(moved)
    }

    /// The PoW chain reorganised: its blocks above `height` (and their anchors) are gone. Never
    /// moves the final block back (`docs/protocol.md` §14, "PoW reorganisations").
    pub fn forget_anchors_above(&mut self, height: u64) -> FinalityUpdate {
        let moved = self.finality.forget_above(&self.nodes, height);
        self.finality_update(moved)
    }

    /// Defers finality replays while many blocks are loaded at once (restart, sync): one replay
    /// at [`ChainState::resume_finality`] instead of one per late block
    /// ([`Finality::defer`]).
    pub fn defer_finality(&mut self) {
        self.finality.defer();
    }

    /// Ends [`ChainState::defer_finality`], replaying once if needed.
    pub fn resume_finality(&mut self) -> FinalityUpdate {
        let moved = self.finality.resume(&self.nodes);
        self.finality_update(moved)
    }

    /// The final block: no block that does not descend from it is accepted, and the best tip
    /// always descends from it (genesis until anything is final).
    #[must_use]
    pub fn final_block(&self) -> &Node {
        &self.nodes[&self.finality.final_block()]
    }

    /// The finality state (anchors, PoW tip, `C`, `M`, counters).
    #[must_use]
    pub fn finality(&self) -> &Finality {
        &self.finality
    }

    /// The lowest PoW height at which a known block is recorded as anchored.
    #[must_use]
    pub fn anchor_height(&self, hash: &HeaderHash) -> Option<u64> {
        self.finality.anchor_height(hash)
    }

    /// The ancestor at `height` of a known block (`O(log n)`).
    #[must_use]
    pub fn ancestor(&self, hash: &HeaderHash, height: Height) -> Option<HeaderHash> {
        ancestor(&self.nodes, hash, height)
    }

    /// Whether a known block is the final block or descends from it.
    #[must_use]
    pub fn descends_from_final(&self, hash: &HeaderHash) -> bool {
        descends_from(&self.nodes, hash, &self.finality.final_block())
    }

    /// Whether a known block is final: an ancestor of (or) the final block.
    #[must_use]
    pub fn is_final(&self, hash: &HeaderHash) -> bool {
        descends_from(&self.nodes, &self.finality.final_block(), hash)
    }

    /// `conflicts_with_final` unless a child of `parent` would descend from the final block.
    pub(crate) fn check_final(&self, parent: &HeaderHash) -> Result<(), RejectError> {
        if self.descends_from_final(parent) {
            return Ok(());
        }
        let f = self.final_block();
        Err(RejectError::ConflictsWithFinal {
            height: f.height.0,
            hash: f.hash.to_hex(),
        })
    }

    /// The skip pointer of a child of `parent` at `height`.
    pub(crate) fn skip_for(&self, parent: &HeaderHash, height: Height) -> HeaderHash {
        ancestor(&self.nodes, parent, Height(skip_height(height.0))).unwrap_or(*parent)
    }

    fn finality_update(&mut self, moved: bool) -> FinalityUpdate {
        let reorg = if moved { self.enforce_final() } else { None };
        let f = self.final_block();
        FinalityUpdate {
            final_hash: f.hash,
            final_height: f.height,
            advanced: moved,
            reorg,
        }
    }

    /// After the final block moved: drops the tips outside its subtree and, if the best tip was
    /// one of them, moves to the best tip inside it.
    pub(crate) fn enforce_final(&mut self) -> Option<Reorg> {
        let f = self.finality.final_block();
        let nodes = &self.nodes;
        self.tips.retain(|t| descends_from(nodes, t, &f));
        if self.descends_from_final(&self.best) {
            return None;
        }
        let best = self
            .tips
            .iter()
            .map(|t| &self.nodes[t])
            .max_by(|a, b| compare_tips(a, b))
            .map_or(f, |n| n.hash);
        let old_tip = self.best;
        let depth = self.fork_depth(&best);
        self.set_best(best);
        debug_assert!(compare_tips(&self.nodes[&best], &self.nodes[&f]) != Ordering::Less);
        self.reorgs += 1;
        Some(Reorg { depth, old_tip })
    }
}
