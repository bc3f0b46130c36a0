//! masspoc-farmer (being written).

pub mod error;
pub mod keys;
pub mod signing_history;
