//! Bans from slashing evidence: a banned farmer's blocks from the ban height on are removed with
//! their descendants, and the best tip is chosen again among what remains.

use super::{compare_tips, ChainState};
use crate::types::{HeaderHash, Height};
use masspoc_proof::FarmerPublicKey;
use std::cmp::Ordering;
use std::collections::HashSet;

/// What a ban changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BanOutcome {
    /// Blocks removed (the farmer's from the ban height on, and their descendants).
    pub removed: usize,
    /// Whether the best tip changed.
    pub best_changed: bool,
}

impl ChainState {
    /// Bans `farmer` from height `from` on (the height of the PoW-anchored evidence, mapped to this
    /// chain by the caller): its headers at heights `>= from` are refused from now on, and the ones
    /// already accepted are removed with their descendants. A ban is never lifted; banning again
    /// keeps the lower height. A ban may rewind the best chain deeper than the reorganisation
    /// bound.
    pub fn ban(&mut self, farmer: FarmerPublicKey, from: Height) -> BanOutcome {
        let from = match self.bans.get(&farmer) {
            Some(h) => (*h).min(from),
            None => from,
        };
        self.bans.insert(farmer, from);
        let mut order: Vec<(Height, HeaderHash)> =
            self.nodes.values().map(|n| (n.height, n.hash)).collect();
        order.sort_unstable();
        let mut removed: HashSet<HeaderHash> = HashSet::new();
        for (height, hash) in order {
            let n = &self.nodes[&hash];
            if height.0 == 0 {
                continue;
            }
            if removed.contains(&n.parent) || (n.farmer == Some(farmer) && height >= from) {
                removed.insert(hash);
            }
        }
        for h in &removed {
            self.nodes.remove(h);
        }
        let best_changed = removed.contains(&self.best);
        if best_changed {
            let best = self
                .nodes
                .values()
                .max_by(|a, b| compare_tips(a, b))
                .map(|n| n.hash)
                .expect("genesis is never removed");
            let keep = self
                .main
                .iter()
                .take_while(|h| self.nodes.contains_key(*h))
                .count();
            self.main.truncate(keep);
            self.best = *self.main.last().expect("genesis stays");
            self.set_best(best);
        }
        debug_assert!(self
            .nodes
            .values()
            .all(|n| compare_tips(n, self.best()) != Ordering::Greater));
        BanOutcome {
            removed: removed.len(),
            best_changed,
        }
    }
}
