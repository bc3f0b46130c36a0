//! masspoc-verifier (being written).
