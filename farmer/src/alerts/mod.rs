//! Alerts: conditions that need a person (a plot gone or bad, lookups over budget, no win for
//! many expected wins, a chain node or harvester unreachable, evidence against this farmer's own
//! key), raised once per episode.
//!
//! The status sampler ([`crate::status::Status::sample`]) hands [`Alerts::observe`] every
//! condition it sees at each sample; episodes, the rate limit and delivery (webhook, command)
//! are `masspoc_alert`'s, shared with the chain node. `docs/farming.md` ("Alerts") lists the
//! kinds.

mod config;

pub use config::AlertsConfig;
pub use masspoc_alert::AlertMessage;

use crate::status::model::ActiveAlert;
use masspoc_alert::Episodes;

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

impl masspoc_alert::Kind for AlertKind {
    fn name(self) -> &'static str {
        AlertKind::name(self)
    }
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
pub type Condition = masspoc_alert::Condition<AlertKind>;

/// The alert state of one farmer.
pub struct Alerts {
    config: AlertsConfig,
    farmer_pk: String,
    episodes: Episodes<AlertKind>,
}

impl Alerts {
    /// Alerts delivered as `config` says, naming `farmer_pk` (hex) in each message.
    #[must_use]
    pub fn new(config: AlertsConfig, farmer_pk: String) -> Self {
        Alerts {
            episodes: Episodes::new(config.min_interval_ms()),
            config,
            farmer_pk,
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
        let delivery = self.config.delivery();
        let fresh = self
            .episodes
            .observe(now_ms, conditions, delivery.delivers());
        let out: Vec<AlertMessage> = fresh
            .iter()
            .map(|c| AlertMessage {
                farmer_pk: Some(self.farmer_pk.clone()),
                ..AlertMessage::new("masspoc-farmer-alert", c, now_ms)
            })
            .collect();
        for msg in &out {
            let (to, msg) = (delivery.clone(), msg.clone());
            // Webhook and command block (bounded in time): on the blocking pool, awaited so
            // that deliveries keep their order.
            if let Err(e) =
                tokio::task::spawn_blocking(move || masspoc_alert::deliver(&to, &msg)).await
            {
                tracing::warn!(error = %e, "alert delivery task failed");
            }
        }
        out
    }

    /// The alerts whose condition holds now.
    #[must_use]
    pub fn active(&self) -> Vec<ActiveAlert> {
        self.episodes
            .active()
            .into_iter()
            .map(|e| ActiveAlert {
                kind: e.condition.kind.name().to_string(),
                subject: e.condition.subject,
                what: e.condition.what,
                todo: e.condition.todo,
                since_ms: e.since_ms,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
