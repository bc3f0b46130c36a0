//! Alerts: conditions that need a person (a plot gone or bad, lookups over budget, no win for
//! many expected wins, a chain node or harvester unreachable, evidence against this farmer's own
//! key), raised once per episode.
//!
//! The status sampler ([`crate::status::Status::sample`]) hands [`Alerts::observe`] every
//! condition it sees at each sample, keyed by kind and subject. A key that was not there at the
//! previous sample starts an episode: a `warn` line is logged (always), and the alert goes to the
//! configured webhook (a JSON POST) and command (the JSON on its standard input), at most once per
//! kind per `min_interval_secs`. A key that is no longer there ends its episode (logged at
//! `info`); it raises again if it comes back. `docs/farming.md` ("Alerts") lists the kinds.

mod config;
mod deliver;

pub use config::AlertsConfig;
pub use deliver::AlertMessage;

use crate::status::lock;
use crate::status::model::ActiveAlert;
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use tracing::{info, warn};

/// The kinds of alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AlertKind {
    /// A plot left the set (its file was removed or its disk vanished).
    PlotMissing,
    /// A plot failed to open (bad checksum, truncated, bad header) or broke while mapped.
    PlotBad,
    /// A plot directory could not be listed.
    DiskUnavailable,
    /// Rounds overran the lookup budget.
    OverBudget,
    /// No block accepted for `missed_wins` expected wins.
    NoWins,
    /// The chain's node does not answer.
    NodeUnreachable,
    /// A paired harvester is not connected.
    HarvesterUnreachable,
    /// A chain node holds slashing evidence against this farmer's key.
    OwnEvidence,
}

impl AlertKind {
    /// Its name in JSON and logs.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            AlertKind::PlotMissing => "plot_missing",
            AlertKind::PlotBad => "plot_bad",
            AlertKind::DiskUnavailable => "disk_unavailable",
            AlertKind::OverBudget => "over_budget",
            AlertKind::NoWins => "no_wins",
            AlertKind::NodeUnreachable => "node_unreachable",
            AlertKind::HarvesterUnreachable => "harvester_unreachable",
            AlertKind::OwnEvidence => "own_evidence",
        }
    }
}

/// A condition seen at one sample.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// Its kind.
    pub kind: AlertKind,
    /// Where: a plot path, a directory, a chain label, a harvester id.
    pub subject: String,
    /// What happened.
    pub what: String,
    /// What to do about it.
    pub todo: String,
}

struct Episode {
    condition: Condition,
    since_ms: u64,
}

/// The alert state of one farmer.
pub struct Alerts {
    config: AlertsConfig,
    farmer_pk: String,
    open: Mutex<BTreeMap<(AlertKind, String), Episode>>,
    last_sent: Mutex<HashMap<AlertKind, u64>>,
}

impl Alerts {
    /// Alerts delivered as `config` says, naming `farmer_pk` (hex) in each message.
    #[must_use]
    pub fn new(config: AlertsConfig, farmer_pk: String) -> Self {
        Alerts {
            config,
            farmer_pk,
            open: Mutex::new(BTreeMap::new()),
            last_sent: Mutex::new(HashMap::new()),
        }
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &AlertsConfig {
        &self.config
    }

    /// Takes the conditions seen at `now_ms`: starts an episode for each new one (log, and
    /// delivery within the rate limit), ends the episodes of those no longer seen. Returns the
    /// messages delivered (to the webhook and command), for tests and logs.
    pub async fn observe(&self, now_ms: u64, conditions: Vec<Condition>) -> Vec<AlertMessage> {
        let mut fresh = Vec::new();
        {
            let mut open = lock(&self.open);
            let mut seen: BTreeMap<(AlertKind, String), Condition> = BTreeMap::new();
            for c in conditions {
                seen.entry((c.kind, c.subject.clone())).or_insert(c);
            }
            open.retain(|key, _| {
                let still = seen.contains_key(key);
                if !still {
                    info!(kind = key.0.name(), subject = %key.1, "alert cleared");
                }
                still
            });
            for (key, c) in seen {
                if open.contains_key(&key) {
                    continue;
                }
                warn!(kind = c.kind.name(), subject = %c.subject, what = %c.what, todo = %c.todo, "alert");
                open.insert(
                    key,
                    Episode {
                        condition: c.clone(),
                        since_ms: now_ms,
                    },
                );
                fresh.push(c);
            }
        }
        let mut out = Vec::new();
        for c in fresh {
            if !self.config.delivers() {
                continue;
            }
            let allowed = {
                let mut last = lock(&self.last_sent);
                let min = self.config.min_interval_ms();
                match last.get(&c.kind) {
                    Some(&t) if now_ms.saturating_sub(t) < min => false,
                    _ => {
                        last.insert(c.kind, now_ms);
                        true
                    }
                }
            };
            if !allowed {
                info!(kind = c.kind.name(), subject = %c.subject,
                    min_interval_secs = self.config.min_interval_secs, "alert not sent again so soon (rate limit)");
                continue;
            }
            let msg = AlertMessage::new(&c, now_ms, &self.farmer_pk);
            deliver::deliver(&self.config, &msg).await;
            out.push(msg);
        }
        out
    }

    /// The alerts whose condition holds now.
    #[must_use]
    pub fn active(&self) -> Vec<ActiveAlert> {
        lock(&self.open)
            .values()
            .map(|e| ActiveAlert {
                kind: e.condition.kind.name().to_string(),
                subject: e.condition.subject.clone(),
                what: e.condition.what.clone(),
                todo: e.condition.todo.clone(),
                since_ms: e.since_ms,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
