//! Batch verification on all cores (rayon): capacity proofs, independent headers, and a sequence
//! of blocks fed into a [`ChainState`].
//!
//! Signatures are checked with `verify_strict` one by one, in parallel. ed25519 batch
//! verification is not used for acceptance: its equation is randomised and cofactorless, so it
//! can accept a signature whose `R` has a small-order component that `verify_strict` rejects,
//! and nodes batching differently could then disagree (`docs/protocol.md`, "Signatures").

use crate::block::Block;
use crate::error::RejectError;
use crate::header::Header;
use crate::params::ChainSpec;
use crate::rules::{check_header, CheckedHeader, ParentInfo};
use crate::state::{Accepted, ChainState};
use masspoc_proof::vrf::proof_to_hash;
use masspoc_proof::{Challenge, FilterBits, ProbeBits, Proof, ProofError, VerifiedProof};
use rayon::prelude::*;

/// Proofs per rayon task: large enough that scheduling costs nothing next to the hashing.
const PROOF_CHUNK: usize = 4096;

/// Verifies many `(proof, challenge)` pairs at one filter and probe window, in parallel; results
/// in input order.
#[must_use]
pub fn verify_proofs(
    items: &[(Proof, Challenge)],
    filter_bits: FilterBits,
    probe_bits: ProbeBits,
) -> Vec<Result<VerifiedProof, ProofError>> {
    items
        .par_iter()
        .with_min_len(PROOF_CHUNK)
        .map(|(p, c)| p.verify(c, filter_bits, probe_bits))
        .collect()
}

/// One header with what the pure rules need from its context.
#[derive(Debug, Clone, Copy)]
pub struct HeaderJob {
    /// The header.
    pub header: Header,
    /// Its parent.
    pub parent: ParentInfo,
    /// The difficulty the retarget rule requires.
    pub difficulty: u64,
}

/// Runs every per-header rule (signature included) on independent jobs, in parallel.
#[must_use]
pub fn verify_headers(
    jobs: &[HeaderJob],
    spec: &ChainSpec,
    now_ms: Option<u64>,
) -> Vec<Result<CheckedHeader, RejectError>> {
    jobs.par_iter()
        .with_min_len(8)
        .map(|j| check_header(&j.header, &j.parent, spec, j.difficulty, now_ms))
        .collect()
}

/// Accepts a sequence of blocks (each one's parent known to `state` or earlier in the slice) with
/// the expensive checks in parallel, and returns one result per block, in order.
///
/// The challenge of a header depends on its parent's VRF output, which is only known after the
/// parent's VRF proof is checked. So a copy of the state is first extended without checks, reading
/// each parent's output with `ECVRF_proof_to_hash` (cheap); then every block's body root and
/// header are checked in parallel against the parent and difficulty found that way; last, blocks
/// that passed are added to the real state in order, which runs the stateful checks (bans and
/// evidence among them) again. A block whose parent was rejected is rejected as `UnknownParent`.
pub fn accept_sequence(
    state: &mut ChainState,
    blocks: &[Block],
    now_ms: Option<u64>,
) -> Vec<Result<Accepted, RejectError>> {
    let betas: Vec<_> = blocks
        .par_iter()
        .map(|b| proof_to_hash(&b.header.vrf_proof))
        .collect();
    let mut scratch = state.clone();
    let jobs: Vec<Result<HeaderJob, RejectError>> = blocks
        .iter()
        .zip(&betas)
        .map(|(b, beta)| {
            let (parent, difficulty) = scratch.prepare(&b.header)?;
            let beta = beta.clone().map_err(RejectError::BadVrf)?;
            scratch.insert_unverified(b, beta)?;
            Ok(HeaderJob {
                header: b.header,
                parent,
                difficulty,
            })
        })
        .collect();
    drop(scratch);
    let spec = state.spec().clone();
    let checked: Vec<Result<CheckedHeader, RejectError>> = jobs
        .par_iter()
        .zip(blocks)
        .with_min_len(8)
        .map(|(j, b)| {
            let j = j.as_ref().map_err(Clone::clone)?;
            b.check_body_root()?;
            check_header(&j.header, &j.parent, &spec, j.difficulty, now_ms)
        })
        .collect();
    blocks
        .iter()
        .zip(checked)
        .map(|(b, c)| state.insert_valid(b, &c?))
        .collect()
}
