//! The `masspoc` command: one binary, one subcommand per job.
//!
//! Each area of the product owns one module under `commands/` with its own clap `Subcommand`
//! enum, flattened into [`Command`] here; `commands/bench/` holds one file per benchmark.

mod bits_arg;
mod bridge_http;
mod commands;
mod output;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// masspoc: proof-of-capacity plots, farming, verification, slashing and PoW anchoring.
#[derive(Parser)]
#[command(name = "masspoc", version, about, long_about = None, propagate_version = true)]
struct Cli {
    /// Log filter (tracing syntax, e.g. `info`, `masspoc_farmer=debug`); also RUST_LOG.
    #[arg(long, global = true, env = "MASSPOC_LOG", default_value = "info")]
    log: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    // --- areas (one line each; keep this list sorted by area) ---
    #[command(flatten)]
    Proofs(commands::proofs::Command),
    #[command(flatten)]
    Identity(commands::identity::Command),
    #[command(flatten)]
    Bridge(commands::bridge::Command),
    #[command(flatten)]
    Chain(commands::chain::Command),
    #[command(flatten)]
    Farm(commands::farm::Command),
    #[command(flatten)]
    Harvester(commands::harvester::Command),
    /// Benchmarks measured against this machine's own limits in the same run.
    #[command(subcommand)]
    Bench(commands::bench::Command),
    /// The whole system on this machine: regtest litecoind, plots, bridge, farmer, slashing,
    /// anchoring, verification, then a summary (docs/devnet.md).
    Devnet(commands::devnet::DevnetArgs),
}

impl Command {
    /// Whether the command runs until stopped and only logs (to stderr): those keep a closed
    /// pipe from ending them, every other command ends quietly on one.
    fn long_running(&self) -> bool {
        match self {
            Command::Devnet(_) => true,
            Command::Farm(c) => c.long_running(),
            Command::Bridge(c) => c.long_running(),
            _ => false,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    output::init_logging(&cli.log);
    if !cli.command.long_running() {
        output::end_quietly_on_closed_pipe();
    }
    let result = match cli.command {
        Command::Proofs(c) => c.run(),
        Command::Identity(c) => c.run(),
        Command::Bridge(c) => c.run(),
        Command::Chain(c) => c.run(),
        Command::Farm(c) => c.run(),
        Command::Harvester(c) => c.run(),
        Command::Bench(c) => c.run(),
        Command::Devnet(a) => a.run(),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
