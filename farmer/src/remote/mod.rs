//! The farmer's harvesters (`docs/harvesters.md`): every round's challenge goes to the farmer's
//! own plots and to every connected harvester at once; remote proofs are checked in full before
//! they are merged with the local ones, and a harvester that sends one that fails is reported and
//! its answer ignored. A slow, hung or gone harvester costs a round at most the lookup budget.
//!
//! - [`pool`]: the link to the harvesters, their counters and the status poller;
//! - [`merge`]: a round over the local plots and the harvesters, merged best first.

pub mod merge;
pub mod pool;

pub use merge::farm_round;
pub use pool::{HarvesterView, Harvesters};
