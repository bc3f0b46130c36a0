//! The orphan pool: blocks whose parent the node does not have yet, kept while the missing
//! ancestors are fetched from the peer that sent them. Bounded in count (oldest evicted first)
//! and keyed by parent hash, so an accepted header releases its waiting children at once.

use masspoc_verifier::{Block, ChainId, HeaderHash};
use std::collections::{HashMap, VecDeque};

/// One waiting header and what it came with (e.g. the gossip message id to report).
#[derive(Debug, Clone)]
pub struct Orphan<T> {
    /// Its chain.
    pub chain: ChainId,
    /// The block.
    pub block: Block,
    /// Caller data.
    pub tag: T,
}

/// A bounded pool of orphans.
#[derive(Debug)]
pub struct OrphanPool<T> {
    cap: usize,
    by_parent: HashMap<(ChainId, HeaderHash), Vec<HeaderHash>>,
    entries: HashMap<HeaderHash, Orphan<T>>,
    order: VecDeque<HeaderHash>,
}

impl<T> OrphanPool<T> {
    /// An empty pool holding at most `cap` headers.
    #[must_use]
    pub fn new(cap: usize) -> Self {
        OrphanPool {
            cap,
            by_parent: HashMap::new(),
            entries: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    /// Number of waiting headers.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing waits.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether `hash` waits.
    #[must_use]
    pub fn contains(&self, hash: &HeaderHash) -> bool {
        self.entries.contains_key(hash)
    }

    /// Adds a header; returns the ones evicted to stay within the bound (a header already in
    /// the pool is not added again and evicts nothing).
    pub fn insert(&mut self, chain: ChainId, block: Block, tag: T) -> Vec<Orphan<T>> {
        let hash = block.hash();
        if self.entries.contains_key(&hash) {
            return Vec::new();
        }
        self.by_parent
            .entry((chain, block.header.prev_hash))
            .or_default()
            .push(hash);
        self.entries.insert(hash, Orphan { chain, block, tag });
        self.order.push_back(hash);
        let mut evicted = Vec::new();
        while self.entries.len() > self.cap {
            let Some(oldest) = self.order.pop_front() else {
                break;
            };
            if let Some(o) = self.remove(&oldest) {
                evicted.push(o);
            }
        }
        evicted
    }

    fn remove(&mut self, hash: &HeaderHash) -> Option<Orphan<T>> {
        let o = self.entries.remove(hash)?;
        let key = (o.chain, o.block.header.prev_hash);
        if let Some(children) = self.by_parent.get_mut(&key) {
            children.retain(|c| c != hash);
            if children.is_empty() {
                self.by_parent.remove(&key);
            }
        }
        Some(o)
    }

    /// Takes out the headers waiting for `parent` (in arrival order).
    pub fn take_children(&mut self, chain: &ChainId, parent: &HeaderHash) -> Vec<Orphan<T>> {
        let Some(children) = self.by_parent.remove(&(*chain, *parent)) else {
            return Vec::new();
        };
        self.order.retain(|h| !children.contains(h));
        children
            .iter()
            .filter_map(|h| self.entries.remove(h))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use masspoc_verifier::testkit::{bench_params, grow_chain, TestFarmer};
    use masspoc_verifier::{ChainSpec, ChainState};

    #[test]
    fn orphans_wait_for_their_parent_and_the_pool_stays_bounded() {
        let spec = ChainSpec::new(bench_params()).unwrap();
        let state = ChainState::new(spec.clone());
        let chain = spec.chain_id;
        let farmer = TestFarmer::new([3; 32], &[16]);
        let hs = grow_chain(&state, &[farmer], spec.genesis.hash, 6);
        let mut pool = OrphanPool::new(3);
        assert!(pool.insert(chain, Block::empty(hs[2]), 2).is_empty());
        assert!(
            pool.insert(chain, Block::empty(hs[2]), 2).is_empty(),
            "no double entry"
        );
        assert!(pool.insert(chain, Block::empty(hs[3]), 3).is_empty());
        assert!(pool.insert(chain, Block::empty(hs[4]), 4).is_empty());
        assert_eq!(pool.len(), 3);
        // A fourth evicts the oldest (hs[2]).
        let evicted = pool.insert(chain, Block::empty(hs[5]), 5);
        assert_eq!(evicted.len(), 1);
        assert_eq!(evicted[0].tag, 2);
        assert!(!pool.contains(&hs[2].hash()));
        assert!(pool.take_children(&chain, &hs[1].hash()).is_empty());
        let kids = pool.take_children(&chain, &hs[2].hash());
        assert_eq!(kids.len(), 1);
        assert_eq!(kids[0].block, Block::empty(hs[3]));
        assert_eq!(pool.len(), 2);
        assert!(pool
            .take_children(&ChainId([9; 32]), &hs[3].hash())
            .is_empty());
        assert_eq!(pool.take_children(&chain, &hs[3].hash())[0].tag, 4);
        assert_eq!(pool.take_children(&chain, &hs[4].hash())[0].tag, 5);
        assert!(pool.is_empty());
    }
}
