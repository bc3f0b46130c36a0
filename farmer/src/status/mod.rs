//! The farm's status: what `GET /status.json` and `GET /history.json` on `status_listen` answer,
//! the page at `GET /`, and `masspoc farm summary`. `docs/farming.md` ("Status page") documents
//! the JSON.
//!
//! [`Status`] holds references to the live farm (metrics, plot set, harvesters) and what its
//! sampler keeps: every interval it closes one history point (round latency p50/p99, each
//! chain's proofs, signed and accepted headers of the interval), asks each chain's node for the
//! chain's height and difficulty, and hands the conditions it sees to the alerts
//! ([`crate::alerts`]). A snapshot is built on request from all of it.

pub mod history;
pub mod http;
pub mod model;
mod snapshot;
pub mod space;

use crate::bridge_client::BridgeClient;
use crate::config::ChainSelector;
use crate::metrics::{ChainMetrics, Metrics};
use crate::plots::PlotSet;
use crate::remote::Harvesters;
use history::{ChainCounts, HistoryRing, HISTORY_POINTS};
use masspoc_api::ChainInfo;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Plots listed per disk in `status.json` (all are counted).
pub const MAX_PLOTS_LISTED: usize = 500;
/// Default time between two history points.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(10);
/// How far back the `*_24h` counts reach.
pub const DAY_MS: u64 = 24 * 3600 * 1000;

/// Milliseconds since the Unix epoch.
#[must_use]
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One farmed chain as the status sees it.
pub struct ChainSource {
    /// Its label (as in the config).
    pub label: String,
    /// How the config names it.
    pub selector: ChainSelector,
    /// A client of its chain nodes, for the sampler's own requests.
    pub client: BridgeClient,
    /// Its counters (shared with its chain task).
    pub metrics: Arc<ChainMetrics>,
}

/// What the sampler last heard from a chain's node.
#[derive(Debug, Clone, Default)]
pub(crate) struct Seen {
    pub info: Option<ChainInfo>,
    pub reachable: bool,
    /// Since when its node does not answer (the first failed sample of a run of them).
    pub failing_since_ms: Option<u64>,
    /// Evidence the node holds against this farmer's key: (height, evidence id), if any.
    pub own_evidence: Option<(u64, String)>,
    /// When it last accepted a block of this farmer (or when the farmer started).
    pub last_win_ms: u64,
    /// Its accepted counter at that time.
    pub accepted_at_last_win: u64,
}

/// The live farm and the status history.
pub struct Status {
    started_ms: u64,
    farmer_pk: String,
    interval: Duration,
    budget: Duration,
    metrics: Arc<Metrics>,
    plots: Arc<PlotSet>,
    harvesters: Option<Arc<Harvesters>>,
    chains: Vec<ChainSource>,
    history: Mutex<HistoryRing>,
    seen: Mutex<Vec<Seen>>,
    /// Each chain's counters at the last sample: proofs, signed, accepted, over budget.
    last_totals: Mutex<Vec<[u64; 4]>>,
    alerts: Arc<crate::alerts::Alerts>,
    /// Conditions the plot scans reported since the last sample.
    scan_events: Mutex<Vec<crate::alerts::Condition>>,
}

/// What [`Status::new`] needs.
pub struct StatusParts {
    /// The farmer public key (hex).
    pub farmer_pk: String,
    /// Time between two history points.
    pub interval: Duration,
    /// The lookup budget.
    pub budget: Duration,
    /// The farm's metrics.
    pub metrics: Arc<Metrics>,
    /// The plot set.
    pub plots: Arc<PlotSet>,
    /// The harvesters, if any.
    pub harvesters: Option<Arc<Harvesters>>,
    /// The farmed chains.
    pub chains: Vec<ChainSource>,
    /// Where conditions go.
    pub alerts: Arc<crate::alerts::Alerts>,
}

