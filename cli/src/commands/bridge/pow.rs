//! `masspoc pow verify-header HEX [--json]`: checks one 80-byte header for auditors.

use crate::output::print_json;
use clap::Subcommand;
use masspoc_node_bridge::pow::{check_pow, BlockHeader};
use serde::Serialize;
use std::process::ExitCode;

/// Proof-of-work commands.
#[derive(Subcommand)]
pub enum Command {
    /// Checks an 80-byte Litecoin-format header: id (SHA-256d), scrypt PoW hash, target from
    /// `bits`; exit status 1 when the proof of work does not meet the target.
    VerifyHeader {
        /// The header, 160 hex digits (as `getblockheader HASH false` prints it).
        hex: String,
        /// Print JSON: `valid`, `id`, `pow_hash`, `target` (and `reason` when invalid).
        #[arg(long)]
        json: bool,
    },
}

#[derive(Serialize)]
struct Report {
    valid: bool,
    id: String,
    pow_hash: String,
    target: Option<String>,
    bits: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

impl Command {
    /// Runs the command.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let Command::VerifyHeader { hex, json } = self;
        let header = BlockHeader::from_hex(&hex)
            .map_err(|e| anyhow::anyhow!("cannot read the header: {e}"))?;
        let check = check_pow(&header);
        let report = Report {
            valid: check.verdict.is_ok(),
            id: check.id.to_string(),
            pow_hash: check.pow_hash.to_string(),
            target: check.target.map(|t| t.to_string()),
            bits: format!("{:08x}", header.bits),
            reason: check.verdict.as_ref().err().map(ToString::to_string),
        };
        if json {
            print_json(&report)?;
        } else {
            println!("valid:    {}", report.valid);
            println!("id:       {}", report.id);
            println!("pow_hash: {}", report.pow_hash);
            println!(
                "target:   {}",
                report.target.as_deref().unwrap_or("(bad bits)")
            );
            println!("bits:     {}", report.bits);
            if let Some(r) = &report.reason {
                println!("reason:   {r}");
            }
        }
        Ok(if report.valid {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        })
    }
}
