//! The test chains of these tests: small plots, no filter and no probe window (weak on purpose,
//! so that a few k=16 plots farm a chain within seconds), the protocol's finality defaults.

use masspoc_verifier::{Beacon, ChainParams, ChainSpec};

/// A weak test chain named `name` on the beacon `beacon` (64 hex digits).
pub fn weak_spec(name: &str, beacon: &str) -> ChainSpec {
    ChainSpec::new(ChainParams {
        name: name.into(),
        beacon: Beacon::from_hex(beacon).unwrap(),
        genesis_time_ms: 1_700_000_000_000,
        target_interval_ms: 2_000,
        slot_ms: 12_000,
        filter_bits: masspoc_proof::FilterBits::NONE,
        min_k: 16,
        initial_difficulty: 2_000,
        retarget_window: 16,
        max_future_drift_ms: 15_000,
        probe_bits: masspoc_proof::ProbeBits::NONE,
        anchor_confirmations: masspoc_verifier::params::DEFAULT_ANCHOR_CONFIRMATIONS,
        finality_window: masspoc_verifier::params::DEFAULT_FINALITY_WINDOW,
        finality_depth: masspoc_verifier::params::DEFAULT_FINALITY_DEPTH,
    })
    .unwrap()
}
