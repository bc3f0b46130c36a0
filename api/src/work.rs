//! `GET /v1/chains/{id}/challenge`: what a farmer needs to extend a chain's best tip.

use crate::HexBytes;
use masspoc_proof::vrf::VrfOutput;
use masspoc_proof::Challenge;
use masspoc_verifier::{
    derive_challenge, ChainId, ChainState, Evidence, EvidenceError, HeaderHash, Height, Slot,
};
use serde::{Deserialize, Serialize};

/// Work for extending a tip (`Work`): the parent, the difficulty and the first slots'
/// challenges, with the bridge's clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Work {
    /// The chain.
    pub chain_id: ChainId,
    /// The height to produce.
    pub height: Height,
    /// The tip to build on.
    pub parent_hash: HeaderHash,
    /// The parent's timestamp, ms since the Unix epoch.
    pub parent_timestamp_ms: u64,
    /// The parent's VRF output (the challenges derive from it).
    pub parent_vrf_output: VrfOutput,
    /// The difficulty the new header must carry.
    pub difficulty: u64,
    /// The chain's challenge filter bits.
    pub filter_bits: masspoc_proof::FilterBits,
    /// The chain's probe window bits (0, the single index, when a bridge omits it).
    #[serde(default)]
    pub probe_bits: masspoc_proof::ProbeBits,
    /// The chain's slot delay, ms.
    pub slot_ms: u64,
    /// The challenges of the first slots ([`crate::routes::WORK_SLOTS`] of them); a farmer
    /// derives later slots' itself with the chain rules.
    pub challenges: Vec<SlotChallenge>,
    /// The bridge's clock when it answered, ms since the Unix epoch.
    pub now_ms: u64,
    /// Slashing evidence a child of the parent may include (each `includable` on the parent's
    /// branch, one per farmer, at most [`masspoc_verifier::body::MAX_BODY_EVIDENCE`]), as the hex
    /// of its binary encoding; the farmer puts it into the block's body. Absent = none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<HexBytes>,
}

/// One slot's challenge, as the bridge derived it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SlotChallenge {
    /// The slot.
    pub slot: Slot,
    /// Its challenge.
    pub challenge: Challenge,
}

impl SlotChallenge {
    /// The challenge of `slot`.
    #[must_use]
    pub fn new(slot: Slot, challenge: Challenge) -> Self {
        SlotChallenge { slot, challenge }
    }
}

impl Work {
    /// Work for extending `parent` (any block the state knows), with the challenges of slots
    /// `0..slots` and the bridge's clock `now_ms`; `None` if the block is unknown.
    #[must_use]
    pub fn extending(
        state: &ChainState,
        parent: &HeaderHash,
        slots: u32,
        now_ms: u64,
    ) -> Option<Work> {
        let p = state.node(parent)?;
        let height = p.height.next()?;
        let chain_id = state.spec().chain_id;
        let params = &state.spec().params;
        Some(Work {
            chain_id,
            height,
            parent_hash: p.hash,
            parent_timestamp_ms: p.timestamp_ms,
            parent_vrf_output: p.beta,
            difficulty: state.next_difficulty(parent)?,
            filter_bits: params.filter_bits,
            probe_bits: params.probe_bits,
            slot_ms: params.slot_ms,
            challenges: (0..slots)
                .map(|s| {
                    SlotChallenge::new(
                        Slot(s),
                        derive_challenge(&chain_id, height, Slot(s), &p.beta),
                    )
                })
                .collect(),
            now_ms,
            evidence: Vec::new(),
        })
    }

    /// The same work handing out `evidence` for the block's body.
    #[must_use]
    pub fn with_evidence(mut self, evidence: &[Evidence]) -> Work {
        self.evidence = evidence.iter().map(|e| HexBytes(e.encode())).collect();
        self
    }

    /// Decodes and verifies the handed-out evidence (the first that fails is the error).
    pub fn decode_evidence(&self) -> Result<Vec<Evidence>, EvidenceError> {
        self.evidence
            .iter()
            .map(|e| Evidence::decode(e.as_slice()))
            .collect()
    }

    /// Work for extending the state's best tip.
    #[must_use]
    pub fn at_best(state: &ChainState, slots: u32, now_ms: u64) -> Work {
        Work::extending(state, &state.best().hash, slots, now_ms)
            .expect("the best tip is a known block below the last height")
    }

    /// The tip this work extends: (height to produce, parent hash).
    #[must_use]
    pub fn tip(&self) -> (Height, HeaderHash) {
        (self.height, self.parent_hash)
    }
}
