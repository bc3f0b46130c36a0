//! The plot id: `BLAKE3("masspoc/v1/plot" || farmer_pk[32] || [k] || plot_seed[32])`.

use crate::types::{FarmerPublicKey, PlotId, PlotSeed, K};

/// Domain tag of the plot id.
pub const PLOT_ID_TAG: &[u8] = b"masspoc/v1/plot";

/// Derives the plot id of a farmer key, k and seed.
#[must_use]
pub fn derive_plot_id(farmer_pk: &FarmerPublicKey, k: K, plot_seed: &PlotSeed) -> PlotId {
    let mut h = blake3::Hasher::new();
    h.update(PLOT_ID_TAG);
    h.update(farmer_pk.as_bytes());
    h.update(&[k.get()]);
    h.update(plot_seed.as_bytes());
    PlotId(*h.finalize().as_bytes())
}
