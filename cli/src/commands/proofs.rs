//! Plots and capacity proofs: `plot`, `prove`, `verify`, `check`, `plots list`.

use clap::Subcommand;
use std::process::ExitCode;

/// Plot and proof commands.
#[derive(Subcommand)]
pub enum Command {}

impl Command {
    /// Runs the command.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self {}
    }
}
