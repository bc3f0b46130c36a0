//! Delivering one alert: a JSON POST to the webhook, the JSON on a command's standard input.
//! Failures are logged and never stop the caller; each delivery is bounded in time: the webhook
//! has [`WEBHOOK_TIMEOUT`], and a command still running after its timeout is killed with its
//! whole process group and reaped (no zombie, no stray child holding the pipe).

use super::{Condition, Kind};
use serde::{Deserialize, Serialize};
use std::io::Write as _;
use std::os::unix::process::CommandExt as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tracing::warn;

/// How long a webhook may take to answer.
pub const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(5);
/// How long an alert command may run before it is killed.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(10);

/// Where alerts go besides the `warn` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// `http://…` URL that gets each alert as a JSON POST.
    pub webhook: Option<String>,
    /// A program and its arguments, run with each alert's JSON on its standard input (and
    /// `MASSPOC_ALERT_KIND`, `MASSPOC_ALERT_SUBJECT` in its environment).
    pub command: Option<Vec<String>>,
    /// How long the command may run before it is killed ([`COMMAND_TIMEOUT`] from configs).
    pub command_timeout: Duration,
}

impl Delivery {
    /// Checks the values; the message names the key (`table.webhook`, `table.command`).
    pub fn validate(&self, table: &str) -> Result<(), String> {
        if let Some(w) = &self.webhook {
            if !w.starts_with("http://") {
                return Err(format!("{table}.webhook must be an http:// URL, got {w:?}"));
            }
        }
        if self.command.as_ref().is_some_and(Vec::is_empty) {
            return Err(format!("{table}.command must name a program"));
        }
        Ok(())
    }

    /// Whether anything besides the log line gets alerts.
    #[must_use]
    pub fn delivers(&self) -> bool {
        self.webhook.is_some() || self.command.is_some()
    }
}

/// The JSON an alert is delivered as (`docs/farming.md`, "Alerts").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertMessage {
    /// `"masspoc-farmer-alert"` or `"masspoc-node-alert"`.
    pub source: String,
    /// The kind (`plot_missing`, `fee_budget_exhausted`, …).
    pub kind: String,
    /// Where.
    pub subject: String,
    /// What happened.
    pub what: String,
    /// What to do.
    pub todo: String,
    /// When the episode started, ms since the Unix epoch.
    pub at_ms: u64,
    /// The farmer public key (hex), in a farmer's alerts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub farmer_pk: Option<String>,
    /// The chain node (its API address), in a node's alerts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
}

impl AlertMessage {
    /// The message of a condition from `source`, naming neither farmer nor node yet.
    #[must_use]
    pub fn new<K: Kind>(source: &str, c: &Condition<K>, at_ms: u64) -> Self {
        AlertMessage {
            source: source.into(),
            kind: c.kind.name().into(),
            subject: c.subject.clone(),
            what: c.what.clone(),
            todo: c.todo.clone(),
            at_ms,
            farmer_pk: None,
            node: None,
        }
    }
}

/// Sends `msg` to the webhook and the command of `to`, blocking (call it from a blocking
/// thread); failures are logged.
pub fn deliver(to: &Delivery, msg: &AlertMessage) {
    let Ok(json) = serde_json::to_string(msg) else {
        return;
    };
    if let Some(url) = &to.webhook {
        if let Err(e) = post(url, &json) {
            warn!(url = %url, error = %e, "alert webhook failed");
        }
    }
    if let Some(argv) = &to.command {
        if let Err(e) = run(argv, &json, msg, to.command_timeout) {
            warn!(command = ?argv, error = %e, "alert command failed");
        }
    }
}

fn post(url: &str, json: &str) -> Result<(), String> {
    let agent = ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(WEBHOOK_TIMEOUT))
            .build(),
    );
    let resp = agent
        .post(url)
        .header("content-type", "application/json")
        .send(json)
        .map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    if (200..300).contains(&status) {
        Ok(())
    } else {
        Err(format!("answered HTTP {status}"))
    }
}

fn run(argv: &[String], json: &str, msg: &AlertMessage, timeout: Duration) -> Result<(), String> {
    let (program, args) = argv.split_first().ok_or("no program")?;
    let mut child = Command::new(program)
        .args(args)
        .env("MASSPOC_ALERT_KIND", &msg.kind)
        .env("MASSPOC_ALERT_SUBJECT", &msg.subject)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        // Its own process group, so that a timeout kills what it started too.
        .process_group(0)
        .spawn()
        .map_err(|e| format!("cannot start {program:?}: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        // The message is a few hundred bytes: it fits the pipe even if nobody reads it.
        let _ = stdin.write_all(json.as_bytes());
    }
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => return Err(format!("{program:?} ended with {status}")),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Ok(None) => {
                let pid = child.id() as libc::pid_t;
                // SAFETY: kill(2) on the process group of our own child, which is not reaped
                // yet (so its pid, the group id, is not reused).
                unsafe { libc::kill(-pid, libc::SIGKILL) };
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "{program:?} still ran after {} s; killed",
                    timeout.as_secs_f32()
                ));
            }
            Err(e) => return Err(e.to_string()),
        }
    }
}
