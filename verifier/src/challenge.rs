//! Challenge derivation: `challenge(h, s) = BLAKE3(tag || chain_id || u64le(h) || parent_beta ||
//! [u32le(s) if s > 0])`.
//!
//! Only the chain id, the height, the slot and the VRF output of the parent's farmer go in, so no
//! farmer can choose a future challenge: the parent's beta is fixed by its VRF key and its own
//! challenge.

use crate::types::{ChainId, Height};
use masspoc_proof::vrf::VrfOutput;
use masspoc_proof::Challenge;
use serde::{Deserialize, Serialize};

/// Domain tag of the challenge.
pub const CHALLENGE_TAG: &[u8] = b"masspoc/v1/challenge";

/// The slot counter of a header: slot `s` opens `s * slot_ms` after the parent.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Slot(pub u32);

/// The challenge of height `height`, slot `slot`, on top of a parent whose VRF output is
/// `parent_beta`. Slot 0 hashes no slot bytes.
#[must_use]
pub fn derive_challenge(
    chain_id: &ChainId,
    height: Height,
    slot: Slot,
    parent_beta: &VrfOutput,
) -> Challenge {
    let mut h = blake3::Hasher::new();
    h.update(CHALLENGE_TAG);
    h.update(chain_id.as_bytes());
    h.update(&height.0.to_le_bytes());
    h.update(parent_beta.as_bytes());
    if slot.0 > 0 {
        h.update(&slot.0.to_le_bytes());
    }
    Challenge(*h.finalize().as_bytes())
}
