//! Pure header validation against its parent and the chain's parameters.
//!
//! [`check_header`] runs every per-header rule in the order of `docs/protocol.md` ("Validation
//! order") and reports the first failure. Rules that need more than the parent (the retarget
//! window, bans, fork choice) live in [`crate::state::ChainState`], which passes their results
//! in. The VRF key binding needs nothing but the header: it is [`check_vrf_binding`].

use crate::challenge::{derive_challenge, Slot};
use crate::deadline::deadline_ms;
use crate::error::RejectError;
use crate::header::Header;
use crate::params::{ChainSpec, Genesis};
use crate::types::{HeaderHash, Height};
use masspoc_proof::vrf::{self, VrfOutput, VrfPublicKey};
use masspoc_proof::{Challenge, FarmerPublicKey, ProofError, VerifiedProof};

/// What a child needs to know about its parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParentInfo {
    /// The parent's hash (the genesis hash for height 1).
    pub hash: HeaderHash,
    /// The parent's height.
    pub height: Height,
    /// The parent's timestamp.
    pub timestamp_ms: u64,
    /// The parent's VRF output (the genesis beta for height 1).
    pub beta: VrfOutput,
}

impl ParentInfo {
    /// Genesis as a parent.
    #[must_use]
    pub fn genesis(g: &Genesis) -> ParentInfo {
        ParentInfo {
            hash: g.hash,
            height: g.height,
            timestamp_ms: g.timestamp_ms,
            beta: g.beta,
        }
    }
}

/// What a valid header establishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckedHeader {
    /// The header's hash.
    pub hash: HeaderHash,
    /// The challenge it answers.
    pub challenge: Challenge,
    /// The verified proof (plot id, quality, score).
    pub proof: VerifiedProof,
    /// The proof's deadline at the header's difficulty.
    pub deadline_ms: u64,
    /// The VRF output, from which the children's challenges are derived.
    pub beta: VrfOutput,
}

/// The earliest timestamp a header of `slot` with this deadline may carry, `None` on overflow.
#[must_use]
pub fn earliest_timestamp(parent_ms: u64, slot: Slot, slot_ms: u64, deadline: u64) -> Option<u64> {
    u64::from(slot.0)
        .checked_mul(slot_ms)?
        .checked_add(deadline)?
        .checked_add(parent_ms)
}

/// The VRF key binding: `vrf_pk` must be `bound_vrf_public(proof.farmer_pk)`, the one VRF key
/// anyone derives from the farmer key alone (`docs/vrf.md`), so a farmer cannot choose among VRF
/// outputs for a challenge, on its first block of a branch or any other.
pub fn check_vrf_binding(header: &Header) -> Result<(), RejectError> {
    check_vrf_key(&header.proof.farmer_pk, &header.vrf_pk)
}

/// The binding rule on its own: `vrf_pk` must be `bound_vrf_public(farmer_pk)`.
pub fn check_vrf_key(
    farmer_pk: &FarmerPublicKey,
    vrf_pk: &VrfPublicKey,
) -> Result<(), RejectError> {
    match vrf::bound_vrf_public(farmer_pk) {
        Ok(bound) if bound == *vrf_pk => Ok(()),
        Ok(bound) => Err(RejectError::VrfKeyNotBound(format!(
            "the header carries {vrf_pk}, the farmer key {farmer_pk} is bound to {bound}"
        ))),
        Err(e) => Err(RejectError::VrfKeyNotBound(format!(
            "the farmer key {farmer_pk} has no bound vrf key ({e})"
        ))),
    }
}

/// Chain id, height, parent link and difficulty.
pub fn check_link(
    header: &Header,
    parent: &ParentInfo,
    spec: &ChainSpec,
    expected_difficulty: u64,
) -> Result<(), RejectError> {
    if header.chain_id != spec.chain_id {
        return Err(RejectError::WrongChain {
            got: header.chain_id.to_hex(),
            expected: spec.chain_id.to_hex(),
        });
    }
    let expected_height = parent.height.0.saturating_add(1);
    if header.height.0 != expected_height {
        return Err(RejectError::WrongHeight {
            expected: expected_height,
            got: header.height.0,
        });
    }
    if header.prev_hash != parent.hash {
        return Err(RejectError::UnknownParent(header.prev_hash.to_hex()));
    }
    if header.difficulty != expected_difficulty {
        return Err(RejectError::WrongDifficulty {
            expected: expected_difficulty,
            got: header.difficulty,
        });
    }
    Ok(())
}

