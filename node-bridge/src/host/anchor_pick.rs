//! What of the host's queue is worth anchoring now (`docs/anchoring.md`, "What is anchored"):
//! a header on a hosted chain's best chain and every evidence (evidence is queued only after it
//! passed the rules); a header on a side branch waits in the queue, in its place, and goes out
//! if its branch becomes the best one; one at or below the chain's final block can never become
//! best and is dropped from the queue.

use super::ChainHost;
use crate::anchor::{Item, ItemKind, Pick};
use masspoc_verifier::HeaderHash;

impl ChainHost {
    /// Whether `item` goes into the next batch: [`Pick::Wait`] only for a header that a hosted
    /// chain knows off its best chain, [`Pick::Drop`] when that header is at or below the
    /// chain's final height. Headers no hosted chain knows (queued by an operator with
    /// `anchors enqueue`) are anchored.
    pub fn anchor_pick(&self, item: &Item) -> Pick {
        if item.kind != ItemKind::Header {
            return Pick::Anchor;
        }
        let hash = HeaderHash(item.hash);
        for slot in self.chains.values() {
            let Ok(hosted) = slot.read() else {
                continue;
            };
            if let Some(node) = hosted.state.node(&hash) {
                return if hosted.state.main_at(node.height) == Some(hash) {
                    Pick::Anchor
                } else if node.height <= hosted.state.final_block().height {
                    Pick::Drop
                } else {
                    Pick::Wait
                };
            }
        }
        Pick::Anchor
    }
}
