//! Delivering one alert: a JSON POST to the webhook, the JSON on a command's standard input.
//! Failures are logged and never stop the farm; each delivery is bounded in time (5 s for the
//! webhook, 10 s for the command, which is left running past that).

use super::{AlertsConfig, Condition};
use serde::Serialize;
use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::Duration;
use tracing::warn;

/// The JSON an alert is delivered as (`docs/farming.md`, "Alerts").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct AlertMessage {
    /// `"masspoc-farmer-alert"`.
    pub source: String,
    /// The kind (`plot_missing`, …).
    pub kind: String,
    /// Where.
    pub subject: String,
    /// What happened.
    pub what: String,
    /// What to do.
    pub todo: String,
    /// When the episode started, ms since the Unix epoch.
    pub at_ms: u64,
    /// The farmer public key (hex).
    pub farmer_pk: String,
}

impl AlertMessage {
    /// The message of a condition.
    #[must_use]
    pub fn new(c: &Condition, at_ms: u64, farmer_pk: &str) -> Self {
        AlertMessage {
            source: "masspoc-farmer-alert".into(),
            kind: c.kind.name().into(),
            subject: c.subject.clone(),
            what: c.what.clone(),
            todo: c.todo.clone(),
            at_ms,
            farmer_pk: farmer_pk.into(),
        }
    }
}

/// Sends `msg` to the webhook and the command of `config`.
pub(crate) async fn deliver(config: &AlertsConfig, msg: &AlertMessage) {
    let Ok(json) = serde_json::to_string(msg) else {
        return;
    };
    let (webhook, command) = (config.webhook.clone(), config.command.clone());
    let kind = msg.kind.clone();
    let subject = msg.subject.clone();
    let joined = tokio::task::spawn_blocking(move || {
        if let Some(url) = webhook {
            if let Err(e) = post(&url, &json) {
                warn!(url = %url, error = %e, "alert webhook failed");
            }
        }
        if let Some(argv) = command {
            if let Err(e) = run(&argv, &json, &kind, &subject) {
                warn!(command = ?argv, error = %e, "alert command failed");
            }
        }
    })
    .await;
    if let Err(e) = joined {
        warn!(error = %e, "alert delivery task failed");
    }
}

fn post(url: &str, json: &str) -> Result<(), String> {
    let agent = ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(5)))
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

fn run(argv: &[String], json: &str, kind: &str, subject: &str) -> Result<(), String> {
    let (program, args) = argv.split_first().ok_or("no program")?;
    let mut child = Command::new(program)
        .args(args)
        .env("MASSPOC_ALERT_KIND", kind)
        .env("MASSPOC_ALERT_SUBJECT", subject)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start {program:?}: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(json.as_bytes());
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => return Err(format!("{program:?} ended with {status}")),
            Ok(None) if std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Ok(None) => return Err(format!("{program:?} still runs after 10 s; left running")),
            Err(e) => return Err(e.to_string()),
        }
    }
}