impl Status {
    /// The status of a farm, with an empty history.
    #[must_use]
    pub fn new(p: StatusParts) -> Arc<Self> {
        let interval = p.interval.max(Duration::from_millis(100));
        let labels = p.chains.iter().map(|c| c.label.clone()).collect();
        let n = p.chains.len();
        Arc::new(Status {
            started_ms: now_ms(),
            farmer_pk: p.farmer_pk,
            interval,
            budget: p.budget,
            metrics: p.metrics,
            plots: p.plots,
            harvesters: p.harvesters,
            history: Mutex::new(HistoryRing::new(
                u64::try_from(interval.as_millis()).unwrap_or(u64::MAX),
                labels,
                HISTORY_POINTS,
            )),
            seen: Mutex::new(vec![
                Seen {
                    last_win_ms: now_ms(),
                    ..Seen::default()
                };
                n
            ]),
            scan_events: Mutex::new(Vec::new()),
            last_totals: Mutex::new(vec![[0; 4]; n]),
            chains: p.chains,
            alerts: p.alerts,
        })
    }

    /// The columns of the history points later than `after_ms`.
    #[must_use]
    pub fn history(&self, after_ms: u64) -> model::History {
        lock(&self.history).columns(after_ms)
    }

    /// Samples every interval until the task is dropped (the first sample at once).
    pub async fn run_sampler(self: Arc<Self>) {
        let mut tick = tokio::time::interval(self.interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            self.sample().await;
        }
    }

    /// Closes one history point, refreshes what each chain's node says, and evaluates alerts.
    pub async fn sample(&self) {
        let now = now_ms();
        let latency = history::p50_p99(self.metrics.round_latency.take_recent_us());
        let counts: Vec<ChainCounts> = {
            let mut last = lock(&self.last_totals);
            self.chains
                .iter()
                .zip(last.iter_mut())
                .map(|(c, prev)| {
                    let m = &c.metrics;
                    let now = [
                        m.proofs.load(Relaxed),
                        m.signed.load(Relaxed),
                        m.submissions_accepted.load(Relaxed),
                        m.rounds_over_budget.load(Relaxed),
                    ];
                    let d = |i: usize| {
                        u32::try_from(now[i].saturating_sub(prev[i])).unwrap_or(u32::MAX)
                    };
                    let out = ChainCounts {
                        proofs: d(0),
                        signed: d(1),
                        accepted: d(2),
                        over_budget: d(3),
                    };
                    *prev = now;
                    out
                })
                .collect()
        };
        lock(&self.history).push(now, latency, &counts);
        for (i, c) in self.chains.iter().enumerate() {
            let reply = tokio::time::timeout(Duration::from_secs(5), c.client.chains()).await;
            let found = match reply {
                Ok(Ok(list)) => Ok(list.into_iter().find(|x| match &c.selector {
                    ChainSelector::Id(id) => x.chain_id == *id,
                    ChainSelector::Name(n) => &x.name == n,
                })),
                Ok(Err(e)) => Err(masspoc_report::Report(&e).to_string()),
                Err(_) => Err("no answer within 5 s".to_string()),
            };
            let own = if found.is_ok() {
                self.own_evidence(&c.client).await
            } else {
                None
            };
            let mut seen = lock(&self.seen);
            let s = &mut seen[i];
            let accepted = c.metrics.submissions_accepted.load(Relaxed);
            if accepted != s.accepted_at_last_win {
                s.accepted_at_last_win = accepted;
                s.last_win_ms = now;
            }
            match found {
                Ok(info) => {
                    s.own_evidence = own;
                    s.reachable = true;
                    s.failing_since_ms = None;
                    if info.is_some() {
                        s.info = info;
                    }
                }
                Err(_) => {
                    s.reachable = false;
                    s.failing_since_ms.get_or_insert(now);
                }
            }
        }
        let conditions = self.conditions(now, &counts);
        self.alerts.observe(now, conditions).await;
    }

    /// The evidence a chain node holds against this farmer's key, if any (a failed request
    /// counts as none: the node's reachability is judged by `GET /v1/chains`).
    async fn own_evidence(&self, client: &BridgeClient) -> Option<(u64, String)> {
        let rows = tokio::time::timeout(Duration::from_secs(5), client.evidence())
            .await
            .ok()?
            .ok()?;
        rows.iter().find_map(|row| {
            let e = masspoc_verifier::Evidence::decode(row.evidence.as_slice()).ok()?;
            let (a, _) = e.headers();
            (hex::encode(a.proof.farmer_pk.0) == self.farmer_pk)
                .then(|| (a.height.0, row.hash.to_string()))
        })
    }

    /// Notes what a plot scan changed for the alerts of the next sample.
    pub fn on_scan(&self, report: &crate::plots::ScanReport) {
        lock(&self.scan_events).extend(snapshot::scan_conditions(report));
    }
}
