//! `masspoc slashing verify EVIDENCE`.

use super::input;
use crate::output::print_json;
use clap::{Args, Subcommand};
use masspoc_verifier::evidence::{parse_evidence_text, EvidenceJson, EVIDENCE_LEN};
use masspoc_verifier::Evidence;
use serde_json::json;
use std::process::ExitCode;

/// Slashing commands.
#[derive(Subcommand)]
pub enum Command {
    /// Check evidence (file: binary, hex or JSON; or hex) with no other state.
    Verify(VerifyArgs),
}

/// Arguments of `slashing verify`.
#[derive(Args)]
pub struct VerifyArgs {
    /// The evidence.
    evidence: String,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

impl Command {
    /// Runs the command; exit 0 when the evidence is valid, 1 when not.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let Command::Verify(a) = self;
        let bytes = input::file_or_text(&a.evidence)?;
        let result = if bytes.len() == EVIDENCE_LEN && std::str::from_utf8(&bytes).is_err() {
            Evidence::decode(&bytes)
        } else {
            parse_evidence_text(&String::from_utf8_lossy(&bytes))
        };
        let valid = result.is_ok();
        if a.json {
            match &result {
                Ok(e) => print_json(&json!({"valid": true, "evidence": EvidenceJson::from(e)}))?,
                Err(e) => print_json(&json!({"valid": false, "message": e.to_string()}))?,
            }
        } else {
            match &result {
                Ok(e) => println!(
                    "valid evidence {}: farmer {} signed two headers at height {} of chain {}",
                    e.id(),
                    e.farmer(),
                    e.height(),
                    e.chain_id()
                ),
                Err(e) => println!("INVALID: {e}"),
            }
        }
        Ok(if valid {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        })
    }
}
