//! `masspoc verify --proof HEX --challenge HEX`: exit 0 for a valid proof, 1 with the reason.

use crate::output::print_json;
use anyhow::Context;
use masspoc_proof::{Challenge, Proof, ProofError};
use serde::Serialize;
use serde_json::json;
use std::process::ExitCode;

/// `masspoc verify`.
#[derive(clap::Args)]
pub struct Args {
    /// The proof's binary encoding in hex (81 bytes).
    #[arg(long, value_name = "HEX")]
    proof: String,
    /// The challenge, 64 hex digits.
    #[arg(long, value_name = "HEX")]
    challenge: String,
    #[command(flatten)]
    bits: crate::bits_arg::ChallengeBits,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// The JSON of a valid proof (a struct: the u128 score does not fit `serde_json::Value`).
#[derive(Serialize)]
struct Valid {
    valid: bool,
    plot_id: String,
    k: u8,
    z: u64,
    f: u64,
    x: u64,
    x_prime: u64,
    quality: String,
    score: u128,
}

/// A short machine-readable name for each reason.
fn reason_code(e: &ProofError) -> &'static str {
    match e {
        ProofError::BadEncoding(_) | ProofError::KOutOfRange(_) => "bad_encoding",
        ProofError::OutOfRange { .. } => "out_of_range",
        ProofError::WrongOrder => "wrong_order",
        ProofError::BadPair => "bad_pair",
        ProofError::Filter => "filter",
        ProofError::WrongIndex { .. } => "wrong_index",
        ProofError::ProbeBitsNotBelowK { .. } => "probe_bits_not_below_k",
        _ => "invalid",
    }
}

impl Args {
    /// Runs the command.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let challenge = Challenge::from_hex(&self.challenge).context("--challenge")?;
        let result = hex::decode(self.proof.trim())
            .map_err(|e| ProofError::BadEncoding(format!("proof is not hex: {e}")))
            .and_then(|b| Proof::decode(&b))
            .and_then(|p| {
                p.verify(&challenge, self.bits.filter_bits, self.bits.probe_bits)
                    .map(|v| (p, v))
            });
        match result {
            Ok((p, v)) => {
                if self.json {
                    print_json(&Valid {
                        valid: true,
                        plot_id: v.plot_id.to_hex(),
                        k: p.k.get(),
                        z: v.z,
                        f: v.f,
                        x: p.x,
                        x_prime: p.x_prime,
                        quality: hex::encode(v.quality.0),
                        score: v.score.0,
                    })?;
                } else {
                    println!(
                        "valid: plot {} z={} quality={} score={}",
                        v.plot_id,
                        v.z,
                        hex::encode(v.quality.0),
                        v.score.0
                    );
                }
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => {
                if self.json {
                    print_json(&json!({
                        "valid": false, "reason": reason_code(&e), "detail": e.to_string(),
                    }))?;
                } else {
                    println!("invalid: {e}");
                }
                Ok(ExitCode::from(1))
            }
        }
    }
}
