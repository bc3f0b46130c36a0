//! `ChainState`: the block tree of one chain instance, its best tip, per-branch bans and reorgs.
//!
//! Accepting a block runs the body check (its root is the header's payload root), the stateful
//! rules (known parent, ban on the parent's branch, retarget), the pure per-header rules of
//! [`crate::rules`] (the VRF key binding among them: it needs no state), then the evidence rules
//! of [`branch::Branch`]; fork choice is [`node::compare_tips`]. A block's validity depends only on
//! its ancestors, so every node holding the same blocks holds the same tree, tip and bans.

pub mod ancestry;
pub mod branch;
mod finality_hooks;
mod unchecked;
pub use unchecked::SimBlock;
pub mod node;

use crate::batch::Prechecked;
use crate::block::Block;
use crate::error::RejectError;
use crate::evidence::Evidence;
use crate::finality::{Finality, FinalityParams};
use crate::header::Header;
use crate::params::ChainSpec;
use crate::retarget::{next_difficulty, RetargetWindow};
use crate::rules::{check_header, CheckedHeader, ParentInfo};
use crate::types::{ChainId, HeaderHash, Height};
pub use branch::Branch;
pub use finality_hooks::FinalityUpdate;
pub use node::{compare_tips, Node};
use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use masspoc_proof::FarmerPublicKey;

/// What happened to the best chain when a block was accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reorg {
    /// Blocks of the old best chain that are no longer on it.
    pub depth: u64,
    /// The old tip.
    pub old_tip: HeaderHash,
}

/// The result of accepting a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Accepted {
    /// The block's hash.
    pub hash: HeaderHash,
    /// Its height.
    pub height: Height,
    /// The block was already known (nothing changed).
    pub duplicate: bool,
    /// It is now the best tip.
    pub best: bool,
    /// Becoming the best tip replaced blocks of the old best chain.
    pub reorg: Option<Reorg>,
    /// It would have won fork choice, but the reorganisation is deeper than the node's bound.
    pub reorg_refused: bool,
}

/// The block tree of one chain instance.
#[derive(Debug, Clone)]
pub struct ChainState {
    spec: ChainSpec,
    nodes: HashMap<HeaderHash, Node>,
    best: HeaderHash,
    /// `main[h]` is the best chain's block at height `h`.
    main: Vec<HeaderHash>,
    max_reorg_depth: Option<u64>,
    reorgs: u64,
    /// Blocks without children (the tips fork choice picks from when finality moves).
    tips: HashSet<HeaderHash>,
    finality: Finality,
}

impl ChainState {
    /// A chain holding only genesis.
    #[must_use]
    pub fn new(spec: ChainSpec) -> ChainState {
        let g = spec.genesis;
        let node = Node {
            hash: g.hash,
            parent: g.hash,
            skip: g.hash,
            height: g.height,
            timestamp_ms: g.timestamp_ms,
            difficulty: 0,
            cumulative: 0,
            farmer: None,
            beta: g.beta,
            header: None,
            body: None,
            branch: Branch::default(),
        };
        let finality = Finality::new(FinalityParams::of(&spec.params), g.hash);
        ChainState {
            spec,
            nodes: HashMap::from([(g.hash, node)]),
            best: g.hash,
            main: vec![g.hash],
            max_reorg_depth: None,
            reorgs: 0,
            tips: HashSet::from([g.hash]),
            finality,
        }
    }

    /// Refuses to switch to a branch that replaces more than `depth` blocks of the best chain (a
    /// node-local policy, `docs/protocol.md` "Reorganisation bound"). `None` = unbounded.
    pub fn set_max_reorg_depth(&mut self, depth: Option<u64>) {
        self.max_reorg_depth = depth;
    }

    /// The chain's parameters, id and genesis.
    #[must_use]
    pub fn spec(&self) -> &ChainSpec {
        &self.spec
    }

