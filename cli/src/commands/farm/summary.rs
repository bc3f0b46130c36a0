//! `masspoc farm summary [--json] [--status URL | --config FILE]`: a running farmer's status
//! (its `GET /status.json`, `docs/farming.md` "Status page") as a table, or as the JSON itself.

use super::source::{bytes, latency, table, StatusSource};
use masspoc_farmer::status::model::FarmStatus;
use std::fmt::Write as _;
use std::process::ExitCode;

/// `masspoc farm summary`.
#[derive(clap::Args)]
pub struct SummaryArgs {
    #[command(flatten)]
    source: StatusSource,
    /// Print the farmer's status JSON as it answered it.
    #[arg(long)]
    json: bool,
}

impl SummaryArgs {
    /// Runs the command.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let status = self.source.read()?;
        if self.json {
            crate::output::print_json(&status)?;
        } else {
            print!("{}", render(&status));
        }
        Ok(ExitCode::SUCCESS)
    }
}

fn duration(ms: u64) -> String {
    let s = ms / 1000;
    match s {
        0..=119 => format!("{:.1} s", ms as f64 / 1000.0),
        120..=7199 => format!("{:.1} min", s as f64 / 60.0),
        7200..=172_799 => format!("{:.1} h", s as f64 / 3600.0),
        _ => format!("{:.1} d", s as f64 / 86400.0),
    }
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(|| "-".into(), |v| v.to_string())
}

/// The human summary.
fn render(s: &FarmStatus) -> String {
    let mut o = String::new();
    let window = if s.window_ms >= masspoc_farmer::status::DAY_MS {
        "24 h".to_string()
    } else {
        format!("{} (since start)", duration(s.window_ms))
    };
    let _ = writeln!(
        o,
        "Farmer {} (up {})",
        s.farmer_pk,
        duration(s.now_ms.saturating_sub(s.started_ms))
    );
    let _ = writeln!(
        o,
        "Local plots:     {} ({})",
        s.local.plots,
        bytes(s.local.bytes)
    );
    for d in &s.disks {
        let _ = writeln!(
            o,
            "  {}: {} plots, {}{}{}",
            d.path,
            d.plots,
            bytes(d.bytes),
            if d.available { "" } else { ", UNAVAILABLE" },
            if d.skipped.is_empty() {
                String::new()
            } else {
                format!(", {} skipped", d.skipped.len())
            }
        );
    }
    let _ = writeln!(
        o,
        "Harvester plots: {} ({})",
        s.remote.plots,
        bytes(s.remote.bytes)
    );
    for h in &s.harvesters {
        let _ = writeln!(
            o,
            "  {}: {}, {} plots, {}, p50 {} / p99 {}, {} errors",
            h.id,
            if h.connected {
                "connected"
            } else {
                "NOT CONNECTED"
            },
            h.plots,
            bytes(h.bytes),
            latency(h.p50_us),
            latency(h.p99_us),
            h.errors
        );
    }
    let _ = writeln!(o, "\nChains (counts over the last {window}):");
    let head = [
        "chain",
        "node",
        "height",
        "difficulty",
        "share",
        "expected win",
        "proofs",
        "signed",
        "accepted",
        "over budget",
        "last error",
    ];
    let mut rows: Vec<Vec<String>> = vec![head.iter().map(|h| h.to_string()).collect()];
    for c in &s.chains {
        rows.push(vec![
            c.label.clone(),
            if c.reachable {
                "up".into()
            } else {
                "DOWN".into()
            },
            opt(c.height),
            opt(c.difficulty),
            c.share_ppm
                .map_or("-".into(), |p| format!("{:.2}%", p as f64 / 10_000.0)),
            c.expected_win_ms.map_or("-".into(), duration),
            c.proofs_24h.to_string(),
            c.signed_24h.to_string(),
            c.accepted_24h.to_string(),
            c.over_budget_24h.to_string(),
            c.last_error
                .as_ref()
                .map_or("-".into(), |e| e.message.clone()),
        ]);
    }
    o.push_str(&table(&rows));
    if s.alerts.is_empty() {
        let _ = writeln!(o, "\nAlerts: none");
    } else {
        let _ = writeln!(o, "\nAlerts:");
        for a in &s.alerts {
            let _ = writeln!(o, "  {} {}: {} — {}", a.kind, a.subject, a.what, a.todo);
        }
    }
    o
}
