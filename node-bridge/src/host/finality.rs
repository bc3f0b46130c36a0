//! Finality wiring (`docs/protocol.md` §14): the header items of this node's own anchor
//! batches, each counted only when its batch's block is the block at that height of the node's
//! own verified PoW header chain (the follower's, never the node's word), and the follower's tip,
//! fed into every hosted chain state. A PoW block the follower no longer has at its height (a
//! PoW reorganisation) drops the anchors from that height up before anything is fed again.

use super::ChainHost;
use crate::anchor::ItemKind;
use crate::HostError;
use masspoc_verifier::HeaderHash;
use std::collections::BTreeMap;

/// PoW heights whose anchors were fed, with their block hash (display hex).
pub(crate) type Fed = BTreeMap<u64, String>;

impl ChainHost {
    /// Feeds finality: `pow_tip` is the follower's tip height, `id_at(h)` the display hash of its
    /// verified header at height `h`. Re-feeding is idempotent (an anchor counts at its lowest
    /// PoW height). Returns how many PoW heights carry anchors of this node.
    pub fn feed_finality(
        &self,
        pow_tip: u64,
        id_at: impl Fn(u64) -> Option<String>,
    ) -> Result<usize, HostError> {
        let mut fed = self.finality_fed.lock().map_err(|_| HostError::Poisoned)?;
        let changed = fed
            .iter()
            .find(|(h, id)| **h > pow_tip || id_at(**h).as_deref() != Some(id.as_str()))
            .map(|(h, _)| *h);
        if let Some(first) = changed {
            for slot in self.chains.values() {
                slot.write()?
                    .state
                    .forget_anchors_above(first.saturating_sub(1));
            }
            fed.split_off(&first);
        }
        let mut by_height: BTreeMap<u64, Vec<HeaderHash>> = BTreeMap::new();
        if let Some(outbox) = self.outbox() {
            for batch in outbox.batches()? {
                let Some(block) = &batch.block else {
                    continue;
                };
                if block.height > pow_tip || id_at(block.height).as_deref() != Some(&block.hash) {
                    continue;
                }
                let items = batch.decoded_items().unwrap_or_default();
                by_height.entry(block.height).or_default().extend(
                    items
                        .iter()
                        .filter(|i| i.kind == ItemKind::Header)
                        .map(|i| HeaderHash(i.hash)),
                );
                fed.insert(block.height, block.hash.clone());
            }
        }
        for slot in self.chains.values() {
            let mut hosted = slot.write()?;
            let before = (hosted.state.final_block().hash, hosted.state.best().hash);
            for (h, items) in &by_height {
                let known: Vec<HeaderHash> = items
                    .iter()
                    .filter(|x| hosted.state.node(x).is_some())
                    .copied()
                    .collect();
                if !known.is_empty() {
                    hosted.state.record_anchors(*h, &known);
                }
            }
            hosted.state.set_pow_tip(pow_tip);
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
        Ok(by_height.len())
    }
}
