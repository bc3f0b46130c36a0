//! Shared fixtures: a small chain and honest test farmers with in-memory k = 16 plots.
#![allow(dead_code)]

use masspoc_verifier::testkit::{Candidate, TestFarmer};
use masspoc_verifier::{
    Beacon, ChainParams, ChainSpec, ChainState, Header, ParentInfo, PayloadRoot,
};
use std::sync::OnceLock;

pub fn params() -> ChainParams {
    ChainParams {
        name: "test chain".into(),
        beacon: Beacon([7; 32]),
        genesis_time_ms: 1_700_000_000_000,
        target_interval_ms: 2_000,
        slot_ms: 12_000,
        filter_bits: masspoc_proof::FilterBits::NONE,
        min_k: 16,
        initial_difficulty: 2_000,
        retarget_window: 16,
        max_future_drift_ms: 15_000,
        probe_bits: masspoc_proof::ProbeBits::NONE,
    }
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

/// A valid header by farmer `f` on top of `parent`.
pub fn header_on(
    state: &ChainState,
    f: &TestFarmer,
    parent: &masspoc_verifier::HeaderHash,
    tag: u8,
) -> Header {
    let (info, d, c) = candidate(state, f, parent);
    f.header(state.spec(), &info, d, &c, PayloadRoot([tag; 32]))
}
