//! Every integration test of verifier, in one test binary (one link instead of one per file).

mod batch;
mod common;
mod decoders;
mod evidence;
mod evidence_in_blocks;
mod finality_conflicts;
mod finality_pow;
mod finality_rule;
mod finality_withheld;
mod forks;
mod layout;
mod many_farmers;
mod mem_plot;
mod rules;
