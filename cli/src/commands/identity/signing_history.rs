//! `masspoc signing-history export | import`: the signing history (slashing protection) in the
//! interchange format (`docs/signing-history.md`).

use crate::output::print_json;
use anyhow::{bail, Context};
use clap::Subcommand;
use masspoc_farmer::keys::read_public_key;
use masspoc_farmer::signing_history::{history_path_for, Interchange, SigningHistory};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `masspoc signing-history …`.
#[derive(Subcommand)]
pub enum Command {
    /// Write the signing history as interchange JSON (stdout, or a new file).
    Export {
        /// The farmer key file (only its public key is read).
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        /// The history file [default: <key file>.history].
        #[arg(long, value_name = "FILE")]
        history: Option<PathBuf>,
        /// Write to this new file instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Merge an interchange JSON file into the signing history (never loosens protection).
    Import {
        /// The farmer key file (only its public key is read).
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        /// The history file [default: <key file>.history].
        #[arg(long, value_name = "FILE")]
        history: Option<PathBuf>,
        /// The interchange file to import.
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

impl Command {
    /// Runs the command.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            Command::Export { key, history, out } => export(&key, history, out),
            Command::Import {
                key,
                history,
                file,
                json,
            } => import(&key, history, &file, json),
        }
    }
}

fn open_history(
    key: &Path,
    history: Option<PathBuf>,
    must_exist: bool,
) -> anyhow::Result<SigningHistory> {
    let pk = read_public_key(key).with_context(|| format!("reading {}", key.display()))?;
    let path = history.unwrap_or_else(|| history_path_for(key));
    if must_exist && !path.exists() {
        bail!("no signing history at {}", path.display());
    }
    SigningHistory::open(&path, &pk).with_context(|| format!("opening {}", path.display()))
}

fn export(key: &Path, history: Option<PathBuf>, out: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let history = open_history(key, history, true)?;
    let text = history.export()?.to_json()?;
    match out {
        None => print!("{text}"),
        Some(path) => {
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
                .with_context(|| format!("creating {} (it must not exist)", path.display()))?;
            file.write_all(text.as_bytes())
                .and_then(|()| file.sync_all())
                .with_context(|| format!("writing {}", path.display()))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn import(
    key: &Path,
    history: Option<PathBuf>,
    file: &Path,
    as_json: bool,
) -> anyhow::Result<ExitCode> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let doc =
        Interchange::from_json(&text).with_context(|| format!("parsing {}", file.display()))?;
    let history = open_history(key, history, false)?;
    let report = history.import(&doc)?;
    if as_json {
        print_json(&report)?;
    } else {
        println!(
            "imported into {}: {} added, {} already present, {} conflicting (those heights now refuse every header)",
            history.path().display(),
            report.added,
            report.already_present,
            report.conflicts
        );
    }
    Ok(ExitCode::SUCCESS)
}
