//! `masspoc farm --config farmer.toml`: farm every configured chain from the configured plots
//! until SIGINT or SIGTERM.

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
    Farm {
        /// The farmer configuration file.
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
    },
}

impl Command {
    /// Runs the command.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            Command::Farm { config } => farm(&config),
        }
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
