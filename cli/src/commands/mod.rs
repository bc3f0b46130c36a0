//! One module per area of the product; each defines a clap `Subcommand` enum with a `run`.

pub mod bench;
pub mod bridge;
pub mod chain;
pub mod devnet;
pub mod farm;
pub mod harvester;
pub mod identity;
pub mod proofs;