/// The challenge of the header's height and slot on top of `parent`.
#[must_use]
pub fn header_challenge(header: &Header, parent: &ParentInfo) -> Challenge {
    derive_challenge(&header.chain_id, header.height, header.slot, &parent.beta)
}

/// Minimum k, then the capacity proof against the challenge with the chain's filter and probe
/// window.
pub fn check_proof(
    header: &Header,
    challenge: &Challenge,
    spec: &ChainSpec,
) -> Result<VerifiedProof, RejectError> {
    let k = header.proof.k.get();
    if k < spec.params.min_k {
        return Err(RejectError::PlotTooSmall {
            k,
            min_k: spec.params.min_k,
        });
    }
    header
        .proof
        .verify(challenge, spec.params.filter_bits, spec.params.probe_bits)
        .map_err(|e| match e {
            ProofError::Filter | ProofError::WrongIndex { .. } => RejectError::WrongChallenge(e),
            other => RejectError::BadProof(other),
        })
}

/// Timestamp rules: not before `parent + slot * slot_ms + deadline`, not beyond `now + drift`.
pub fn check_timing(
    header: &Header,
    parent: &ParentInfo,
    spec: &ChainSpec,
    deadline: u64,
    now_ms: Option<u64>,
) -> Result<(), RejectError> {
    let earliest = earliest_timestamp(
        parent.timestamp_ms,
        header.slot,
        spec.params.slot_ms,
        deadline,
    );
    match earliest {
        Some(e) if header.timestamp_ms >= e => {}
        _ => {
            return Err(RejectError::DeadlineNotMet {
                earliest_ms: earliest.unwrap_or(u64::MAX),
                got_ms: header.timestamp_ms,
            })
        }
    }
    if let Some(now) = now_ms {
        let drift = spec.params.max_future_drift_ms;
        if header.timestamp_ms > now.saturating_add(drift) {
            return Err(RejectError::TooFarInFuture {
                got_ms: header.timestamp_ms,
                now_ms: now,
                drift_ms: drift,
            });
        }
    }
    Ok(())
}

/// The VRF proof over the challenge; returns beta.
pub fn check_vrf(header: &Header, challenge: &Challenge) -> Result<VrfOutput, RejectError> {
    vrf::verify(&header.vrf_pk, challenge.as_bytes(), &header.vrf_proof)
        .map_err(RejectError::BadVrf)
}

/// Every per-header rule except the signature, in protocol order.
pub fn check_header_unsigned(
    header: &Header,
    parent: &ParentInfo,
    spec: &ChainSpec,
    expected_difficulty: u64,
    now_ms: Option<u64>,
) -> Result<CheckedHeader, RejectError> {
    check_vrf_binding(header)?;
    check_link(header, parent, spec, expected_difficulty)?;
    let challenge = header_challenge(header, parent);
    let proof = check_proof(header, &challenge, spec)?;
    let deadline = deadline_ms(proof.score, header.difficulty);
    check_timing(header, parent, spec, deadline, now_ms)?;
    let beta = check_vrf(header, &challenge)?;
    Ok(CheckedHeader {
        hash: header.hash(),
        challenge,
        proof,
        deadline_ms: deadline,
        beta,
    })
}

/// Every per-header rule: [`check_header_unsigned`], then the strict ed25519 signature.
pub fn check_header(
    header: &Header,
    parent: &ParentInfo,
    spec: &ChainSpec,
    expected_difficulty: u64,
    now_ms: Option<u64>,
) -> Result<CheckedHeader, RejectError> {
    let checked = check_header_unsigned(header, parent, spec, expected_difficulty, now_ms)?;
    header.verify_signature_with_hash(&checked.hash)?;
    Ok(checked)
}
