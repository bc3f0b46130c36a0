//! Slashing protection: the farmer never signs two different headers for one chain and height,
//! across crashes, restarts and a second process on the same key (`docs/signing-history.md`).
//!
//! - [`rules::check`]: the rule as one pure function;
//! - [`SigningHistory`]: the durable redb store (one file per key, exclusively locked), with
//!   export/import in the JSON interchange format ([`Interchange`]);
//! - [`SigningGuard`]: record, then sign: the API the farming loop signs through.

mod guard;
mod interchange;
pub mod rules;
mod store;

#[cfg(test)]
mod tests_processes;
#[cfg(test)]
mod tests_store;
#[cfg(test)]
mod tests_support;

pub use guard::SigningGuard;
pub use interchange::{
    ChainHistory, ImportReport, Interchange, InterchangeMetadata, SignedHeader, INTERCHANGE_FORMAT,
    INTERCHANGE_VERSION,
};
pub use rules::{check, Decision};
pub use store::{history_path_for, Record, SigningHistory};
