//! Harvesters (`docs/harvesters.md`): `masspoc harvester --config harvester.toml` serves the
//! plots of this machine to its paired farmers; `masspoc peer-id --dir DIR` prints the peer id
//! of the link identity in DIR (created 0600 if missing), for pairing.

use anyhow::Context;
use clap::Subcommand;
use masspoc_farmer::farm::shutdown_signal;
use masspoc_farmer::harvester::{run_harvester, HarvesterConfig};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Harvester commands.
#[derive(Subcommand)]
pub enum Command {
    /// Serve this machine's plots to paired farmers (see plots.example/harvester.toml); prints
    /// its peer id and addresses; stops on Ctrl-C/SIGTERM.
    Harvester {
        /// The harvester configuration file.
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
    },
    /// Print the peer id of the link identity in DIR (`DIR/p2p-identity.key`, created 0600 if
    /// missing): a harvester's is its config's `identity_dir`, a farmer's its key file's
    /// directory unless its config sets `harvester_identity_dir`.
    PeerId {
        /// The directory holding the identity.
        #[arg(long, value_name = "DIR")]
        dir: PathBuf,
    },
}

impl Command {
    /// Runs the command.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            Command::Harvester { config } => harvester(&config),
            Command::PeerId { dir } => {
                let key = masspoc_net::identity::load_or_create(&dir)
                    .with_context(|| format!("peer identity in {}", dir.display()))?;
                println!("{}", key.public().to_peer_id());
                Ok(ExitCode::SUCCESS)
            }
        }
    }
}

fn harvester(path: &std::path::Path) -> anyhow::Result<ExitCode> {
    let config = HarvesterConfig::load(path)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let result = rt.block_on(run_harvester(&config, shutdown_signal()));
    // Blocking threads stuck on a hung disk must not keep the process alive.
    rt.shutdown_timeout(Duration::from_secs(2));
    result.context("harvester")?;
    Ok(ExitCode::SUCCESS)
}
