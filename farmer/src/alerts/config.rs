//! The `[alerts]` table of `farmer.toml`.

use serde::Deserialize;

/// How alerts are delivered (a `warn` log line is always written).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertsConfig {
    /// `http://…` URL that gets each alert as a JSON POST.
    #[serde(default)]
    pub webhook: Option<String>,
    /// A program and its arguments, run with each alert's JSON on its standard input (and
    /// `MASSPOC_ALERT_KIND`, `MASSPOC_ALERT_SUBJECT` in its environment).
    #[serde(default)]
    pub command: Option<Vec<String>>,
    /// At most one delivery per alert kind in this many seconds (default 300).
    #[serde(default = "default_min_interval")]
    pub min_interval_secs: u64,
    /// A chain without an accepted block for this many expected wins raises `no_wins`
    /// (default 5).
    #[serde(default = "default_missed_wins")]
    pub missed_wins: u64,
}

fn default_min_interval() -> u64 {
    300
}

fn default_missed_wins() -> u64 {
    5
}

impl Default for AlertsConfig {
    fn default() -> Self {
        AlertsConfig {
            webhook: None,
            command: None,
            min_interval_secs: default_min_interval(),
            missed_wins: default_missed_wins(),
        }
    }
}

impl AlertsConfig {
    /// Checks the values; the message says what is wrong.
    pub fn validate(&self) -> Result<(), String> {
        self.delivery().validate("alerts")?;
        if self.missed_wins == 0 {
            return Err("alerts.missed_wins must be at least 1".into());
        }
        Ok(())
    }

    /// Where alerts go besides the log line.
    #[must_use]
    pub fn delivery(&self) -> masspoc_alert::Delivery {
        masspoc_alert::Delivery {
            webhook: self.webhook.clone(),
            command: self.command.clone(),
            command_timeout: masspoc_alert::COMMAND_TIMEOUT,
        }
    }

    /// Whether anything besides the log line gets alerts.
    #[must_use]
    pub fn delivers(&self) -> bool {
        self.delivery().delivers()
    }

    /// The rate limit per kind, ms.
    #[must_use]
    pub fn min_interval_ms(&self) -> u64 {
        self.min_interval_secs.saturating_mul(1000)
    }
}
