//! Proof-of-work header checks (pure code): 80-byte header decoding, SHA-256d ids, compact
//! targets, Litecoin's scrypt proof of work and the network's `bits` rules.

pub mod hash;
pub mod header;
pub mod params;
pub mod retarget;
pub mod target;

pub use hash::{scrypt_pow, sha256d, Hash256};
pub use header::{check_pow, BlockHeader, HeaderCheck};
pub use params::PowParams;
pub use target::Target;
