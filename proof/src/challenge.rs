//! The challenge probe: `h = KH(plot_id, "C" || challenge)`; the plot passes iff
//! `LE32(h[0..4]) mod 2^filter_bits = 0`, and its lookup index is `z = LE64(h[8..16]) & mask`.

use crate::types::{Challenge, PlotId, K};
use crate::window::FilterBits;

/// What one plot makes of one challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probe {
    /// `LE32(h[0..4])`, the value the filter is applied to.
    pub filter_word: u32,
    /// The lookup index `z`.
    pub z: u64,
}

impl Probe {
    /// Whether the plot passes a filter of `filter_bits` bits (0 passes every plot).
    #[must_use]
    pub fn passes(&self, filter_bits: FilterBits) -> bool {
        filter_bits.passes(self.filter_word)
    }
}

/// Probes one plot with one challenge.
#[must_use]
pub fn probe(plot_id: &PlotId, k: K, challenge: &Challenge) -> Probe {
    let mut m = [0u8; 33];
    m[0] = b'C';
    m[1..].copy_from_slice(challenge.as_bytes());
    let h = blake3::keyed_hash(plot_id.as_bytes(), &m);
    let h = h.as_bytes();
    Probe {
        filter_word: u32::from_le_bytes(h[0..4].try_into().expect("4 bytes")),
        z: u64::from_le_bytes(h[8..16].try_into().expect("8 bytes")) & k.mask(),
    }
}
