//! Identity and safety: `keygen`, `vrf prove|verify`, `signing-history export|import`.

use crate::output::print_json;
use anyhow::{anyhow, bail, Context};
use clap::{ArgGroup, Args, Subcommand};
use masspoc_farmer::keys::{read_public_key, FarmerKey};
use masspoc_farmer::signing_history::{history_path_for, Interchange, SigningHistory};
use masspoc_proof::vrf::{self, VrfProof, VrfPublicKey, VrfSecretKey};
use serde_json::json;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use zeroize::Zeroizing;

/// Identity commands.
#[derive(Subcommand)]
pub enum Command {
    /// Create a farmer key file (0600, never overwriting), or show the public key of one.
    Keygen(KeygenArgs),
    /// RFC 9381 ECVRF-EDWARDS25519-SHA512-TAI, for auditors.
    #[command(subcommand)]
    Vrf(VrfCommand),
    /// Export or import the signing history (slashing protection) in the interchange format.
    #[command(subcommand, name = "signing-history")]
    SigningHistory(HistoryCommand),
}

/// `masspoc keygen`.
#[derive(Args)]
#[command(group(ArgGroup::new("mode").required(true).args(["out", "show"])))]
pub struct KeygenArgs {
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

/// `masspoc vrf …`.
#[derive(Subcommand)]
pub enum VrfCommand {
    /// Prove: print pi and beta for a 32-byte RFC 8032 secret and an alpha string.
    Prove {
        /// The 32-byte secret SK, 64 hex digits (not a farmer seed: see docs/vrf.md).
        #[arg(long, value_name = "HEX")]
        secret: String,
        /// The alpha string in hex ("" for the empty string).
        #[arg(long, value_name = "HEX")]
        alpha: String,
        /// Print JSON: {"pi", "beta"}.
        #[arg(long)]
        json: bool,
    },
    /// Verify: exit 0 and print beta if the proof is valid, exit 1 with the reason if not.
    Verify {
        /// The public key, 64 hex digits.
        #[arg(long, value_name = "HEX")]
        public: String,
        /// The alpha string in hex ("" for the empty string).
        #[arg(long, value_name = "HEX")]
        alpha: String,
        /// The proof pi, 160 hex digits.
        #[arg(long, value_name = "HEX")]
        proof: String,
        /// Print JSON: {"valid", "beta"} or {"valid", "reason"}.
        #[arg(long)]
        json: bool,
    },
}

/// `masspoc signing-history …`.
#[derive(Subcommand)]
pub enum HistoryCommand {
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
            Command::Keygen(args) => keygen(args),
            Command::Vrf(VrfCommand::Prove {
                secret,
                alpha,
                json,
            }) => vrf_prove(&secret, &alpha, json),
            Command::Vrf(VrfCommand::Verify {
                public,
                alpha,
                proof,
                json,
            }) => vrf_verify(&public, &alpha, &proof, json),
            Command::SigningHistory(HistoryCommand::Export { key, history, out }) => {
                history_export(&key, history, out)
            }
            Command::SigningHistory(HistoryCommand::Import {
                key,
                history,
                file,
                json,
            }) => history_import(&key, history, &file, json),
        }
    }
}

fn keygen(args: KeygenArgs) -> anyhow::Result<ExitCode> {
    if let Some(path) = args.show {
        let pk = read_public_key(&path).with_context(|| format!("reading {}", path.display()))?;
        print_public(&pk.to_hex(), None, args.json)?;
        return Ok(ExitCode::SUCCESS);
    }
    let path = args
        .out
        .ok_or_else(|| anyhow!("--out or --show is required"))?;
    let passphrase = read_passphrase(
        args.passphrase_env.as_deref(),
        args.passphrase_file.as_deref(),
    )?;
    let key = FarmerKey::generate().context("generating a key")?;
    key.save(&path, passphrase.as_ref().map(|p| p.as_str()))
        .with_context(|| format!("writing {}", path.display()))?;
    print_public(
        &key.public_key().to_hex(),
        Some((&path, passphrase.is_some())),
        args.json,
    )?;
    Ok(ExitCode::SUCCESS)
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
        (None, Some(path)) => {
            let text = Zeroizing::new(
                std::fs::read_to_string(path)
                    .with_context(|| format!("reading passphrase file {}", path.display()))?,
            );
            Zeroizing::new(text.lines().next().unwrap_or("").to_string())
        }
        (None, None) => return Ok(None),
    };
    if pass.is_empty() {
        bail!("the passphrase is empty");
    }
    Ok(Some(pass))
}

fn decode_hex(what: &str, s: &str) -> anyhow::Result<Vec<u8>> {
    hex::decode(s.trim()).map_err(|e| anyhow!("--{what} is not hex: {e}"))
}

fn vrf_prove(secret: &str, alpha: &str, as_json: bool) -> anyhow::Result<ExitCode> {
    let mut sk = Zeroizing::new([0u8; 32]);
    hex::decode_to_slice(secret.trim(), sk.as_mut())
        .map_err(|_| anyhow!("--secret must be 64 hex digits"))?;
    let alpha = decode_hex("alpha", alpha)?;
    let key = VrfSecretKey::from_seed(&sk);
    let pi = vrf::prove(&key, &alpha);
    let beta = vrf::proof_to_hash(&pi).context("reading beta from the new proof")?;
    if as_json {
        print_json(&json!({
            "pi": pi.to_hex(),
            "beta": beta.to_hex(),
            "public": key.public().to_hex(),
        }))?;
    } else {
        println!("pi: {pi}");
        println!("beta: {beta}");
        println!("public: {}", key.public());
    }
    Ok(ExitCode::SUCCESS)
}

fn vrf_verify(public: &str, alpha: &str, proof: &str, as_json: bool) -> anyhow::Result<ExitCode> {
    let alpha = decode_hex("alpha", alpha)?;
    let result = VrfPublicKey::from_hex(public).and_then(|pk| {
        let pi = VrfProof::from_hex(proof)?;
        vrf::verify(&pk, &alpha, &pi)
    });
    match (result, as_json) {
        (Ok(beta), true) => print_json(&json!({ "valid": true, "beta": beta.to_hex() }))?,
        (Ok(beta), false) => println!("valid\nbeta: {beta}"),
        (Err(e), true) => {
            print_json(&json!({ "valid": false, "reason": e.to_string() }))?;
            return Ok(ExitCode::from(1));
        }
        (Err(e), false) => {
            println!("invalid: {e}");
            return Ok(ExitCode::from(1));
        }
    }
    Ok(ExitCode::SUCCESS)
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

fn history_export(
    key: &Path,
    history: Option<PathBuf>,
    out: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
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

fn history_import(
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
