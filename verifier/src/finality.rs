//! Finality from PoW anchors (`docs/protocol.md` §14): which block of the PoC tree no node may
//! reorganise away, derived from the PoW heights at which block hashes were anchored.
//!
//! Pure and integer-only: the caller hands it the anchors it read from its own verified PoW chain
//! (PoW height, anchored header hash), the PoW tip height and the block tree; it keeps no clock and
//! does no I/O.
//!
//! **The rule.** Let `conf` = `anchor_confirmations`, `R` = `finality_window`, `c` =
//! `finality_depth`. A block's anchor height `a(B)` is the lowest PoW height at which its hash is
//! anchored on the PoW chain. PoW height `p` is *confirmed* once the PoW tip is at least
//! `p + conf − 1`. Starting from `F = genesis`, for every confirmed PoW height `p` in order:
//! - `C` = the best block by fork choice (`compare_tips`) among known blocks with `a(B) ≤ p` that
//!   descend from `F` (the best anchored block);
//! - `M` = the same among blocks with `a(B) ≤ p − R` (the best matured anchored block);
//! - let `h = min(M.height, C.height − c)`; if `h > F.height` and `M` and `C` have the same
//!   ancestor `B` at height `h`, `F` becomes `B`.
//!
//! So a block is final once it lies `c` blocks below the best anchored block and at or below a
//! block that was the best anchored block `R` PoW blocks earlier. Blocks that do not descend from
//! `F` are refused (`conflicts_with_final`) and fork choice never leaves `F`'s subtree.
//!
//! **Order.** `C` and `M` only improve while `F` stays; when `F` moves up they still descend from
//! it, so the state is always `(F, best of the candidates under F)`. An anchor recorded for a PoW
//! height already visited, or a block arriving after its anchor's PoW height was visited, replays
//! the derivation from genesis over every anchor known (so the result does not depend on when it
//! arrived); a PoW reorganisation below a visited height does the same. A replay never moves `F`
//! back or sideways: if it derives an ancestor of the current `F` (or a conflicting block, counted
//! in [`Finality::kept_against_replay`]), the current `F` is kept and `C`, `M` are re-derived
//! under it.

use crate::params::ChainParams;
use crate::state::ancestry::{ancestor, descends_from};
use crate::state::{compare_tips, Node};
use crate::types::{HeaderHash, Height};
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Most anchors of unknown blocks kept aside; beyond it the anchor at the lowest PoW height is
/// dropped (its block, if it ever comes, is then not anchored there).
pub const MAX_ASIDE: usize = 4096;

/// The three finality parameters of a chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FinalityParams {
    /// PoW blocks (the anchoring one included) before an anchor counts.
    pub confirmations: u32,
    /// `R`, in PoW blocks.
    pub window: u32,
    /// `c`, in PoC blocks.
    pub depth: u32,
}

impl FinalityParams {
    /// The finality parameters of a parameter set.
    #[must_use]
    pub fn of(p: &ChainParams) -> FinalityParams {
        FinalityParams {
            confirmations: p.anchor_confirmations,
            window: p.finality_window,
            depth: p.finality_depth,
        }
    }
}

/// The finality state of one chain instance (kept by [`crate::ChainState`]).
#[derive(Debug, Clone)]
pub struct Finality {
    params: FinalityParams,
    genesis: HeaderHash,
    /// Known block → its lowest recorded anchor height.
    anchored: HashMap<HeaderHash, u64>,
    /// Lowest anchor height → the known blocks anchored first there.
    by_height: BTreeMap<u64, BTreeSet<HeaderHash>>,
    /// Anchors of blocks not known yet: hash → lowest anchor height (at most [`MAX_ASIDE`]).
    aside: HashMap<HeaderHash, u64>,
    aside_order: BTreeSet<(u64, HeaderHash)>,
    pow_tip: Option<u64>,
    /// Every confirmed PoW height up to this one has been visited.
    visited: Option<u64>,
    final_block: HeaderHash,
    candidate: HeaderHash,
    matured: HeaderHash,
    replays: u64,
    kept: u64,
    /// While set, a replay is only noted (`dirty`) and runs once at [`Finality::resume`].
    deferred: bool,
    dirty: bool,
}

impl Finality {
    /// Nothing anchored: genesis is final.
    #[must_use]
    pub fn new(params: FinalityParams, genesis: HeaderHash) -> Finality {
        Finality {
            params,
            genesis,
            anchored: HashMap::new(),
            by_height: BTreeMap::new(),
            aside: HashMap::new(),
            aside_order: BTreeSet::new(),
            pow_tip: None,
            visited: None,
            final_block: genesis,
            candidate: genesis,
            matured: genesis,
            replays: 0,
            kept: 0,
            deferred: false,
            dirty: false,
        }
    }

    /// The parameters.
    #[must_use]
    pub fn params(&self) -> FinalityParams {
        self.params
    }

    /// The final block (genesis until anything is final).
    #[must_use]
    pub fn final_block(&self) -> HeaderHash {
        self.final_block
    }

    /// `C`: the best anchored block under the final block.
    #[must_use]
    pub fn candidate(&self) -> HeaderHash {
        self.candidate
    }