    /// The best tip.
    #[must_use]
    pub fn best(&self) -> &Node {
        &self.nodes[&self.best]
    }

    /// A known block (genesis included).
    #[must_use]
    pub fn node(&self, hash: &HeaderHash) -> Option<&Node> {
        self.nodes.get(hash)
    }

    /// Number of known blocks, genesis included.
    #[must_use]
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Never true: genesis is always there.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// How many times the best tip moved to a branch that did not extend it.
    #[must_use]
    pub fn reorg_count(&self) -> u64 {
        self.reorgs
    }

    /// The best chain's block hash at `height`.
    #[must_use]
    pub fn main_at(&self, height: Height) -> Option<HeaderHash> {
        usize::try_from(height.0)
            .ok()
            .and_then(|h| self.main.get(h))
            .copied()
    }

    /// Up to `limit` headers of the best chain from height `from` on.
    #[must_use]
    pub fn main_headers(&self, from: Height, limit: usize) -> Vec<Header> {
        let start = usize::try_from(from.0).unwrap_or(usize::MAX).max(1);
        self.main
            .iter()
            .skip(start)
            .take(limit)
            .filter_map(|h| self.nodes.get(h).and_then(|n| n.header))
            .collect()
    }

    /// What a child of `parent` needs from it, if `parent` is known.
    #[must_use]
    pub fn parent_info(&self, parent: &HeaderHash) -> Option<ParentInfo> {
        self.nodes.get(parent).map(|n| ParentInfo {
            hash: n.hash,
            height: n.height,
            timestamp_ms: n.timestamp_ms,
            beta: n.beta,
        })
    }

    /// The retarget window ending at a known block.
    #[must_use]
    pub fn retarget_window(&self, parent: &HeaderHash) -> Option<RetargetWindow> {
        let p = self.nodes.get(parent)?;
        let blocks = p.height.0.min(u64::from(self.spec.params.retarget_window));
        let mut a = p;
        for _ in 0..blocks {
            a = self.nodes.get(&a.parent)?;
        }
        Some(RetargetWindow {
            blocks,
            sum_difficulty: p.cumulative - a.cumulative,
            start_ms: a.timestamp_ms,
            end_ms: p.timestamp_ms,
        })
    }

    /// The difficulty a child of `parent` must carry.
    #[must_use]
    pub fn next_difficulty(&self, parent: &HeaderHash) -> Option<u64> {
        self.retarget_window(parent)
            .map(|w| next_difficulty(&self.spec.params, &w))
    }

    /// The height from which the best branch bans `farmer` (the height of the block that included
    /// the evidence), if it does.
    #[must_use]
    pub fn banned_from(&self, farmer: &FarmerPublicKey) -> Option<Height> {
        self.best().branch.banned_from(farmer)
    }

    /// Whether a child of `parent` may include `evidence` ([`Branch::includable`]): what the
    /// node's evidence pool hands the farmer, and how it refuses junk (another chain, a farmer
    /// with no block on the branch, a farmer the branch already bans).
    pub fn includable(&self, parent: &HeaderHash, evidence: &Evidence) -> Result<(), RejectError> {
        let p = self
            .nodes
            .get(parent)
            .ok_or_else(|| RejectError::UnknownParent(parent.to_hex()))?;
        includable(p, &self.spec.chain_id, evidence)
    }

    /// The stateful checks of a header: known parent, height, ban on the parent's branch. Returns
    /// the parent and the difficulty the pure rules need.
    pub fn prepare(&self, header: &Header) -> Result<(ParentInfo, u64), RejectError> {
        self.check_parent(header)?;
        let info = self.parent_info(&header.prev_hash).expect("parent known");
        let difficulty = self
            .next_difficulty(&header.prev_hash)
            .ok_or_else(|| RejectError::UnknownParent(header.prev_hash.to_hex()))?;
        Ok((info, difficulty))
    }

