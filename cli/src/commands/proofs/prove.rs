//! `masspoc prove PLOT --challenge HEX`: every proof the plot holds for the challenge.

use crate::output::print_json;
use anyhow::Context;
use masspoc_plot::{FoundProof, PlotReader, ReadError};
use masspoc_proof::{Challenge, ProofJson};
use serde::Serialize;
use std::path::PathBuf;
use std::process::ExitCode;

/// `masspoc prove`.
#[derive(clap::Args)]
pub struct Args {
    /// The plot file.
    plot: PathBuf,
    /// The challenge, 64 hex digits.
    #[arg(long, value_name = "HEX")]
    challenge: String,
    #[command(flatten)]
    bits: crate::bits_arg::ChallengeBits,
    /// Print `{"proofs": [...]}`.
    #[arg(long)]
    json: bool,
}

/// A proof with its quality hash (hex) and score.
#[derive(Serialize)]
pub struct ProofOut {
    /// The proof's fields.
    #[serde(flatten)]
    pub proof: ProofJson,
    /// The quality hash, hex.
    pub quality: String,
    /// The score (lower wins), an integer.
    pub score: u128,
}

impl From<&FoundProof> for ProofOut {
    fn from(f: &FoundProof) -> Self {
        ProofOut {
            proof: ProofJson::from(&f.proof),
            quality: hex::encode(f.quality.0),
            score: f.score.0,
        }
    }
}

impl Args {
    /// Runs the command.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let challenge = Challenge::from_hex(&self.challenge).context("--challenge")?;
        let reader = PlotReader::open(&self.plot)?;
        let found = match reader.prove(&challenge, self.bits.filter_bits, self.bits.probe_bits) {
            Ok(f) => f,
            Err(e @ ReadError::Parameter(_)) => return Err(e.into()),
            Err(e) => {
                eprintln!("damaged plot: {:#}", anyhow::Error::from(e));
                return Ok(ExitCode::from(1));
            }
        };
        let out: Vec<ProofOut> = found.iter().map(ProofOut::from).collect();
        if self.json {
            // A struct, not `json!`: scores are u128, which `serde_json::Value` cannot hold.
            #[derive(Serialize)]
            struct Proofs<'a> {
                proofs: &'a [ProofOut],
            }
            print_json(&Proofs { proofs: &out })?;
        } else if out.is_empty() {
            println!("no proof for this challenge");
        } else {
            for p in &out {
                println!(
                    "x={} x'={} quality={} score={}\n  {}",
                    p.proof.x, p.proof.x_prime, p.quality, p.score, p.proof.encoded
                );
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}
