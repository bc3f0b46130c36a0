//! `masspoc bench ...`: one file per benchmark, each printing a table or `--json`.

use clap::Subcommand;
use std::process::ExitCode;

/// The benchmarks.
#[derive(Subcommand)]
pub enum Command {
    // One variant per benchmark file: plot (plotter), farm (farmer), verify (verifier), pow (bridge).
}

impl Command {
    /// Runs the benchmark.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self {}
    }
}
