//! Errors of the proof crate.

use thiserror::Error;

/// Why a proof, a parameter or an encoding was rejected.
///
/// Each variant names one reason, so callers (and `masspoc verify`) can report exactly what failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ProofError {
    /// The plot size parameter is outside `[16, 40]`.
    #[error("k = {0} is outside the allowed range [16, 40]")]
    KOutOfRange(u8),
    /// The filter bit count is larger than 32.
    #[error("filter bits {0} is larger than 32")]
    FilterBitsOutOfRange(u32),
    /// The probe window's bit count is larger than 16.
    #[error("probe bits {0} is larger than 16")]
    ProbeBitsOutOfRange(u32),
    /// The probe window's bit count is not below the plot's k.
    #[error("probe bits {probe_bits} is not below k = {k}")]
    ProbeBitsNotBelowK {
        /// The probe bits asked for.
        probe_bits: u32,
        /// The plot's k.
        k: u8,
    },
    /// A binary encoding has the wrong length or a field that is not canonical.
    #[error("bad encoding: {0}")]
    BadEncoding(String),
    /// `x` or `x'` is not below `2^k`.
    #[error("x or x' is out of range for k = {k}")]
    OutOfRange {
        /// The plot's k.
        k: u8,
    },
    /// The two members form a valid pair only in the other order.
    #[error("wrong order: the member whose P has the top bit clear must come first")]
    WrongOrder,
    /// `P(x')` is not `P(x) XOR mask`, or `P(x)` has its top bit set.
    #[error("bad pair: P(x') is not P(x) XOR mask")]
    BadPair,
    /// The plot does not pass the challenge filter.
    #[error("the plot does not pass the challenge filter")]
    Filter,
    /// `F(x, x')` is not in the challenge's window: not the lookup index `z` itself with 0 probe
    /// bits, not an index sharing the top `k − b` bits of `z` with `b`.
    #[error("wrong index: F(x, x') = {f} but the challenge asks for {}", asked(*z, *probe_bits))]
    WrongIndex {
        /// The pair's F value.
        f: u64,
        /// The challenge's lookup index.
        z: u64,
        /// The probe window's bit count the proof was checked with.
        probe_bits: u32,
    },
}

/// What a challenge asks for, in words: the index itself, or its window.
fn asked(z: u64, probe_bits: u32) -> String {
    if probe_bits == 0 {
        format!("z = {z}")
    } else {
        format!("an index sharing all but the low {probe_bits} bits of z = {z}")
    }
}

impl From<crate::newtype::HexBytesError> for ProofError {
    fn from(e: crate::newtype::HexBytesError) -> Self {
        ProofError::BadEncoding(e.to_string())
    }
}
