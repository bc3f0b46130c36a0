//! Pure proof mathematics of masspoc (`shared/DESIGN.md` section 1).
//!
//! This crate is sans-I/O and integer-only: it takes bytes and integers and returns bytes and
//! integers. It never touches files, sockets or clocks, and it uses no floating point, so every
//! implementation that follows `docs/proof.md` computes bit-identical results.

// Consensus code: no floating point anywhere in this crate (docs/proof.md, "Score").
#![deny(clippy::float_arithmetic)]

// File offsets and plot indexes are u64; refuse targets where usize is narrower.
const _: () = assert!(usize::BITS >= 64, "masspoc needs a 64-bit target");

pub mod challenge;
pub mod error;
pub mod f_function;
pub mod forge;
pub mod newtype;
pub mod p_function;
pub mod pair;
pub mod plot_id;
pub mod proof;
pub mod quality;
pub mod score;
pub mod simd_hash;
pub mod types;
pub mod vrf;
pub mod window;

pub use challenge::{probe, Probe};
pub use error::ProofError;
pub use f_function::{f_many, f_value, F_BATCH};
pub use newtype::HexBytesError;
pub use p_function::{p_fill, p_value};
pub use pair::{check_pair, PairError};
pub use plot_id::derive_plot_id;
pub use proof::{Proof, ProofJson, VerifiedProof, PROOF_LEN};
pub use quality::{quality, Quality};
pub use score::{neg_log2_q32, score, weight, Score};
pub use types::{Challenge, FarmerPublicKey, PlotId, PlotSeed, K};
pub use window::{FilterBits, ProbeBits, Window};
