//! The test chains of these tests: small plots, no filter and no probe window (weak on purpose,
//! so that a few k=16 plots farm a chain within seconds), the protocol's finality defaults.

use masspoc_verifier::testkit::weak_params;
use masspoc_verifier::{Beacon, ChainSpec};

/// A weak test chain named `name` on the beacon `beacon` (64 hex digits).
pub fn weak_spec(name: &str, beacon: &str) -> ChainSpec {
    ChainSpec::new(weak_params(name, Beacon::from_hex(beacon).unwrap())).unwrap()
}

/// [`weak_spec`] with the quickest finality, `conf = 1, R = 1, c = 2`: a block two below the best
/// anchored one becomes final one PoW block after its anchor.
pub fn quick_final_spec(name: &str, beacon: Beacon) -> ChainSpec {
    ChainSpec::new(masspoc_verifier::ChainParams {
        anchor_confirmations: 1,
        finality_window: 1,
        finality_depth: 2,
        ..weak_params(name, beacon)
    })
    .unwrap()
}
