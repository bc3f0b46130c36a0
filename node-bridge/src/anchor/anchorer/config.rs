//! The anchorer's settings and its clock.

use super::super::budget::FeeBudget;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Anchoring settings (`docs/anchoring.md`, "When anchors go out").
#[derive(Debug, Clone)]
pub struct AnchorConfig {
    /// Confirmations after which a batch is final.
    pub confirmations: u64,
    /// Largest batch.
    pub max_batch: usize,
    /// Least time between two rounds of new batches (each round seals what is queued).
    pub interval: Duration,
    /// What anchor transactions may pay per hour and per day.
    pub budget: FeeBudget,
    /// No new anchor transaction while this many are sent and not in a block.
    pub max_unconfirmed: u64,
    /// A transaction still unmined this many blocks after it was sent gets a fee bump
    /// (replace-by-fee on the same inputs); 0: never.
    pub bump_after_blocks: u64,
}

impl Default for AnchorConfig {
    /// Mainnet-like defaults: 60 s between rounds, 0.01 LTC an hour and 0.1 LTC a day, 10
    /// anchors waiting for a block at most, a bump after 6 blocks.
    fn default() -> Self {
        AnchorConfig {
            confirmations: crate::confirmations::default_confirmations(),
            max_batch: 4096,
            interval: Duration::from_secs(60),
            budget: FeeBudget::default(),
            max_unconfirmed: 10,
            bump_after_blocks: 6,
        }
    }
}

impl AnchorConfig {
    /// The defaults for a PoW network by name: [`AnchorConfig::default`], except regtest's
    /// 5 s interval (blocks come when the user mines them).
    pub fn for_network(name: &str) -> Self {
        let mut c = AnchorConfig::default();
        if name == "regtest" {
            c.interval = Duration::from_secs(5);
        }
        c
    }
}

/// The anchorer's clock: unix milliseconds (tests pass their own to cross budget windows).
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> u64 + Send + Sync>);

impl Clock {
    /// A clock reading `f`.
    pub fn new(f: impl Fn() -> u64 + Send + Sync + 'static) -> Self {
        Clock(Arc::new(f))
    }

    /// The system clock.
    pub fn system() -> Self {
        Clock::new(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        })
    }

    pub(super) fn now_ms(&self) -> u64 {
        (self.0)()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Clock")
    }
}