    /// `M`: the best matured anchored block under the final block.
    #[must_use]
    pub fn matured(&self) -> HeaderHash {
        self.matured
    }

    /// The PoW tip height last given.
    #[must_use]
    pub fn pow_tip(&self) -> Option<u64> {
        self.pow_tip
    }

    /// The highest confirmed PoW height (`tip + 1 − conf`), if any.
    #[must_use]
    pub fn confirmed_height(&self) -> Option<u64> {
        self.pow_tip
            .and_then(|t| (t + 1).checked_sub(u64::from(self.params.confirmations)))
    }

    /// The lowest recorded anchor height of a known block.
    #[must_use]
    pub fn anchor_height(&self, hash: &HeaderHash) -> Option<u64> {
        self.anchored.get(hash).copied()
    }

    /// How many anchors of unknown blocks are kept aside.
    #[must_use]
    pub fn aside_len(&self) -> usize {
        self.aside.len()
    }

    /// How many known blocks are anchored.
    #[must_use]
    pub fn anchored_len(&self) -> usize {
        self.anchored.len()
    }

    /// How many times the derivation was replayed from genesis (late anchors or blocks, PoW
    /// reorganisations).
    #[must_use]
    pub fn replays(&self) -> u64 {
        self.replays
    }

    /// How many replays derived a final block that was not a descendant of the one kept (the kept
    /// one stays final: a node never moves its final block back).
    #[must_use]
    pub fn kept_against_replay(&self) -> u64 {
        self.kept
    }

    /// Defers replays: while a node loads many blocks at once (a restart replaying its store, a
    /// sync), each late block would replay the derivation; deferred, it is replayed once at
    /// [`Finality::resume`]. Until then the final block stays where it was (blocks are checked
    /// against it), which only admits more blocks, never fewer.
    pub fn defer(&mut self) {
        self.deferred = true;
    }

    /// Ends [`Finality::defer`], replaying once if anything late arrived meanwhile. Returns
    /// whether the final block moved.
    pub fn resume(&mut self, nodes: &HashMap<HeaderHash, Node>) -> bool {
        self.deferred = false;
        let before = self.final_block;
        if std::mem::take(&mut self.dirty) {
            self.replay(nodes);
        }
        self.final_block != before
    }

    /// Records that `hashes` are anchored at PoW height `pow_height` (call before the PoW tip
    /// passes it). Anchors of unknown blocks are kept aside until the block comes. Returns whether
    /// the final block moved.
    pub fn record(
        &mut self,
        nodes: &HashMap<HeaderHash, Node>,
        pow_height: u64,
        hashes: &[HeaderHash],
    ) -> bool {
        let before = self.final_block;
        let mut late = false;
        for h in hashes {
            if nodes.contains_key(h) {
                late |= self.set_anchor(*h, pow_height);
            } else {
                self.put_aside(*h, pow_height);
            }
        }
        if late {
            self.replay(nodes);
        }
        self.final_block != before
    }

    /// A block was added to the tree: its anchors kept aside now count. Returns whether the final
    /// block moved.
    pub fn block_added(&mut self, nodes: &HashMap<HeaderHash, Node>, hash: &HeaderHash) -> bool {
        let Some(q) = self.aside.remove(hash) else {
            return false;
        };
        self.aside_order.remove(&(q, *hash));
        let before = self.final_block;
        if self.set_anchor(*hash, q) {
            self.replay(nodes);
        }
        self.final_block != before
    }

    /// The PoW chain's tip is at `height`: visits the PoW heights it confirms. A lower tip than
    /// before is a PoW reorganisation ([`Finality::forget_above`] first). Returns whether the
    /// final block moved.
    pub fn set_pow_tip(&mut self, nodes: &HashMap<HeaderHash, Node>, height: u64) -> bool {
        let before = self.final_block;
        if self.pow_tip.is_some_and(|t| height < t) {
            self.forget_above(nodes, height);
        }
        self.pow_tip = Some(height);
        if let Some(target) = self.confirmed_height() {
            self.run_to(nodes, target);
        }
        self.final_block != before
    }

    /// The PoW chain reorganised: every anchor above PoW height `height` is gone (the caller
    /// records the new branch's anchors afterwards). If a visited height is affected the
    /// derivation is replayed (it never moves the final block back). Returns whether the final
    /// block moved.
    pub fn forget_above(&mut self, nodes: &HashMap<HeaderHash, Node>, height: u64) -> bool {
        let before = self.final_block;
        let Some(first_gone) = height.checked_add(1) else {
            return false;
        };
        for (_, set) in self.by_height.split_off(&first_gone) {
            for h in set {
                self.anchored.remove(&h);
            }
        }
        for (q, h) in self
            .aside_order
            .split_off(&(first_gone, HeaderHash([0; 32])))
        {
            debug_assert!(q >= first_gone);
            self.aside.remove(&h);
        }
        if self.pow_tip.is_some_and(|t| t > height) {
            self.pow_tip = Some(height);
        }
        if self.visited.is_some_and(|v| v > height) {
            self.replay(nodes);
        }
        self.final_block != before
    }

