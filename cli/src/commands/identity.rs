//! Identity and safety: `keygen`, `vrf bound|prove|verify`, `signing-history export|import`.

mod keygen;
mod signing_history;
mod vrf;

use clap::Subcommand;
use std::process::ExitCode;

/// Identity commands.
#[derive(Subcommand)]
pub enum Command {
    /// Create a farmer key file (0600, never overwriting), or show the public key of one.
    Keygen(keygen::Args),
    /// RFC 9381 ECVRF-EDWARDS25519-SHA512-TAI, for auditors.
    #[command(subcommand)]
    Vrf(vrf::Command),
    /// Export or import the signing history (slashing protection) in the interchange format.
    #[command(subcommand, name = "signing-history")]
    SigningHistory(signing_history::Command),
}

impl Command {
    /// Runs the command.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            Command::Keygen(a) => a.run(),
            Command::Vrf(c) => c.run(),
            Command::SigningHistory(c) => c.run(),
        }
    }
}
