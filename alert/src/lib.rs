//! Alerts shared by the farmer and the chain node: conditions that need a person, raised once
//! per episode.
//!
//! The owner (the farmer's status sampler, the node's anchoring pass) hands
//! [`Episodes::observe`] every condition it sees at one sample, keyed by kind and subject. A key
//! that was not there at the previous sample starts an episode: a `warn` line is logged
//! (always), and — within the rate limit of one delivery per kind per `min_interval_secs` — the
//! condition is returned for delivery ([`deliver`]: a JSON POST to the webhook, the JSON on a
//! command's standard input). A key no longer there ends its episode (logged at `info`); it
//! raises again if it comes back. `docs/farming.md` ("Alerts") lists the farmer's kinds,
//! `docs/bridge.md` ("Alerts") the node's.

mod deliver;
mod episodes;

pub use deliver::{deliver, AlertMessage, Delivery, COMMAND_TIMEOUT, WEBHOOK_TIMEOUT};
pub use episodes::{Condition, Episode, Episodes, Kind};

#[cfg(any(test, feature = "testkit"))]
pub mod receiver;

#[cfg(test)]
mod tests;
