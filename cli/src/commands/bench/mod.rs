//! `masspoc bench ...`: one file per benchmark, each printing a table or `--json`.

mod farm;
mod farm_harvesters;
mod forge;
mod plot;
mod pow;
mod verify;

use clap::Subcommand;
use std::process::ExitCode;

/// The benchmarks.
#[derive(Subcommand)]
pub enum Command {
    // One variant per benchmark file: plot and forge (plotter), farm (farmer), verify (verifier),
    // pow (bridge).
    /// PoW headers validated per second on all cores beside one core's raw scrypt rate.
    Pow(pow::Args),
    /// Capacity proofs/s and headers/s on all cores beside one core's primitive rates.
    Verify(verify::Args),
    /// Challenge-to-best-proof latency over N plots for M chains beside one raw random read.
    Farm(farm::Args),
    /// Plotting wall time beside the machine's lower bound (P, F, one sequential write).
    Plot(plot::Args),
    /// Answering one challenge without the plot (recompute on all cores) beside a stored lookup.
    Forge(forge::Args),
}

impl Command {
    /// Runs the benchmark.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            Command::Pow(a) => a.run(),
            Command::Verify(a) => a.run(),
            Command::Farm(a) => a.run(),
            Command::Plot(a) => a.run(),
            Command::Forge(a) => a.run(),
        }
    }
}