    /// Known parent, height, descent from the final block, and no ban of the signer on the
    /// parent's branch; returns the parent.
    fn check_parent(&self, header: &Header) -> Result<&Node, RejectError> {
        let parent = self
            .nodes
            .get(&header.prev_hash)
            .ok_or_else(|| RejectError::UnknownParent(header.prev_hash.to_hex()))?;
        let expected = parent.height.0.saturating_add(1);
        if header.height.0 != expected {
            return Err(RejectError::WrongHeight {
                expected,
                got: header.height.0,
            });
        }
        self.check_final(&parent.hash)?;
        if let Some(from) = parent.branch.banned_from(&header.farmer()) {
            return Err(RejectError::BannedKey { from: from.0 });
        }
        Ok(parent)
    }

    /// [`ChainState::accept_block`] for a block with an empty body (callers that have no body:
    /// the header's payload root must be [`crate::body::Body::empty_root`]).
    pub fn accept_header(
        &mut self,
        header: &Header,
        now_ms: Option<u64>,
    ) -> Result<Accepted, RejectError> {
        self.accept_block(&Block::empty(*header), now_ms)
    }

    /// Runs every rule on a block and, if it passes, adds it and applies fork choice.
    ///
    /// `now_ms` is the checker's clock for the future-drift rule (`None` skips that rule, for
    /// replaying old blocks).
    pub fn accept_block(
        &mut self,
        block: &Block,
        now_ms: Option<u64>,
    ) -> Result<Accepted, RejectError> {
        self.accept_prechecked(&Prechecked::unchecked(block, now_ms))
    }

    /// [`ChainState::accept_block`] on a block whose state-free checks may have run ahead
    /// ([`crate::batch::precheck`]), in the same order and with the same outcome: known block,
    /// body root, the stateful checks ([`ChainState::prepare`]), the per-header rules, then the
    /// evidence rules and fork choice. A result computed ahead is taken only when the parent and
    /// difficulty it was computed against are the ones the state gives now; otherwise the rules run
    /// here.
    pub fn accept_prechecked(&mut self, pre: &Prechecked<'_>) -> Result<Accepted, RejectError> {
        let block = pre.block;
        let hash = block.hash();
        if self.nodes.contains_key(&hash) {
            return Ok(self.duplicate(hash));
        }
        match &pre.body {
            Some(body) => body.clone()?,
            None => block.check_body_root()?,
        }
        let (parent, difficulty) = self.prepare(&block.header)?;
        let checked = match &pre.header {
            Some(g) if g.parent == parent && g.difficulty == difficulty => g.result.clone()?,
            _ => check_header(&block.header, &parent, &self.spec, difficulty, pre.now_ms)?,
        };
        self.insert_valid(block, &checked)
    }

    /// Accepts blocks in order with the expensive checks in parallel
    /// ([`crate::batch::accept_sequence`]); one result per block.
    pub fn accept_sequence(
        &mut self,
        blocks: &[Block],
        now_ms: Option<u64>,
    ) -> Vec<Result<Accepted, RejectError>> {
        crate::batch::accept_sequence(self, blocks, now_ms)
    }

    /// Adds a block whose header passed the pure rules (e.g. in a parallel batch, with the inputs
    /// [`ChainState::prepare`] gave) and applies fork choice. The body root and the stateful
    /// checks (known parent, ban, evidence) run here, since the state may have changed in between.
    pub fn insert_checked(
        &mut self,
        block: &Block,
        checked: &CheckedHeader,
    ) -> Result<Accepted, RejectError> {
        if self.nodes.contains_key(&checked.hash) {
            return Ok(self.duplicate(checked.hash));
        }
        block.check_body_root()?;
        self.insert_valid(block, checked)
    }

