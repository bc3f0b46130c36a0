//! masspoc-farmer (being written).
