//! Blocks added without the full per-header rules: the simulator's sampled blocks (real
//! retarget, deadline, timestamp and fork-choice rules; score and VRF output taken as given).

use super::{Accepted, ChainState, Node};
use crate::error::RejectError;
use crate::types::{HeaderHash, Height};
use masspoc_proof::vrf::{VrfOutput, VrfPublicKey};
use masspoc_proof::FarmerPublicKey;

/// A block whose proof was sampled rather than proven (the simulator): the score and beta are
/// taken as given; difficulty, timing and fork choice are the real rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimBlock {
    /// Parent hash.
    pub parent: HeaderHash,
    /// Farmer key.
    pub farmer: FarmerPublicKey,
    /// Slot used.
    pub slot: crate::challenge::Slot,
    /// The proof's score.
    pub score: masspoc_proof::Score,
    /// Timestamp claimed.
    pub timestamp_ms: u64,
    /// VRF output to derive children's challenges from.
    pub beta: VrfOutput,
    /// The VRF key the block claims, checked against the farmer key's bound key
    /// ([`crate::rules::check_vrf_key`], the real rule) when given; `None` takes the farmer's
    /// bound key as given (honest simulated farmers, whose keys are not real points).
    pub vrf_pk: Option<VrfPublicKey>,
}

impl SimBlock {
    /// The block's hash: BLAKE3 of `"masspoc/v1/sim-block" || parent || farmer || u32le(slot) ||
    /// u64le(timestamp_ms) || beta` (the VRF key is not hashed: only the bound key is accepted).
    #[must_use]
    pub fn hash(&self) -> HeaderHash {
        let mut h = blake3::Hasher::new();
        h.update(b"masspoc/v1/sim-block");
        h.update(self.parent.as_bytes());
        h.update(self.farmer.as_bytes());
        h.update(&self.slot.0.to_le_bytes());
        h.update(&self.timestamp_ms.to_le_bytes());
        h.update(self.beta.as_bytes());
        HeaderHash(*h.finalize().as_bytes())
    }
}

impl ChainState {
    /// Adds a simulated block: real VRF key binding (when the block names its key), real retarget,
    /// real deadline and timestamp rules, real fork choice; the score and beta are taken as given.
    pub fn accept_simulated(&mut self, b: &SimBlock) -> Result<Accepted, RejectError> {
        let parent = self
            .nodes
            .get(&b.parent)
            .ok_or_else(|| RejectError::UnknownParent(b.parent.to_hex()))?;
        let difficulty = self.next_difficulty(&b.parent).expect("parent known");
        let deadline = crate::deadline::deadline_ms(b.score, difficulty);
        let earliest = crate::rules::earliest_timestamp(
            parent.timestamp_ms,
            b.slot,
            self.spec.params.slot_ms,
            deadline,
        );
        if earliest.is_none_or(|e| b.timestamp_ms < e) {
            return Err(RejectError::DeadlineNotMet {
                earliest_ms: earliest.unwrap_or(u64::MAX),
                got_ms: b.timestamp_ms,
            });
        }
        if let Some(vrf_pk) = &b.vrf_pk {
            crate::rules::check_vrf_key(&b.farmer, vrf_pk)?;
        }
        let hash = b.hash();
        if self.nodes.contains_key(&hash) {
            return Ok(self.duplicate(hash));
        }
        let height = Height(parent.height.0 + 1);
        self.check_final(&b.parent)?;
        let branch = parent
            .branch
            .child(&self.spec.chain_id, height, b.farmer, &[])?;
        let node = Node {
            hash,
            parent: b.parent,
            skip: self.skip_for(&b.parent, height),
            height,
            timestamp_ms: b.timestamp_ms,
            difficulty,
            cumulative: parent.cumulative + u128::from(difficulty),
            farmer: Some(b.farmer),
            beta: b.beta,
            header: None,
            body: None,
            branch,
        };
        Ok(self.insert_node(node))
    }
}
