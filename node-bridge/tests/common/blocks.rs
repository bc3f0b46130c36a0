//! Blocks built by hand on a chain state (the tests' own view of a chain).

use masspoc_verifier::testkit::TestFarmer;
use masspoc_verifier::{Block, Body, ChainState, HeaderHash};

/// The next block on `parent` (a block `state` holds, or genesis) by `farmer`, carrying `body`.
pub fn next_block(
    state: &ChainState,
    farmer: &TestFarmer,
    parent: &HeaderHash,
    body: Body,
) -> Block {
    let spec = state.spec();
    let info = state.parent_info(parent).unwrap();
    let difficulty = state.next_difficulty(parent).unwrap();
    let c = farmer.candidate(spec, &info, difficulty, 64).unwrap();
    farmer.block(spec, &info, difficulty, &c, body)
}
