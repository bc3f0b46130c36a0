//! `masspoc farm --config farmer.toml`: farm every configured chain from the configured plots
//! until SIGINT or SIGTERM; `masspoc farm summary` and `masspoc farm status` ask a running farmer how it does.

mod source;
mod status;
mod summary;

use anyhow::Context;
use clap::Subcommand;
use masspoc_farmer::config::FarmerConfig;
use masspoc_farmer::farm::{run_farm, shutdown_signal};
use masspoc_farmer::signer::open_identity;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// Farming.
#[derive(Subcommand)]
pub enum Command {
    /// Farm chain instances from plots (see plots.example/farmer.toml); stops on Ctrl-C/SIGTERM.
    /// `masspoc farm summary` shows a running farmer's plots, chains and alerts, `masspoc farm
    /// status` its harvesters.
    #[command(args_conflicts_with_subcommands = true)]
    Farm {
        /// The farmer configuration file.
        #[arg(long, value_name = "FILE", required = true)]
        config: Option<PathBuf>,
        /// What to ask a running farmer instead of farming.
        #[command(subcommand)]
        action: Option<FarmAction>,
    },
}

/// Questions to a running farmer.
#[derive(Subcommand)]
pub enum FarmAction {
    /// Plots and space (local and per harvester) and, per chain: height, difficulty, share of
    /// the chain's space, expected time to win, proofs / signed / accepted in the last 24 h,
    /// lookups over budget, last error; then active alerts. Reads the farmer's /status.json.
    Summary(summary::SummaryArgs),
    /// Each harvester: connected, plots, space, lookups, latency p50/p99, errors, invalid
    /// answers and timeouts. Reads the farmer's /status.json.
    Status(status::StatusArgs),
}

impl Command {
    /// Runs the command.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            Command::Farm {
                action: Some(FarmAction::Summary(a)),
                ..
            } => a.run(),
            Command::Farm {
                action: Some(FarmAction::Status(a)),
                ..
            } => a.run(),
            Command::Farm {
                config: Some(config),
                ..
            } => farm(&config),
            Command::Farm { config: None, .. } => {
                anyhow::bail!("masspoc farm needs --config FILE (or a subcommand: summary, status)")
            }
        }
    }

    /// Whether the command runs until stopped (farming does; a summary does not).
    pub fn long_running(&self) -> bool {
        matches!(self, Command::Farm { action: None, .. })
    }
}

fn farm(path: &std::path::Path) -> anyhow::Result<ExitCode> {
    let config = FarmerConfig::load(path)?;
    let (identity, guard) = open_identity(&config).with_context(|| {
        format!(
            "opening key {} and signing history {}",
            config.key_file.display(),
            config.signing_history.display()
        )
    })?;
    tracing::info!(
        farmer = %identity.farmer_pk,
        history = %config.signing_history.display(),
        chains = config.chains.len(),
        "farmer starting"
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let result = rt.block_on(run_farm(&config, identity, shutdown_signal()));
    // Blocking threads stuck on a hung disk must not keep the process alive.
    rt.shutdown_timeout(Duration::from_secs(2));
    result.context("farming")?;
    // Every signer is gone with the runtime: close the signing history last.
    match Arc::try_unwrap(guard) {
        Ok(guard) => drop(guard),
        Err(_) => {
            tracing::warn!("signing history still referenced at exit; it closes with the process")
        }
    }
    tracing::info!("signing history closed; farmer stopped");
    Ok(ExitCode::SUCCESS)
}
