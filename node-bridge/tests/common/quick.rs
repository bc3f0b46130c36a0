//! Anchoring settings for tests that drive passes back to back: no interval between rounds, no
//! bound on anchors waiting for a block, no fee bumps (the tests of those set them).

use masspoc_node_bridge::anchor::AnchorConfig;
use std::time::Duration;

/// [`AnchorConfig::default`] without the interval, the unconfirmed bound and fee bumps.
pub fn quick() -> AnchorConfig {
    AnchorConfig {
        interval: Duration::ZERO,
        max_unconfirmed: u64::MAX,
        bump_after_blocks: 0,
        ..AnchorConfig::default()
    }
}
