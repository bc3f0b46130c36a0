//! `masspoc vrf bound | prove | verify`: the VRF key bound to a farmer key, and RFC 9381
//! ECVRF-EDWARDS25519-SHA512-TAI for auditors.

use crate::output::print_json;
use anyhow::{anyhow, Context};
use clap::Subcommand;
use masspoc_proof::vrf::{self, VrfProof, VrfPublicKey, VrfSecretKey};
use masspoc_proof::FarmerPublicKey;
use serde_json::json;
use std::process::ExitCode;
use zeroize::Zeroizing;

/// `masspoc vrf …`.
#[derive(Subcommand)]
pub enum Command {
    /// Bound key: print the one VRF public key a verifier accepts for a farmer key
    /// (`bound_vrf_public`, docs/vrf.md), derived from the farmer key alone.
    Bound {
        /// The farmer public key (ed25519), 64 hex digits.
        #[arg(long, value_name = "HEX")]
        farmer_pk: String,
        /// Print JSON: {"farmer_pk", "vrf_pk", "tweak"}.
        #[arg(long)]
        json: bool,
    },
    /// Prove: print pi and beta for a 32-byte RFC 8032 secret and an alpha string.
    #[command(group(clap::ArgGroup::new("sk").required(true).args(["secret", "secret_file"])))]
    Prove {
        /// The 32-byte secret SK, 64 hex digits (not a farmer seed: see docs/vrf.md). On the
        /// command line it shows in the process list and the shell's history: prefer
        /// --secret-file (a warning says so).
        #[arg(long, value_name = "HEX")]
        secret: Option<String>,
        /// Read SK (64 hex digits, first line) from this file, which must be the owner's alone
        /// (mode 0600), or from standard input with `-`.
        #[arg(long, value_name = "PATH")]
        secret_file: Option<std::path::PathBuf>,
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

impl Command {
    /// Runs the command.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            Command::Bound { farmer_pk, json } => bound(&farmer_pk, json),
            Command::Prove {
                secret,
                secret_file,
                alpha,
                json,
            } => {
                let secret = match (secret, secret_file) {
                    (Some(s), _) => {
                        eprintln!(
                            "warning: --secret on the command line shows in the process list and \
                             the shell's history; prefer --secret-file FILE (mode 0600) or \
                             --secret-file - (standard input)"
                        );
                        Zeroizing::new(s)
                    }
                    (None, Some(path)) => read_secret(&path)?,
                    (None, None) => anyhow::bail!("give --secret-file PATH (or - for stdin)"),
                };
                prove(&secret, &alpha, json)
            }
            Command::Verify {
                public,
                alpha,
                proof,
                json,
            } => verify(&public, &alpha, &proof, json),
        }
    }
}

fn decode_hex(what: &str, s: &str) -> anyhow::Result<Vec<u8>> {
    hex::decode(s.trim()).map_err(|e| anyhow!("--{what} is not hex: {e}"))
}

/// SK from a file of the owner's alone (first line) or from standard input (`-`).
fn read_secret(path: &std::path::Path) -> anyhow::Result<Zeroizing<String>> {
    if path.as_os_str() == "-" {
        let mut line = Zeroizing::new(String::new());
        std::io::stdin()
            .read_line(&mut line)
            .context("reading the secret from standard input")?;
        return Ok(Zeroizing::new(line.trim().to_string()));
    }
    // The passphrase files' rule: mode 0600 or stricter, first line.
    masspoc_farmer::keys::read_passphrase_file(path).context("--secret-file")
}

fn prove(secret: &str, alpha: &str, as_json: bool) -> anyhow::Result<ExitCode> {
    let mut sk = Zeroizing::new([0u8; 32]);
    hex::decode_to_slice(secret.trim(), sk.as_mut())
        .map_err(|_| anyhow!("the secret must be 64 hex digits"))?;
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

fn bound(farmer_pk: &str, as_json: bool) -> anyhow::Result<ExitCode> {
    let pk = FarmerPublicKey::from_hex(farmer_pk).context("--farmer-pk")?;
    let vrf_pk = vrf::bound_vrf_public(&pk)
        .map_err(|e| anyhow!("--farmer-pk {pk} has no bound vrf key: {e}"))?;
    let tweak = hex::encode(vrf::vrf_tweak(&pk));
    if as_json {
        print_json(&json!({ "farmer_pk": pk, "vrf_pk": vrf_pk, "tweak": tweak }))?;
    } else {
        println!("vrf_pk: {vrf_pk}");
        println!("tweak: {tweak}");
    }
    Ok(ExitCode::SUCCESS)
}

fn verify(public: &str, alpha: &str, proof: &str, as_json: bool) -> anyhow::Result<ExitCode> {
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
