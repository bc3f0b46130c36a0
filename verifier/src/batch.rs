//! Batch verification on all cores (rayon): capacity proofs, independent headers, and a sequence
//! of headers fed into a [`ChainState`].
//!
//! Signatures are checked with `verify_strict` one by one, in parallel. ed25519 batch
//! verification is not used for acceptance: its equation is randomised and cofactorless, so it
//! can accept a signature whose `R` has a small-order component that `verify_strict` rejects,
//! and nodes batching differently could then disagree (`docs/protocol.md`, "Signatures").

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

/// Accepts a sequence of headers (each one's parent known to `state` or earlier in the slice) with
/// the expensive checks in parallel, and returns one result per header, in order.
///
/// The challenge of a header depends on its parent's VRF output, which is only known after the
/// parent's VRF proof is checked. So a copy of the state is first extended without checks, reading
/// each parent's output with `ECVRF_proof_to_hash` (cheap); then every header is checked in
/// parallel against the parent and difficulty found that way; last, headers that passed are added
/// to the real state in order, which runs the stateful checks again. A header whose parent was
/// rejected is rejected as `UnknownParent`.
pub fn accept_sequence(
    state: &mut ChainState,
    headers: &[Header],
    now_ms: Option<u64>,
) -> Vec<Result<Accepted, RejectError>> {
    let betas: Vec<_> = headers
        .par_iter()
        .map(|h| proof_to_hash(&h.vrf_proof))
        .collect();
    let mut scratch = state.clone();
    let jobs: Vec<Result<HeaderJob, RejectError>> = headers
        .iter()
        .zip(&betas)
        .map(|(h, beta)| {
            let (parent, difficulty) = scratch.prepare(h)?;
            let beta = beta.clone().map_err(RejectError::BadVrf)?;
            scratch.insert_unverified(h, beta)?;
            Ok(HeaderJob {
                header: *h,
                parent,
                difficulty,
            })
        })
        .collect();
    drop(scratch);
    let spec = state.spec().clone();
    let checked: Vec<Result<CheckedHeader, RejectError>> = jobs
        .par_iter()
        .with_min_len(8)
        .map(|j| {
            let j = j.as_ref().map_err(Clone::clone)?;
            check_header(&j.header, &j.parent, &spec, j.difficulty, now_ms)
        })
        .collect();
    headers
        .iter()
        .zip(checked)
        .map(|(h, c)| state.insert_checked(h, &c?))
        .collect()
}