    /// [`ChainState::insert_checked`] once the body root is known to match.
    pub(crate) fn insert_valid(
        &mut self,
        block: &Block,
        checked: &CheckedHeader,
    ) -> Result<Accepted, RejectError> {
        if self.nodes.contains_key(&checked.hash) {
            return Ok(self.duplicate(checked.hash));
        }
        let node = self.child_node(block, checked.hash, block.header.difficulty, checked.beta)?;
        Ok(self.insert_node(node))
    }

    /// The node a block becomes under its parent, after the stateful checks and the evidence rules.
    pub(crate) fn child_node(
        &self,
        block: &Block,
        hash: HeaderHash,
        difficulty: u64,
        beta: masspoc_proof::vrf::VrfOutput,
    ) -> Result<Node, RejectError> {
        let header = &block.header;
        let parent = self.check_parent(header)?;
        let branch = parent.branch.child(
            &self.spec.chain_id,
            header.height,
            header.farmer(),
            &block.body.evidence,
        )?;
        Ok(Node {
            hash,
            parent: header.prev_hash,
            skip: self.skip_for(&header.prev_hash, header.height),
            height: header.height,
            timestamp_ms: header.timestamp_ms,
            difficulty,
            cumulative: parent.cumulative + u128::from(difficulty),
            farmer: Some(header.farmer()),
            beta,
            header: Some(*header),
            body: (!block.body.is_empty()).then(|| Arc::new(block.body.clone())),
            branch,
        })
    }

    pub(crate) fn duplicate(&self, hash: HeaderHash) -> Accepted {
        let height = self.nodes.get(&hash).map_or(Height(0), |n| n.height);
        Accepted {
            hash,
            height,
            duplicate: true,
            best: self.best == hash,
            reorg: None,
            reorg_refused: false,
        }
    }

    pub(crate) fn insert_node(&mut self, node: Node) -> Accepted {
        let hash = node.hash;
        let height = node.height;
        self.tips.remove(&node.parent);
        self.tips.insert(hash);
        self.nodes.insert(hash, node);
        if self.finality.block_added(&self.nodes, &hash) {
            self.enforce_final();
        }
        let mut out = Accepted {
            hash,
            height,
            duplicate: false,
            best: self.best == hash,
            reorg: None,
            reorg_refused: false,
        };
        let node = &self.nodes[&hash];
        if out.best || compare_tips(node, self.best()) != Ordering::Greater {
            return out;
        }
        let depth = if node.parent == self.best {
            0
        } else {
            self.fork_depth(&hash)
        };
        if depth > 0 && self.max_reorg_depth.is_some_and(|max| depth > max) {
            out.reorg_refused = true;
            return out;
        }
        let old_tip = self.best;
        self.set_best(hash);
        out.best = true;
        if depth > 0 {
            self.reorgs += 1;
            out.reorg = Some(Reorg { depth, old_tip });
        }
        out
    }

    /// How many blocks of the best chain a switch to `tip` would replace.
    pub(crate) fn fork_depth(&self, tip: &HeaderHash) -> u64 {
        let mut n = &self.nodes[tip];
        while self.main_at(n.height) != Some(n.hash) {
            n = &self.nodes[&n.parent];
        }
        self.best().height.0 - n.height.0
    }

    /// Makes `tip` the best tip and rewrites the main-chain index down to the common ancestor.
    pub(crate) fn set_best(&mut self, tip: HeaderHash) {
        let mut branch = Vec::new();
        let mut n = &self.nodes[&tip];
        while self.main_at(n.height) != Some(n.hash) {
            branch.push(n.hash);
            n = &self.nodes[&n.parent];
        }
        self.main.truncate(n.height.0 as usize + 1);
        self.main.extend(branch.into_iter().rev());
        self.best = tip;
    }
}

/// Whether a child of `parent` on chain `chain_id` may include `evidence`
/// ([`Branch::includable`]).
pub fn includable(
    parent: &Node,
    chain_id: &ChainId,
    evidence: &Evidence,
) -> Result<(), RejectError> {
    parent.branch.includable(chain_id, evidence)
}
