//! One block as the chain state keeps it, and the fork-choice order between tips.

use super::branch::Branch;
use crate::body::Body;
use crate::header::Header;
use crate::types::{HeaderHash, Height};
use masspoc_proof::vrf::VrfOutput;
use masspoc_proof::FarmerPublicKey;
use std::cmp::Ordering;
use std::sync::Arc;

/// A block in the chain state (genesis included, with no farmer).
#[derive(Debug, Clone)]
pub struct Node {
    /// The block's hash.
    pub hash: HeaderHash,
    /// Its parent's hash (genesis points at itself).
    pub parent: HeaderHash,
    /// An earlier ancestor for `O(log n)` ancestor lookups (`ancestry::skip_height`; genesis
    /// points at itself).
    pub skip: HeaderHash,
    /// Its height.
    pub height: Height,
    /// Its timestamp.
    pub timestamp_ms: u64,
    /// Its difficulty (0 for genesis).
    pub difficulty: u64,
    /// Sum of the difficulties from genesis to this block: the chain's weight.
    pub cumulative: u128,
    /// The farmer who signed it (`None` for genesis).
    pub farmer: Option<FarmerPublicKey>,
    /// Its VRF output, from which the children's challenges derive.
    pub beta: VrfOutput,
    /// The header itself (`None` for genesis and simulated blocks).
    pub header: Option<Header>,
    /// Its body when not empty (`None` for an empty body, genesis and simulated blocks).
    pub body: Option<Arc<Body>>,
    /// The slashing state of the branch ending here (bans, farmers with a block).
    pub branch: Branch,
}

impl Node {
    /// The block's body (the empty body when it carries none).
    #[must_use]
    pub fn body(&self) -> &Body {
        static EMPTY: Body = Body::EMPTY;
        self.body.as_deref().unwrap_or(&EMPTY)
    }
}

/// Fork choice: `Greater` when `a` is the better tip. Heavier cumulative difficulty wins; on a tie
/// the earlier timestamp, then the lower hash.
#[must_use]
pub fn compare_tips(a: &Node, b: &Node) -> Ordering {
    a.cumulative
        .cmp(&b.cumulative)
        .then_with(|| b.timestamp_ms.cmp(&a.timestamp_ms))
        .then_with(|| b.hash.cmp(&a.hash))
}
