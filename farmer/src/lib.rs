//! masspoc-farmer (being written).

pub mod alerts;
pub mod bench;
pub mod bridge_client;
pub mod chain_task;
pub mod config;
pub mod error;
pub mod farm;
pub mod harvester;
pub mod keys;
pub mod lookup;
pub mod metrics;
pub mod plots;
pub mod remote;
pub mod signer;
pub mod signing_history;
pub mod status;
