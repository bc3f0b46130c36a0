//! An in-memory [`ChainSink`] over a [`ChainState`] (feature `testkit`): the crate's tests and
//! the `sync_rate` example.

use crate::sink::{accept_each, in_order, ChainSink, Verdict};
use masspoc_verifier::batch::precheck;
use masspoc_verifier::{Block, ChainId, ChainState, Evidence, HeaderHash, Height};
use std::collections::HashMap;
use std::sync::Mutex;

/// An anchor batch's root and leaves (33-byte leaf data each).
pub type BatchMap = HashMap<[u8; 32], Vec<[u8; 33]>>;

/// A chain node in memory; `permissive` accepts anything (a junk peer's view).
#[derive(Debug)]
pub struct MemSink {
    /// The chain.
    pub state: Mutex<ChainState>,
    /// Every block offered to `accept_block`.
    pub offered: Mutex<Vec<HeaderHash>>,
    /// Accept everything without checking (and without storing); answer every batch request
    /// with junk leaves.
    pub permissive: bool,
    /// Batch roots this node waits for, each with the leaves that hash to it (the stand-in for
    /// the chain host's RFC 6962 root check, which node-bridge tests).
    pub wanted: Mutex<BatchMap>,
    /// Batches held: served to peers, and where wanted ones go once offered.
    pub batches: Mutex<BatchMap>,
}

impl MemSink {
    /// A node holding `state`.
    #[must_use]
    pub fn new(state: ChainState) -> Self {
        MemSink {
            state: Mutex::new(state),
            offered: Mutex::new(Vec::new()),
            permissive: false,
            wanted: Mutex::new(HashMap::new()),
            batches: Mutex::new(HashMap::new()),
        }
    }

    /// The best height.
    #[must_use]
    pub fn height(&self) -> u64 {
        self.state.lock().unwrap().best().height.0
    }

    /// The best tip's hash.
    #[must_use]
    pub fn tip(&self) -> HeaderHash {
        self.state.lock().unwrap().best().hash
    }
}

impl ChainSink for MemSink {
    fn chain_ids(&self) -> Vec<ChainId> {
        vec![self.state.lock().unwrap().spec().chain_id]
    }

    fn best(&self, chain: &ChainId) -> Option<(Height, HeaderHash, u128)> {
        let s = self.state.lock().unwrap();
        (s.spec().chain_id == *chain).then(|| (s.best().height, s.best().hash, s.best().cumulative))
    }

    fn main_at(&self, _chain: &ChainId, height: Height) -> Option<HeaderHash> {
        self.state.lock().unwrap().main_at(height)
    }

    fn block(&self, _chain: &ChainId, hash: &HeaderHash) -> Option<Block> {
        let state = self.state.lock().unwrap();
        let n = state.node(hash)?;
        Some(Block {
            header: n.header?,
            body: n.body().clone(),
        })
    }

    fn main_blocks(&self, _chain: &ChainId, from: Height, limit: u64) -> Vec<Block> {
        masspoc_api::main_blocks(&self.state.lock().unwrap(), from, limit)
    }

    fn accept_block(&self, _chain: &ChainId, block: &Block) -> Verdict {
        self.offered.lock().unwrap().push(block.hash());
        if self.permissive {
            return Verdict::New { best: true };
        }
        match self.state.lock().unwrap().accept_block(block, None) {
            Ok(a) => Verdict::of_accepted(&a),
            Err(e) => Verdict::of_reject(&e),
        }
    }

    /// The page checked on all cores first ([`masspoc_verifier::batch::precheck`]), then accepted
    /// in order, as the chain host does.
    fn accept_page(&self, chain: &ChainId, blocks: &[Block]) -> Vec<Verdict> {
        if self.permissive {
            return accept_each(self, chain, blocks);
        }
        let mut state = self.state.lock().unwrap();
        let spec = state.spec().clone();
        let prechecked = precheck(blocks, &spec, None, |h| state.parent_info(h));
        in_order(&prechecked, |pre| {
            self.offered.lock().unwrap().push(pre.block().hash());
            match state.accept_prechecked(pre) {
                Ok(a) => Verdict::of_accepted(&a),
                Err(e) => Verdict::of_reject(&e),
            }
        })
    }

    fn accept_evidence(&self, _evidence: &Evidence) -> Verdict {
        Verdict::Known
    }

    fn wanted_batches(&self, max: usize) -> Vec<[u8; 32]> {
        self.wanted
            .lock()
            .unwrap()
            .keys()
            .take(max)
            .copied()
            .collect()
    }

    fn batch_leaves(&self, root: &[u8; 32]) -> Option<Vec<[u8; 33]>> {
        if self.permissive {
            return Some(vec![[0xAB; 33]; 3]);
        }
        self.batches.lock().unwrap().get(root).cloned()
    }

    fn offer_batch(&self, root: &[u8; 32], leaves: &[[u8; 33]]) -> Verdict {
        let mut wanted = self.wanted.lock().unwrap();
        match wanted.get(root) {
            None => Verdict::Known,
            Some(expected) if expected.as_slice() != leaves => {
                Verdict::Invalid("the leaves do not hash to the batch root".into())
            }
            Some(_) => {
                let leaves = wanted.remove(root).unwrap_or_default();
                self.batches.lock().unwrap().insert(*root, leaves);
                Verdict::New { best: false }
            }
        }
    }
}
