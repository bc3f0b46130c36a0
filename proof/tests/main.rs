//! Every integration test of proof, in one test binary (one link instead of one per file).

mod known_answers;
mod proof_rejections;
mod vrf_binding;
