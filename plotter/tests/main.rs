//! Every integration test of plotter, in one test binary (one link instead of one per file).

mod common;
mod correctness;
mod damage;
mod determinism;
mod forge;
mod truncated_map;
mod window;
