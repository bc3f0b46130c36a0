//! Shared fixtures: a small chain and honest test farmers with in-memory k = 16 plots.

use masspoc_verifier::testkit::{Candidate, TestFarmer};
use masspoc_verifier::HeaderHash;
use masspoc_verifier::{
    Beacon, Block, Body, ChainParams, ChainSpec, ChainState, Header, ParentInfo,
};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use std::sync::OnceLock;

pub mod finality;

pub fn params() -> ChainParams {
    masspoc_verifier::testkit::weak_params("test chain", Beacon([7; 32]))
}

pub fn spec() -> ChainSpec {
    ChainSpec::new(params()).unwrap()
}

/// Three farmers with four k = 16 plots each (built once per test binary).
pub fn farmers() -> &'static [TestFarmer] {
    static F: OnceLock<Vec<TestFarmer>> = OnceLock::new();
    F.get_or_init(|| {
        (1u8..=3)
            .map(|i| TestFarmer::new([i; 32], &[16, 16, 16, 16]))
            .collect()
    })
}

/// The best candidate of farmer `f` on top of a known block of `state`.
pub fn candidate(
    state: &ChainState,
    f: &TestFarmer,
    parent: &masspoc_verifier::HeaderHash,
) -> (ParentInfo, u64, Candidate) {
    let info = state.parent_info(parent).unwrap();
    let d = state.next_difficulty(parent).unwrap();
    let c = f
        .candidate(state.spec(), &info, d, 64)
        .expect("a proof within 64 slots");
    (info, d, c)
}

/// The body of tag `tag`: empty for 0, else a one-byte payload `[tag]` (two headers of one farmer
/// on one parent with different tags are an equivocation).
pub fn body_of(tag: u8) -> Body {
    if tag == 0 {
        Body::EMPTY
    } else {
        Body::new(Vec::new(), vec![tag]).unwrap()
    }
}

/// A valid header by farmer `f` on top of `parent`, committing to [`body_of`]`(tag)`.
pub fn header_on(
    state: &ChainState,
    f: &TestFarmer,
    parent: &masspoc_verifier::HeaderHash,
    tag: u8,
) -> Header {
    block_on(state, f, parent, tag).header
}

/// A valid block by farmer `f` on top of `parent` with body [`body_of`]`(tag)`.
pub fn block_on(
    state: &ChainState,
    f: &TestFarmer,
    parent: &masspoc_verifier::HeaderHash,
    tag: u8,
) -> Block {
    let (info, d, c) = candidate(state, f, parent);
    f.block(state.spec(), &info, d, &c, body_of(tag))
}

/// A random order of `blocks` in which every parent comes before its children (the chain of
/// [`spec`]).
pub fn topological_shuffle(blocks: &[Block], rng: &mut StdRng) -> Vec<Block> {
    parents_first(blocks, ChainState::new(spec()).best().hash, rng)
}

/// A random order of `blocks` in which every parent comes before its children, `genesis` known.
pub fn parents_first(blocks: &[Block], genesis: HeaderHash, rng: &mut StdRng) -> Vec<Block> {
    let mut pool: Vec<Block> = blocks.to_vec();
    pool.shuffle(rng);
    let mut known: Vec<HeaderHash> = vec![genesis];
    let mut out = Vec::new();
    while !pool.is_empty() {
        let i = pool
            .iter()
            .position(|b| known.contains(&b.header.prev_hash))
            .expect("a ready block");
        let b = pool.remove(i);
        known.push(b.hash());
        out.push(b);
    }
    out
}
