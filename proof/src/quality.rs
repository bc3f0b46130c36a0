//! The quality hash `U = KH(plot_id, "Q" || challenge || u64le(x) || u64le(x'))`.

use crate::types::{Challenge, PlotId};
use std::fmt;

/// A quality hash, read as a 256-bit big-endian integer U. The score is `-log2(U / 2^256) / w`,
/// so a higher U gives a lower (better) score.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quality(pub [u8; 32]);

impl fmt::Debug for Quality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Quality({})", hex::encode(self.0))
    }
}

/// The quality hash of a proof for a challenge.
#[must_use]
pub fn quality(plot_id: &PlotId, challenge: &Challenge, x: u64, x_prime: u64) -> Quality {
    let mut m = [0u8; 49];
    m[0] = b'Q';
    m[1..33].copy_from_slice(challenge.as_bytes());
    m[33..41].copy_from_slice(&x.to_le_bytes());
    m[41..49].copy_from_slice(&x_prime.to_le_bytes());
    Quality(*blake3::keyed_hash(plot_id.as_bytes(), &m).as_bytes())
}
