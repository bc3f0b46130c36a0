//! `masspoc keygen --out FILE | --show FILE`: a new farmer key file, or the public key of one.

use crate::output::print_json;
use anyhow::{anyhow, bail, Context};
use clap::ArgGroup;
use masspoc_farmer::keys::{read_public_key, FarmerKey};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use zeroize::Zeroizing;

/// `masspoc keygen`.
#[derive(clap::Args)]
#[command(group(ArgGroup::new("mode").required(true).args(["out", "show"])))]
pub struct Args {
    /// Write a new key to this file (refuses an existing file; created with mode 0600).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Print the public key of this key file (needs no passphrase).
    #[arg(long, value_name = "FILE")]
    show: Option<PathBuf>,
    /// Seal the new key with the passphrase held in this environment variable.
    #[arg(long, value_name = "VAR", conflicts_with_all = ["passphrase_file", "show"])]
    passphrase_env: Option<String>,
    /// Seal the new key with the passphrase on the first line of this file.
    #[arg(long, value_name = "FILE", conflicts_with = "show")]
    passphrase_file: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

impl Args {
    /// Runs the command.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        if let Some(path) = self.show {
            let pk =
                read_public_key(&path).with_context(|| format!("reading {}", path.display()))?;
            print_public(&pk.to_hex(), None, self.json)?;
            return Ok(ExitCode::SUCCESS);
        }
        let path = self
            .out
            .ok_or_else(|| anyhow!("--out or --show is required"))?;
        let passphrase = read_passphrase(
            self.passphrase_env.as_deref(),
            self.passphrase_file.as_deref(),
        )?;
        let key = FarmerKey::generate().context("generating a key")?;
        key.save(&path, passphrase.as_ref().map(|p| p.as_str()))
            .with_context(|| format!("writing {}", path.display()))?;
        print_public(
            &key.public_key().to_hex(),
            Some((&path, passphrase.is_some())),
            self.json,
        )?;
        Ok(ExitCode::SUCCESS)
    }
}

fn print_public(pk: &str, created: Option<(&Path, bool)>, as_json: bool) -> anyhow::Result<()> {
    match (created, as_json) {
        (None, true) => print_json(&json!({ "farmer_pk": pk })),
        (None, false) => {
            println!("{pk}");
            Ok(())
        }
        (Some((path, encrypted)), true) => print_json(&json!({
            "farmer_pk": pk,
            "path": path.display().to_string(),
            "encrypted": encrypted,
        })),
        (Some((path, encrypted)), false) => {
            let how = if encrypted {
                "passphrase-sealed"
            } else {
                "unencrypted"
            };
            println!("wrote {} ({how}, mode 0600)", path.display());
            println!("farmer_pk: {pk}");
            Ok(())
        }
    }
}

/// The passphrase from an environment variable or from the first line of a file.
fn read_passphrase(
    env: Option<&str>,
    file: Option<&Path>,
) -> anyhow::Result<Option<Zeroizing<String>>> {
    let pass = match (env, file) {
        (Some(var), _) => Zeroizing::new(
            std::env::var(var)
                .map_err(|_| anyhow!("environment variable {var} is not set (or not UTF-8)"))?,
        ),
        // Mode 0600 or stricter, first line (as the farmer reads it).
        (None, Some(path)) => masspoc_farmer::keys::read_passphrase_file(path)?,
        (None, None) => return Ok(None),
    };
    if pass.is_empty() {
        bail!("the passphrase is empty");
    }
    Ok(Some(pass))
}
