//! `masspoc signing-history export | import`: the signing history (slashing protection) in the
//! interchange format (`docs/signing-history.md`).

use crate::output::print_json;
use anyhow::{bail, Context};
use clap::Subcommand;
use masspoc_farmer::error::HistoryError;
use masspoc_farmer::keys::read_public_key;
use masspoc_farmer::signing_history::{history_path_for, Interchange, SigningHistory};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `masspoc signing-history …`.
#[derive(Subcommand)]
pub enum Command {
    /// Write the signing history as interchange JSON (stdout, or a new file); beside a running
    /// farmer it reads a consistent copy of the history the farmer holds.
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

/// Exports the history; one a running farmer holds open is read from a consistent copy (an
/// export only reads: it must work beside the farmer, and never lock it out).
fn export(key: &Path, history: Option<PathBuf>, out: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let pk = read_public_key(key).with_context(|| format!("reading {}", key.display()))?;
    let path = history.unwrap_or_else(|| history_path_for(key));
    if !path.exists() {
        bail!("no signing history at {}", path.display());
    }
    let text = match SigningHistory::open(&path, &pk) {
        Ok(h) => h.export()?.to_json()?,
        Err(HistoryError::AlreadyOpen { .. }) => {
            let snapshot = Snapshot::of(&path)?;
            let h = SigningHistory::open(&snapshot.file, &pk)
                .with_context(|| format!("opening a copy of {}", path.display()))?;
            let text = h.export()?.to_json()?;
            drop(h);
            text
        }
        Err(e) => return Err(anyhow::Error::new(e).context(format!("opening {}", path.display()))),
    };
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

/// A copy of a history file taken while a farmer holds it: the file is read until two reads in a
/// row are byte-identical (so no commit ran in between), written 0600 into a private temporary
/// directory, and removed on drop.
struct Snapshot {
    dir: PathBuf,
    file: PathBuf,
}

impl Snapshot {
    fn of(path: &Path) -> anyhow::Result<Snapshot> {
        let read = || std::fs::read(path).with_context(|| format!("reading {}", path.display()));
        let mut bytes = read()?;
        let mut stable = false;
        for _ in 0..20 {
            let again = read()?;
            if again == bytes {
                stable = true;
                break;
            }
            bytes = again;
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        if !stable {
            bail!(
                "{} kept changing while it was read (a farmer signing fast); try again",
                path.display()
            );
        }
        let dir = std::env::temp_dir().join(format!(
            "masspoc-history-export-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        ));
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&dir)
            .with_context(|| format!("creating {}", dir.display()))?;
        let snapshot = Snapshot {
            file: dir.join("history"),
            dir,
        };
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&snapshot.file)
            .with_context(|| format!("creating {}", snapshot.file.display()))?;
        file.write_all(&bytes)
            .with_context(|| format!("writing {}", snapshot.file.display()))?;
        Ok(snapshot)
    }
}

impl Drop for Snapshot {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
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
