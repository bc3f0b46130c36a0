//! `masspoc farm status [--json] [--status URL | --config FILE]`: each harvester of a running
//! farmer — connected, plots, space, lookups, latency p50/p99, errors — from its `/status.json`
//! (`docs/harvesters.md`, "Watching harvesters").

use super::source::{bytes, latency, table, StatusSource};
use masspoc_farmer::status::model::{FarmStatus, HarvesterView};
use serde::Serialize;
use std::fmt::Write as _;
use std::process::ExitCode;

/// `masspoc farm status`.
#[derive(clap::Args)]
pub struct StatusArgs {
    #[command(flatten)]
    source: StatusSource,
    /// Print JSON: `{farmer_pk, local, remote, lookup_budget_ms, harvesters: [...]}`.
    #[arg(long)]
    json: bool,
}

/// What `--json` prints: the harvester part of the farmer's status.
#[derive(Serialize)]
struct FarmView<'a> {
    farmer_pk: &'a str,
    lookup_budget_ms: u64,
    local: masspoc_farmer::status::model::Space,
    remote: masspoc_farmer::status::model::Space,
    harvesters: &'a [HarvesterView],
}

impl StatusArgs {
    /// Runs the command.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let s = self.source.read()?;
        if self.json {
            crate::output::print_json(&FarmView {
                farmer_pk: &s.farmer_pk,
                lookup_budget_ms: s.lookup_budget_ms,
                local: s.local,
                remote: s.remote,
                harvesters: &s.harvesters,
            })?;
        } else {
            print!("{}", render(&s));
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// The human view: totals, then one row per harvester.
fn render(s: &FarmStatus) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "Farmer {}", s.farmer_pk);
    let _ = writeln!(
        o,
        "Local plots: {} ({}); harvester plots: {} ({}) on {} of {} harvester(s) connected",
        s.local.plots,
        bytes(s.local.bytes),
        s.remote.plots,
        bytes(s.remote.bytes),
        s.harvesters.iter().filter(|h| h.connected).count(),
        s.harvesters.len()
    );
    if s.harvesters.is_empty() {
        let _ = writeln!(
            o,
            "No harvesters configured (`harvesters` in the farmer config)."
        );
        return o;
    }
    let mut rows = vec![[
        "harvester",
        "state",
        "plots",
        "space",
        "lookups",
        "proofs",
        "p50",
        "p99",
        "errors",
        "invalid",
        "timeouts",
    ]
    .map(String::from)
    .to_vec()];
    for h in &s.harvesters {
        rows.push(vec![
            h.id.clone(),
            if h.connected {
                "connected".into()
            } else {
                "NOT CONNECTED".into()
            },
            h.plots.to_string(),
            bytes(h.bytes),
            h.lookups.to_string(),
            h.proofs.to_string(),
            latency(h.p50_us),
            latency(h.p99_us),
            h.errors.to_string(),
            h.invalid.to_string(),
            h.timeouts.to_string(),
        ]);
    }
    o.push_str(&table(&rows));
    let _ = writeln!(
        o,
        "(lookup budget {} ms; latency over the farmer's recent lookups)",
        s.lookup_budget_ms
    );
    o
}
