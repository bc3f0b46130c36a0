//! masspoc-node-bridge (being written).
