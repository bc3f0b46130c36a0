//! `masspoc confirmations --q Q [--max-risk P] [--json]`.

use crate::output::print_json;
use masspoc_node_bridge::confirmations::{catch_up_probability, depth_for_risk};
use serde::Serialize;
use std::process::ExitCode;

/// Attacker catch-up probability (Nakamoto 2008, section 11; DESIGN.md section 4).
#[derive(clap::Args)]
pub struct Args {
    /// The attacker's share of the hash rate, in [0, 1).
    #[arg(long)]
    q: f64,
    /// The accepted risk: also print the smallest depth z whose probability is below it.
    #[arg(long)]
    max_risk: Option<f64>,
    /// Print the table up to this depth (default: 10, or the depth needed if larger).
    #[arg(long)]
    up_to: Option<u64>,
    /// Print JSON: `table: [{z, p}]` and, with --max-risk, `depth` (null when unreachable).
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Row {
    z: u64,
    p: f64,
}

#[derive(Serialize)]
struct Report {
    q: f64,
    table: Vec<Row>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_risk: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    depth: Option<Option<u64>>,
}

impl Args {
    /// Runs the command.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        if !(0.0..1.0).contains(&self.q) {
            anyhow::bail!("--q must be in [0, 1), got {}", self.q);
        }
        if let Some(r) = self.max_risk {
            if !(r > 0.0 && r <= 1.0) {
                anyhow::bail!("--max-risk must be in (0, 1], got {r}");
            }
        }
        let depth = self.max_risk.map(|r| depth_for_risk(self.q, r));
        let up_to = self
            .up_to
            .unwrap_or_else(|| depth.flatten().unwrap_or(0).max(10))
            .min(100_000);
        let report = Report {
            q: self.q,
            table: (0..=up_to)
                .map(|z| Row {
                    z,
                    p: catch_up_probability(self.q, z),
                })
                .collect(),
            max_risk: self.max_risk,
            depth,
        };
        if self.json {
            print_json(&report)?;
            return Ok(ExitCode::SUCCESS);
        }
        println!("q = {}", self.q);
        println!("{:>6}  {:>12}", "z", "P");
        for row in &report.table {
            println!("{:>6}  {:>12.7}", row.z, row.p);
        }
        match (self.max_risk, depth) {
            (Some(r), Some(Some(z))) => {
                println!("depth for risk < {r}: z = {z} ({} confirmations)", z + 1)
            }
            (Some(r), Some(None)) => println!("no depth gives a risk below {r} at q = {}", self.q),
            _ => {}
        }
        Ok(ExitCode::SUCCESS)
    }
}
