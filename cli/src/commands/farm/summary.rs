//! `masspoc farm summary [--json] [--status URL | --config FILE]`: a running farmer's status
//! (its `GET /status.json`, `docs/farming.md` "Status page") as a table, or as the JSON itself.

use anyhow::Context;
use masspoc_farmer::config::FarmerConfig;
use masspoc_farmer::status::model::FarmStatus;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Where the status comes from when neither `--status` nor `--config` says.
pub const DEFAULT_STATUS_URL: &str = "http://127.0.0.1:8750";

/// `masspoc farm summary`.
#[derive(clap::Args)]
pub struct SummaryArgs {
    /// The farmer's status address (its `status_listen`), e.g. http://127.0.0.1:8750.
    #[arg(long, value_name = "URL", conflicts_with = "config")]
    status: Option<String>,
    /// Read the status address (`status_listen`) from this farmer config.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Print the farmer's status JSON as it answered it.
    #[arg(long)]
    json: bool,
}

impl SummaryArgs {
    /// Runs the command.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let base = match (&self.status, &self.config) {
            (Some(url), _) => url.trim_end_matches('/').to_string(),
            (None, Some(path)) => {
                let c = FarmerConfig::load(path)?;
                let addr = c.status_listen.with_context(|| {
                    format!(
                        "{} sets no status_listen: the farmer serves no status",
                        path.display()
                    )
                })?;
                format!("http://{addr}")
            }
            (None, None) => DEFAULT_STATUS_URL.to_string(),
        };
        let url = format!("{base}/status.json");
        let text = fetch(&url)?;
        let status: FarmStatus = serde_json::from_str(&text)
            .with_context(|| format!("{url} did not answer a farmer's status JSON"))?;
        if self.json {
            crate::output::print_json(&status)?;
        } else {
            print!("{}", render(&status));
        }
        Ok(ExitCode::SUCCESS)
    }
}

fn fetch(url: &str) -> anyhow::Result<String> {
    let agent = ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(10)))
            .build(),
    );
    let mut resp = agent
        .get(url)
        .call()
        .with_context(|| format!("cannot reach the farmer's status at {url} (is `status_listen` set and the farmer running?)"))?;
    let status = resp.status().as_u16();
    let text = resp
        .body_mut()
        .with_config()
        .limit(64 << 20)
        .read_to_string()
        .with_context(|| format!("reading {url}"))?;
    anyhow::ensure!(status == 200, "GET {url}: HTTP {status}");
    Ok(text)
}

/// Bytes in binary units.
fn bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut v = n as f64;
    let mut i = 0;
    while v >= 1024.0 && i + 1 < UNITS.len() {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[i])
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
            h.p50_us
                .map_or("-".into(), |v| format!("{:.2} ms", v as f64 / 1000.0)),
            h.p99_us
                .map_or("-".into(), |v| format!("{:.2} ms", v as f64 / 1000.0)),
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
    let widths: Vec<usize> = (0..head.len())
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    for r in &rows {
        let line: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        let _ = writeln!(o, "  {}", line.join("  ").trim_end());
    }
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
