//! The random function `P`: `P(x) = LE64(S[8x .. 8x+8]) & mask`, where `S` is the keyed BLAKE3
//! extendable output of the one-byte message `"P"` under the plot id.

use crate::types::{PlotId, K};

fn p_stream(plot_id: &PlotId) -> blake3::OutputReader {
    let mut h = blake3::Hasher::new_keyed(plot_id.as_bytes());
    h.update(b"P");
    h.finalize_xof()
}

/// `P(x)` for one x (a verifier's single seek into the stream).
#[must_use]
pub fn p_value(plot_id: &PlotId, k: K, x: u64) -> u64 {
    let mut reader = p_stream(plot_id);
    reader.set_position(8 * x);
    let mut b = [0u8; 8];
    reader.fill(&mut b);
    u64::from_le_bytes(b) & k.mask()
}

/// Fills `out[i] = P(first_x + i)`; the bulk path of the plotter.
///
/// `scratch` must hold `8 * out.len()` bytes; passing it in keeps the hot loop allocation-free.
pub fn p_fill(plot_id: &PlotId, k: K, first_x: u64, out: &mut [u64], scratch: &mut Vec<u8>) {
    scratch.resize(out.len() * 8, 0);
    let mut reader = p_stream(plot_id);
    reader.set_position(8 * first_x);
    reader.fill(scratch);
    let mask = k.mask();
    for (o, chunk) in out.iter_mut().zip(scratch.chunks_exact(8)) {
        *o = u64::from_le_bytes(chunk.try_into().expect("8-byte chunk")) & mask;
    }
}
