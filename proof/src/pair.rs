//! Pair validity: `x, x' < 2^k`, `P(x) < 2^(k-1)` and `P(x') = P(x) XOR mask`.

use crate::p_function::p_value;
use crate::types::{PlotId, K};
use thiserror::Error;

/// Why a pair is not valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum PairError {
    /// A member is not below `2^k`.
    #[error("member out of range")]
    OutOfRange,
    /// The pair is valid only with its members swapped.
    #[error("members in the wrong order")]
    WrongOrder,
    /// Not a bit-flip pair of P.
    #[error("not a bit-flip pair of P")]
    NotAPair,
}

/// Checks that `(x, x')` is a valid pair in canonical order.
pub fn check_pair(plot_id: &PlotId, k: K, x: u64, x_prime: u64) -> Result<(), PairError> {
    if x > k.mask() || x_prime > k.mask() {
        return Err(PairError::OutOfRange);
    }
    let px = p_value(plot_id, k, x);
    let pxp = p_value(plot_id, k, x_prime);
    if pxp != px ^ k.mask() {
        return Err(PairError::NotAPair);
    }
    if px >= k.half() {
        return Err(PairError::WrongOrder);
    }
    Ok(())
}
