//! masspoc-plotter (being written).
