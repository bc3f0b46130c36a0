//! Batch verification on all cores (rayon): capacity proofs, independent headers, and the
//! state-free checks of a run of blocks ([`precheck`]) before they are fed into a [`ChainState`]
//! in order ([`accept_sequence`]; a node's sync pages, `masspoc verify-chain`).
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
use crate::types::HeaderHash;
use masspoc_proof::vrf::{proof_to_hash, VrfOutput};
use masspoc_proof::{Challenge, FilterBits, ProbeBits, Proof, ProofError, VerifiedProof};
use rayon::prelude::*;
use std::collections::HashMap;

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

/// One block with the results of its state-free checks, computed ahead of acceptance
/// ([`precheck`]): its body against the header's payload root, and every per-header rule
/// ([`check_header`]: proof of space, timing, VRF, signature) against the parent and difficulty the
/// block claims. [`ChainState::accept_prechecked`] takes these results only where the state gives
/// the block that same parent, difficulty and clock, and runs the rule itself otherwise, so its
/// outcome is always [`ChainState::accept_block`]'s.
#[derive(Debug, Clone)]
pub struct Prechecked<'a> {
    pub(crate) block: &'a Block,
    pub(crate) now_ms: Option<u64>,
    pub(crate) body: Option<Result<(), RejectError>>,
    pub(crate) header: Option<Guessed>,
}

/// [`check_header`]'s result at a guessed parent and difficulty.
#[derive(Debug, Clone)]
pub(crate) struct Guessed {
    pub(crate) parent: ParentInfo,
    pub(crate) difficulty: u64,
    pub(crate) result: Result<CheckedHeader, RejectError>,
}

impl<'a> Prechecked<'a> {
    /// A block with nothing checked ahead: [`ChainState::accept_prechecked`] runs every rule.
    #[must_use]
    pub fn unchecked(block: &'a Block, now_ms: Option<u64>) -> Prechecked<'a> {
        Prechecked {
            block,
            now_ms,
            body: None,
            header: None,
        }
    }

    /// The block.
    #[must_use]
    pub fn block(&self) -> &'a Block {
        self.block
    }
}

/// Runs the state-free checks of a run of blocks on all cores, before any of them is accepted.
///
/// The challenge of a header depends on its parent's VRF output, which is only known once the
/// parent's VRF proof is checked. So each block's parent is guessed first, cheaply and in
/// order: a block earlier in `blocks` (its output read with `ECVRF_proof_to_hash`, its claimed
/// height and timestamp), or else what `known` says (a [`ChainState`]'s
/// [`ChainState::parent_info`]); the difficulty is the one the header claims. Then every block's
/// body root and per-header rules are checked in parallel against that guess. Nothing here is
/// trusted: [`ChainState::accept_prechecked`] compares the guess with what the state then says.
pub fn precheck<'a>(
    blocks: &'a [Block],
    spec: &ChainSpec,
    now_ms: Option<u64>,
    known: impl Fn(&HeaderHash) -> Option<ParentInfo>,
) -> Vec<Prechecked<'a>> {
    let read: Vec<(HeaderHash, Option<VrfOutput>)> = blocks
        .par_iter()
        .with_min_len(8)
        .map(|b| (b.hash(), proof_to_hash(&b.header.vrf_proof).ok()))
        .collect();
    let mut earlier: HashMap<HeaderHash, usize> = HashMap::with_capacity(blocks.len());
    let mut parents = Vec::with_capacity(blocks.len());
    for (i, b) in blocks.iter().enumerate() {
        let prev = b.header.prev_hash;
        parents.push(match earlier.get(&prev) {
            Some(&j) => read[j].1.map(|beta| ParentInfo {
                hash: prev,
                height: blocks[j].header.height,
                timestamp_ms: blocks[j].header.timestamp_ms,
                beta,
            }),
            None => known(&prev),
        });
        earlier.entry(read[i].0).or_insert(i);
    }
    blocks
        .par_iter()
        .zip(parents)
        .with_min_len(8)
        .map(|(block, parent)| {
            let difficulty = block.header.difficulty;
            Prechecked {
                block,
                now_ms,
                body: Some(block.check_body_root()),
                header: parent.map(|parent| Guessed {
                    parent,
                    difficulty,
                    result: check_header(&block.header, &parent, spec, difficulty, now_ms),
                }),
            }
        })
        .collect()
}

/// Accepts a sequence of blocks (each one's parent known to `state` or earlier in the slice) with
/// the expensive checks in parallel ([`precheck`]), then in order through
/// [`ChainState::accept_prechecked`]: one result per block, each what
/// [`ChainState::accept_block`] would give in that order (a block whose parent was rejected is
/// `unknown_parent`).
pub fn accept_sequence(
    state: &mut ChainState,
    blocks: &[Block],
    now_ms: Option<u64>,
) -> Vec<Result<Accepted, RejectError>> {
    let checked = precheck(blocks, state.spec(), now_ms, |h| state.parent_info(h));
    checked.iter().map(|p| state.accept_prechecked(p)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{bench_params, grow_chain, TestFarmer};

    /// What [`precheck`] computed is what acceptance takes when its guess holds (a refusal planted
    /// in a valid block's result comes out), and is ignored when the state gives another
    /// difficulty than the guessed one (the rules run again and accept the block).
    #[test]
    fn prechecked_results_are_taken_only_when_the_guess_holds() {
        let spec = ChainSpec::new(bench_params()).unwrap();
        let state = ChainState::new(spec.clone());
        let farmer = TestFarmer::new([3; 32], &[16]);
        let blocks: Vec<Block> = grow_chain(&state, &[farmer], spec.genesis.hash, 3)
            .into_iter()
            .map(Block::empty)
            .collect();
        let pre = precheck(&blocks, &spec, None, |h| state.parent_info(h));
        assert!(pre
            .iter()
            .all(|p| p.header.as_ref().is_some_and(|g| g.result.is_ok())));
        let planted = RejectError::WrongDifficulty {
            expected: 1,
            got: 2,
        };
        let mut taken = pre.clone();
        taken[1].header.as_mut().unwrap().result = Err(planted.clone());
        let mut s = state.clone();
        assert!(s.accept_prechecked(&taken[0]).is_ok());
        assert_eq!(s.accept_prechecked(&taken[1]).unwrap_err(), planted);

        let mut ignored = pre;
        let guess = ignored[1].header.as_mut().unwrap();
        guess.difficulty += 1;
        guess.result = Err(planted);
        let mut s = state.clone();
        assert!(s.accept_prechecked(&ignored[0]).is_ok());
        let accepted = s.accept_prechecked(&ignored[1]).unwrap();
        assert_eq!(accepted.hash, blocks[1].hash());
        assert!(accepted.best && !accepted.duplicate);
    }
}