    /// Lowers a known block's anchor height to `q`; true if that changes a visited PoW height.
    fn set_anchor(&mut self, hash: HeaderHash, q: u64) -> bool {
        if let Some(old) = self.anchored.get(&hash).copied() {
            if old <= q {
                return false;
            }
            if let Some(set) = self.by_height.get_mut(&old) {
                set.remove(&hash);
                if set.is_empty() {
                    self.by_height.remove(&old);
                }
            }
        }
        self.anchored.insert(hash, q);
        self.by_height.entry(q).or_default().insert(hash);
        self.visited.is_some_and(|v| q <= v)
    }

    fn put_aside(&mut self, hash: HeaderHash, q: u64) {
        if let Some(old) = self.aside.get(&hash).copied() {
            if old <= q {
                return;
            }
            self.aside_order.remove(&(old, hash));
        }
        self.aside.insert(hash, q);
        self.aside_order.insert((q, hash));
        while self.aside.len() > MAX_ASIDE {
            let Some(first) = self.aside_order.pop_first() else {
                break;
            };
            self.aside.remove(&first.1);
        }
    }

    /// Visits the PoW heights after `visited` up to `target`, in order.
    fn run_to(&mut self, nodes: &HashMap<HeaderHash, Node>, target: u64) {
        let start = self.visited.map_or(0, |v| v + 1);
        if start > target {
            return;
        }
        let r = u64::from(self.params.window);
        // (p, 0 = candidate offer / 1 = matured offer, hash), in step order.
        let mut events: Vec<(u64, u8, HeaderHash)> = Vec::new();
        for (q, set) in self.by_height.range(start..=target) {
            events.extend(set.iter().map(|h| (*q, 0, *h)));
        }
        if let Some(m_end) = target.checked_sub(r) {
            let m_start = start.saturating_sub(r);
            for (q, set) in self.by_height.range(m_start..=m_end) {
                if q + r >= start {
                    events.extend(set.iter().map(|h| (q + r, 1, *h)));
                }
            }
        }
        events.sort_unstable();
        let mut i = 0;
        while i < events.len() {
            let p = events[i].0;
            while i < events.len() && events[i].0 == p {
                let (_, kind, h) = events[i];
                self.offer(nodes, &h, kind == 1);
                i += 1;
            }
            self.advance(nodes);
        }
        self.visited = Some(target);
    }

    /// Offers an anchored block as `C` (or as `M` when `matured`).
    fn offer(&mut self, nodes: &HashMap<HeaderHash, Node>, hash: &HeaderHash, matured: bool) {
        if !descends_from(nodes, hash, &self.final_block) {
            return;
        }
        let current = if matured {
            self.matured
        } else {
            self.candidate
        };
        let (Some(x), Some(cur)) = (nodes.get(hash), nodes.get(&current)) else {
            return;
        };
        if compare_tips(x, cur) == Ordering::Greater {
            if matured {
                self.matured = *hash;
            } else {
                self.candidate = *hash;
            }
        }
    }

    /// Moves `F` up to the common ancestor of `M` and `C` at `min(M.height, C.height − c)`.
    fn advance(&mut self, nodes: &HashMap<HeaderHash, Node>) {
        let (Some(c), Some(m), Some(f)) = (
            nodes.get(&self.candidate),
            nodes.get(&self.matured),
            nodes.get(&self.final_block),
        ) else {
            return;
        };
        let Some(below_c) = c.height.0.checked_sub(u64::from(self.params.depth)) else {
            return;
        };
        let h = Height(below_c.min(m.height.0));
        if h <= f.height {
            return;
        }
        if let Some(b) = ancestor(nodes, &m.hash, h) {
            if ancestor(nodes, &c.hash, h) == Some(b) {
                self.final_block = b;
            }
        }
    }

    /// Derives everything again from genesis over the anchors known; keeps the current final
    /// block unless the result descends from it.
    fn replay(&mut self, nodes: &HashMap<HeaderHash, Node>) {
        if self.deferred {
            self.dirty = true;
            return;
        }
        self.replays += 1;
        let old = self.final_block;
        self.final_block = self.genesis;
        self.candidate = self.genesis;
        self.matured = self.genesis;
        self.visited = None;
        if let Some(target) = self.confirmed_height() {
            self.run_to(nodes, target);
        }
        if descends_from(nodes, &self.final_block, &old) {
            return;
        }
        if !descends_from(nodes, &old, &self.final_block) {
            self.kept += 1;
        }
        // Keep `old`: the state is `old` with the best candidates under it.
        self.final_block = old;
        self.candidate = old;
        self.matured = old;
        if let Some(target) = self.visited {
            let r = u64::from(self.params.window);
            let anchored: Vec<(u64, HeaderHash)> = self
                .by_height
                .range(..=target)
                .flat_map(|(q, s)| s.iter().map(|h| (*q, *h)))
                .collect();
            for (q, h) in anchored {
                self.offer(nodes, &h, false);
                if q.checked_add(r).is_some_and(|p| p <= target) {
                    self.offer(nodes, &h, true);
                }
            }
            self.advance(nodes);
        }
    }
}
