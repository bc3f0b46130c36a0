//! What a farmer needs to extend the best tip: height, parent, difficulty and challenges.

use super::ChainState;
use crate::challenge::{derive_challenge, Slot};
use crate::types::{ChainId, HeaderHash, Height};
use masspoc_proof::vrf::VrfOutput;
use masspoc_proof::Challenge;
use serde::Serialize;

/// Work for extending a tip (`docs/bridge-api.md`, `Work`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Work {
    /// The chain.
    pub chain_id: ChainId,
    /// The height to produce.
    pub height: Height,
    /// The tip to build on.
    pub parent_hash: HeaderHash,
    /// Its timestamp.
    pub parent_timestamp_ms: u64,
    /// Its VRF output.
    pub parent_vrf_output: VrfOutput,
    /// The difficulty the new header must carry.
    pub difficulty: u64,
    /// The chain's filter bits.
    pub filter_bits: u8,
    /// The chain's slot delay.
    pub slot_ms: u64,
    /// The challenges of the first few slots.
    pub challenges: Vec<SlotChallenge>,
}

/// One slot's challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SlotChallenge {
    /// The slot.
    pub slot: u32,
    /// Its challenge (hex in JSON).
    #[serde(serialize_with = "hex_challenge")]
    pub challenge: Challenge,
}

fn hex_challenge<S: serde::Serializer>(c: &Challenge, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&c.to_hex())
}

impl ChainState {
    /// Work for extending the best tip, with the challenges of slots `0..slots`.
    #[must_use]
    pub fn work(&self, slots: u32) -> Work {
        self.work_on(&self.best().hash.clone(), slots)
            .expect("the best tip is known")
    }

    /// Work for extending any known block.
    #[must_use]
    pub fn work_on(&self, parent: &HeaderHash, slots: u32) -> Option<Work> {
        let p = self.node(parent)?;
        let height = Height(p.height.0 + 1);
        let chain_id = self.spec().chain_id;
        Some(Work {
            chain_id,
            height,
            parent_hash: p.hash,
            parent_timestamp_ms: p.timestamp_ms,
            parent_vrf_output: p.beta,
            difficulty: self.next_difficulty(parent)?,
            filter_bits: self.spec().params.filter_bits,
            slot_ms: self.spec().params.slot_ms,
            challenges: (0..slots)
                .map(|s| SlotChallenge {
                    slot: s,
                    challenge: derive_challenge(&chain_id, height, Slot(s), &p.beta),
                })
                .collect(),
        })
    }
}
