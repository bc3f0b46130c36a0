//! Building `status.json` from the live farm, and the alert conditions of one sample.

use super::model::{
    ChainStatus, ChainTotals, DiskStatus, FarmStatus, LastError, PlotState, PlotStatus,
    SkippedFile, Space,
};
use super::{lock, space, Status, DAY_MS, MAX_PLOTS_LISTED};
use crate::alerts::{AlertKind, Condition};
use crate::plots::ScanReport;
use crate::status::history::ChainCounts;
use std::sync::atomic::Ordering::Relaxed;

impl Status {
    /// The farm now.
    #[must_use]
    pub fn snapshot(&self) -> FarmStatus {
        let now = super::now_ms();
        let plots = self.plots.snapshot();
        let mut local = Space::default();
        let mut disks: Vec<DiskStatus> = self
            .plots
            .dirs()
            .iter()
            .map(|d| DiskStatus {
                path: d.path.display().to_string(),
                available: d.is_available(),
                plots: 0,
                bytes: 0,
                stalled_lookups: d.stalled_lookups.load(Relaxed) as u64,
                skipped: d
                    .skipped()
                    .into_iter()
                    .map(|(p, reason)| SkippedFile {
                        path: p.display().to_string(),
                        reason,
                    })
                    .collect(),
                plot_list: Vec::new(),
            })
            .collect();
        for e in plots.iter() {
            let w = u128::from(masspoc_proof::weight(e.info.k));
            local.plots += 1;
            local.bytes += e.file_len();
            local.weight += w;
            let Some(d) = disks.get_mut(e.dir_index) else {
                continue;
            };
            d.plots += 1;
            d.bytes += e.file_len();
            if d.plot_list.len() < MAX_PLOTS_LISTED {
                let state = if e.plot.is_broken() {
                    PlotState::Broken
                } else if e.stalled.load(Relaxed) {
                    PlotState::Stalled
                } else {
                    PlotState::Ok
                };
                d.plot_list.push(PlotStatus {
                    path: e.path.display().to_string(),
                    k: e.info.k.get(),
                    bytes: e.file_len(),
                    state,
                });
            }
        }
        let harvesters = self
            .harvesters
            .as_ref()
            .map(|h| h.views())
            .unwrap_or_default();
        let mut remote = Space::default();
        for h in harvesters.iter().filter(|h| h.connected) {
            remote.plots += h.plots;
            remote.bytes += h.bytes;
            remote.weight += space::weight_of_bytes(h.bytes);
        }
        let ours = local.weight + remote.weight;
        let (sums, oldest) = {
            let h = lock(&self.history);
            (h.sums_since(now.saturating_sub(DAY_MS)), h.oldest_ms())
        };
        let window_ms = oldest.map_or(0, |o| {
            now.saturating_sub(o)
                .saturating_add(self.interval.as_millis() as u64)
                .min(DAY_MS)
        });
        let seen = lock(&self.seen).clone();
        let chains = self
            .chains
            .iter()
            .zip(seen)
            .zip(sums)
            .map(|((c, s), sum)| {
                let m = &c.metrics;
                let info = s.info.as_ref();
                let network = info.map(|i| {
                    space::network_weight(
                        i.difficulty,
                        i.target_interval_ms,
                        i.filter_bits.get(),
                        i.probe_bits.get(),
                    )
                });
                ChainStatus {
                    label: c.label.clone(),
                    chain_id: info.map(|i| i.chain_id.to_string()),
                    reachable: s.reachable,
                    height: info.map(|i| i.height.0),
                    difficulty: info.map(|i| i.difficulty),
                    target_interval_ms: info.map(|i| i.target_interval_ms),
                    network_weight: network,
                    share_ppm: network.and_then(|n| space::share_ppm(ours, n)),
                    expected_win_ms: info
                        .zip(network)
                        .and_then(|(i, n)| space::expected_win_ms(ours, n, i.target_interval_ms)),
                    proofs_24h: sum[0],
                    signed_24h: sum[1],
                    accepted_24h: sum[2],
                    over_budget_24h: sum[3],
                    totals: ChainTotals {
                        rounds: m.rounds.load(Relaxed),
                        proofs: m.proofs.load(Relaxed),
                        signed: m.signed.load(Relaxed),
                        accepted: m.submissions_accepted.load(Relaxed),
                        rejected: m.submissions_rejected.load(Relaxed),
                        over_budget: m.rounds_over_budget.load(Relaxed),
                    },
                    last_error: lock(&m.last_error)
                        .clone()
                        .map(|(at_ms, message)| LastError { at_ms, message }),
                }
            })
            .collect();
        FarmStatus {
            now_ms: now,
            started_ms: self.started_ms,
            farmer_pk: self.farmer_pk.clone(),
            interval_ms: self.interval.as_millis() as u64,
            window_ms,
            lookup_budget_ms: self.budget.as_millis() as u64,
            local,
            remote,
            disks,
            harvesters,
            chains,
            alerts: self.alerts.active(),
        }
    }

