//! Where `masspoc farm summary` and `masspoc farm status` read a running farmer's status from:
//! `--status URL`, the `status_listen` of `--config FILE`, or the default address; and the read.

use anyhow::Context;
use masspoc_farmer::config::FarmerConfig;
use masspoc_farmer::status::model::FarmStatus;
use std::path::PathBuf;
use std::time::Duration;

/// Where the status comes from when neither `--status` nor `--config` says.
pub const DEFAULT_STATUS_URL: &str = "http://127.0.0.1:8750";

/// The farmer to ask.
#[derive(clap::Args)]
pub struct StatusSource {
    /// The farmer's status address (its `status_listen`), e.g. http://127.0.0.1:8750.
    #[arg(long, value_name = "URL", conflicts_with = "config")]
    status: Option<String>,
    /// Read the status address (`status_listen`) from this farmer config.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

impl StatusSource {
    /// The farmer's `GET /status.json`, parsed.
    pub fn read(&self) -> anyhow::Result<FarmStatus> {
        let url = format!("{}/status.json", self.base()?);
        let text = fetch(&url)?;
        serde_json::from_str(&text)
            .with_context(|| format!("{url} did not answer a farmer's status JSON"))
    }

    fn base(&self) -> anyhow::Result<String> {
        Ok(match (&self.status, &self.config) {
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
        })
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
pub fn bytes(n: u64) -> String {
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

/// A latency in µs as milliseconds, or `-` when there is none yet.
pub fn latency(us: Option<u64>) -> String {
    us.map_or("-".into(), |v| format!("{:.2} ms", v as f64 / 1000.0))
}

/// `rows` (the first is the heading) as left-aligned columns, each line indented by two spaces.
pub fn table(rows: &[Vec<String>]) -> String {
    let columns = rows.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..columns)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut o = String::new();
    for r in rows {
        let line: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        o.push_str("  ");
        o.push_str(line.join("  ").trim_end());
        o.push('\n');
    }
    o
}
