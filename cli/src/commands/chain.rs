//! Chain rules, slashing and simulation: `verify-header`, `verify-chain`, `slashing verify`,
//! `simulate` (`docs/protocol.md`).

mod finality;
mod input;
mod simulate;
mod slashing;
mod verify;

use clap::Subcommand;
use std::process::ExitCode;

/// Chain-rule commands.
#[derive(Subcommand)]
pub enum Command {
    /// Check one header against the chain rules (and its parent, if given).
    VerifyHeader(verify::HeaderArgs),
    /// Check a sequence of headers (a file of JSON or hex lines, or a bridge URL) in parallel.
    VerifyChain(verify::ChainArgs),
    /// Slashing evidence.
    #[command(subcommand)]
    Slashing(slashing::Command),
    /// Simulate farmers racing on the real chain rules with sampled proofs.
    Simulate(simulate::Args),
}

impl Command {
    /// Runs the command.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            Command::VerifyHeader(a) => a.run(),
            Command::VerifyChain(a) => a.run(),
            Command::Slashing(c) => c.run(),
            Command::Simulate(a) => a.run(),
        }
    }
}