    /// Every alert condition at this sample.
    pub(crate) fn conditions(&self, now: u64, counts: &[ChainCounts]) -> Vec<Condition> {
        let mut out = std::mem::take(&mut *lock(&self.scan_events));
        for d in self.plots.dirs().iter().filter(|d| !d.is_available()) {
            out.push(Condition {
                kind: AlertKind::DiskUnavailable,
                subject: d.path.display().to_string(),
                what: "the plot directory cannot be listed; its plots are not farmed".into(),
                todo: "check that the disk is mounted and readable (dmesg, mount); plots return at the next rescan".into(),
            });
        }
        for d in self.plots.dirs().iter() {
            for (path, reason) in d.skipped() {
                out.push(plot_skipped(&path, &reason));
            }
        }
        let status = self.snapshot();
        let missed_wins = self.alerts.config().missed_wins;
        let seen = lock(&self.seen).clone();
        for ((c, s), (st, n)) in self
            .chains
            .iter()
            .zip(seen)
            .zip(status.chains.iter().zip(counts))
        {
            if n.over_budget > 0 {
                out.push(Condition {
                    kind: AlertKind::OverBudget,
                    subject: c.label.clone(),
                    what: format!("{} round(s) overran the lookup budget of {} ms", n.over_budget, status.lookup_budget_ms),
                    todo: "look for a slow or failing disk (the log names stalled plots), or raise lookup_budget_ms".into(),
                });
            }
            if let Some(since) = s.failing_since_ms.filter(|&t| t < now) {
                out.push(Condition {
                    kind: AlertKind::NodeUnreachable,
                    subject: c.label.clone(),
                    what: format!("the chain node ({}) has not answered for {} s", c.client.base(), now.saturating_sub(since) / 1000),
                    todo: "check that the chain node runs and that the farmer can reach it; the farmer keeps retrying".into(),
                });
            }
            if let Some(expected) = st.expected_win_ms.filter(|&e| e > 0) {
                let quiet = now.saturating_sub(s.last_win_ms);
                if quiet / expected >= missed_wins {
                    out.push(Condition {
                        kind: AlertKind::NoWins,
                        subject: c.label.clone(),
                        what: format!("no block accepted for {} s, {} expected wins", quiet / 1000, quiet / expected),
                        todo: "check the log for refused headers and lookup errors, and that the plots pass `masspoc check`".into(),
                    });
                }
            }
            if let Some((height, id)) = &s.own_evidence {
                out.push(Condition {
                    kind: AlertKind::OwnEvidence,
                    subject: c.label.clone(),
                    what: format!("the chain node holds slashing evidence {id} against this farmer's key at height {height}"),
                    todo: "stop every other farmer using this key now (one key, one farmer; docs/operations.md, Keys)".into(),
                });
            }
        }
        for h in status.harvesters.iter().filter(|h| !h.connected) {
            out.push(Condition {
                kind: AlertKind::HarvesterUnreachable,
                subject: h.id.clone(),
                what: "the harvester is not connected; its plots are not farmed".into(),
                todo: "check that the harvester runs, lists this farmer's peer id and is reachable"
                    .into(),
            });
        }
        out
    }
}

/// A plot file the scans skip (bad header or checksum, truncated, another farmer's key…): a
/// condition at every sample while it is skipped, so its episode lasts until the file is
/// repaired or removed.
fn plot_skipped(path: &std::path::Path, reason: &str) -> Condition {
    Condition {
        kind: AlertKind::PlotBad,
        subject: path.display().to_string(),
        what: format!("the plot is not farmed: {reason}"),
        todo: "run `masspoc check --full` on it; re-plot it if it is damaged".into(),
    }
}

/// The alert conditions of one plot scan (events): plots that left the set, and plots that
/// failed while mapped. Plots the scan skips are conditions of every sample instead
/// ([`plot_skipped`]).
pub(crate) fn scan_conditions(r: &ScanReport) -> Vec<Condition> {
    let mut out = Vec::new();
    for p in &r.removed {
        out.push(Condition {
            kind: AlertKind::PlotMissing,
            subject: p.display().to_string(),
            what: "the plot left the plot set (file removed, renamed or unreadable)".into(),
            todo: "if it was not removed on purpose, check the disk and put the file back".into(),
        });
    }
    for p in &r.broken {
        out.push(Condition {
            kind: AlertKind::PlotBad,
            subject: p.display().to_string(),
            what: "the plot became unreadable while mapped (file shrank or disk failed)".into(),
            todo: "check the disk (dmesg, SMART) and run `masspoc check --full` on the plot".into(),
        });
    }
    for (p, reason) in &r.unavailable {
        out.push(Condition {
            kind: AlertKind::DiskUnavailable,
            subject: p.display().to_string(),
            what: format!("the plot directory cannot be listed: {reason}"),
            todo: "check that the disk is mounted and readable (dmesg, mount)".into(),
        });
    }
    out
}
