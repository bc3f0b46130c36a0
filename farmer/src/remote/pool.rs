//! The pool of paired harvesters: the link, one set of counters per harvester (connected, plots,
//! space, lookup latency, errors, invalid proofs, timeouts) and a status poller.

use masspoc_net::harvest::{
    self, HarvestClient, HarvestRequest, HarvestResponse, LookupReply, LookupRequest,
};
use masspoc_net::{Keypair, Multiaddr, NetError, PeerId};
use masspoc_proof::{Challenge, FarmerPublicKey, FilterBits, ProbeBits};
use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tracing::warn;

/// Proofs asked of each harvester per round (the best ones; the farmer signs one).
pub const MAX_PROOFS_PER_ROUND: u32 = 64;
/// How often each connected harvester is asked for its plot set.
pub const STATUS_INTERVAL: Duration = Duration::from_secs(5);
/// Lookup latencies kept per harvester for its p50 / p99.
pub const LATENCY_WINDOW: usize = 1024;
/// Rounds in a row a harvester may miss before rounds stop waiting for it (they still ask it;
/// its first answer makes them wait again).
pub const MISSES_BEFORE_SUSPECT: u64 = 2;

/// One harvester's counters.
#[derive(Debug)]
pub struct HarvesterStats {
    /// Its peer id.
    pub peer: PeerId,
    /// Lookups answered.
    pub lookups: AtomicU64,
    /// Proofs of its that were merged into rounds.
    pub proofs: AtomicU64,
    /// Failed requests and plot errors it reported.
    pub errors: AtomicU64,
    /// Answers refused because a proof failed the farmer's check (a lying or broken harvester).
    pub invalid: AtomicU64,
    /// Rounds that ended before its answer came.
    pub timeouts: AtomicU64,
    /// Rounds missed in a row.
    pub misses: AtomicU64,
    /// Plots and bytes, from its last status answer.
    pub plots: AtomicU64,
    /// Bytes of its plots, from its last status answer.
    pub bytes: AtomicU64,
    latencies_us: Mutex<VecDeque<u64>>,
}

impl HarvesterStats {
    fn new(peer: PeerId) -> Self {
        HarvesterStats {
            peer,
            lookups: AtomicU64::new(0),
            proofs: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            invalid: AtomicU64::new(0),
            timeouts: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            plots: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            latencies_us: Mutex::new(VecDeque::with_capacity(LATENCY_WINDOW)),
        }
    }

    fn observe(&self, d: Duration) {
        let mut l = self
            .latencies_us
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if l.len() == LATENCY_WINDOW {
            l.pop_front();
        }
        l.push_back(u64::try_from(d.as_micros()).unwrap_or(u64::MAX));
    }

    /// The p50 and p99 of its last [`LATENCY_WINDOW`] lookup latencies, µs.
    #[must_use]
    pub fn latency_p50_p99_us(&self) -> Option<(u64, u64)> {
        let mut v: Vec<u64> = self
            .latencies_us
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .copied()
            .collect();
        if v.is_empty() {
            return None;
        }
        v.sort_unstable();
        let at = |q: usize| v[((v.len() - 1) * q).div_ceil(100)];
        Some((at(50), at(99)))
    }
}

/// What the status shows of one harvester.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HarvesterView {
    /// Its peer id.
    pub id: String,
    /// Whether it is connected now.
    pub connected: bool,
    /// Plots it serves (last status).
    pub plots: u64,
    /// Their bytes (last status).
    pub bytes: u64,
    /// Lookups answered.
    pub lookups: u64,
    /// Proofs of its merged into rounds.
    pub proofs: u64,
    /// Lookup latency p50, µs.
    pub p50_us: Option<u64>,
    /// Lookup latency p99, µs.
    pub p99_us: Option<u64>,
    /// Errors (failed requests, plot errors it reported).
    pub errors: u64,
    /// Answers refused for an invalid proof.
    pub invalid: u64,
    /// Rounds that ended without its answer.
    pub timeouts: u64,
}

/// One metric series: name, type, help, value.
type Series = (
    &'static str,
    &'static str,
    &'static str,
    fn(&HarvesterView) -> u64,
);

/// The farmer's harvesters.
#[derive(Debug)]
pub struct Harvesters {
    client: HarvestClient,
    farmer_pk: FarmerPublicKey,
    stats: Vec<Arc<HarvesterStats>>,
}

/// One harvester's answer to a round.
pub(crate) struct Answer {
    pub stats: Arc<HarvesterStats>,
    pub reply: LookupReply,
}

impl Harvesters {
    /// Starts the link with key `key` to the harvesters at `addrs` (each ending in
    /// `/p2p/<peer id>`) on the current runtime, for the plots of `farmer_pk`.
    pub fn start(
        key: Keypair,
        addrs: &[Multiaddr],
        farmer_pk: FarmerPublicKey,
    ) -> Result<Arc<Self>, NetError> {
        let client = harvest::connect(key, addrs)?;
        let stats = client
            .harvesters()
            .iter()
            .map(|p| Arc::new(HarvesterStats::new(*p)))
            .collect();
        Ok(Arc::new(Harvesters {
            client,
            farmer_pk,
            stats,
        }))
    }

    /// The farmer's peer id on the link.
    #[must_use]
    pub fn peer_id(&self) -> PeerId {
        self.client.peer_id()
    }

    /// The counters of every harvester, in configuration order.
    #[must_use]
    pub fn stats(&self) -> &[Arc<HarvesterStats>] {
        &self.stats
    }

    /// Every harvester as the status shows it.
    #[must_use]
    pub fn views(&self) -> Vec<HarvesterView> {
        self.stats
            .iter()
            .map(|s| {
                let lat = s.latency_p50_p99_us();
                HarvesterView {
                    id: s.peer.to_string(),
                    connected: self.client.is_connected(&s.peer),
                    plots: s.plots.load(Relaxed),
                    bytes: s.bytes.load(Relaxed),
                    lookups: s.lookups.load(Relaxed),
                    proofs: s.proofs.load(Relaxed),
                    p50_us: lat.map(|l| l.0),
                    p99_us: lat.map(|l| l.1),
                    errors: s.errors.load(Relaxed),
                    invalid: s.invalid.load(Relaxed),
                    timeouts: s.timeouts.load(Relaxed),
                }
            })
            .collect()
    }

    /// Asks every connected harvester for `challenge` and collects the answers that come within
    /// `budget` (or until every harvester the round waits for has answered).
    pub(crate) async fn lookup(
        &self,
        challenge: Challenge,
        filter_bits: FilterBits,
        probe_bits: ProbeBits,
        budget: Duration,
    ) -> Vec<Answer> {
        let deadline = tokio::time::Instant::now() + budget;
        let request = LookupRequest {
            farmer_pk: self.farmer_pk,
            challenge,
            filter_bits: filter_bits.get(),
            probe_bits: probe_bits.get(),
            max_proofs: MAX_PROOFS_PER_ROUND,
            budget_ms: u32::try_from(budget.as_millis()).unwrap_or(u32::MAX),
        };
        let mut tasks = Vec::new();
        for s in &self.stats {
            if !self.client.is_connected(&s.peer) {
                continue;
            }
            let waited = s.misses.load(Relaxed) < MISSES_BEFORE_SUSPECT;
            let (client, st, req) = (
                self.client.clone(),
                Arc::clone(s),
                HarvestRequest::Lookup(request.clone()),
            );
            // The request runs on its own task: a late answer still clears the harvester's misses.
            let task = tokio::spawn(async move {
                let s = st;
                let started = Instant::now();
                let r = client.request(s.peer, req).await;
                match r {
                    Ok(HarvestResponse::Lookup(reply)) => {
                        s.observe(started.elapsed());
                        s.lookups.fetch_add(1, Relaxed);
                        s.misses.store(0, Relaxed);
                        s.errors.fetch_add(reply.errors, Relaxed);
                        Some(reply)
                    }
                    Ok(other) => {
                        s.errors.fetch_add(1, Relaxed);
                        warn!(harvester = %s.peer, answer = ?other, "harvester refused a lookup");
                        None
                    }
                    Err(e) => {
                        s.errors.fetch_add(1, Relaxed);
                        warn!(harvester = %s.peer, error = %e, "harvester lookup failed");
                        None
                    }
                }
            });
            tasks.push((Arc::clone(s), waited, task));
        }
        let mut answers = Vec::new();
        for (s, waited, task) in tasks {
            let got = if waited || task.is_finished() {
                tokio::time::timeout_at(deadline, task).await
            } else {
                // A suspect harvester: take its answer only if it is there already.
                tokio::time::timeout(Duration::ZERO, task).await
            };
            match got {
                Ok(Ok(Some(reply))) => answers.push(Answer { stats: s, reply }),
                Ok(_) => {}
                Err(_) => {
                    s.timeouts.fetch_add(1, Relaxed);
                    if s.misses.fetch_add(1, Relaxed) + 1 == MISSES_BEFORE_SUSPECT {
                        warn!(harvester = %s.peer, budget_ms = budget.as_millis() as u64,
                            "harvester missed its rounds' budgets; rounds stop waiting for it until it answers");
                    }
                }
            }
        }
        answers
    }

    /// Asks every connected harvester for its plot set every [`STATUS_INTERVAL`], forever (abort
    /// the task to stop).
    pub async fn poll_status(self: Arc<Self>) {
        let mut tick = tokio::time::interval(STATUS_INTERVAL);
        loop {
            tick.tick().await;
            for s in &self.stats {
                if !self.client.is_connected(&s.peer) {
                    continue;
                }
                let (client, s) = (self.client.clone(), Arc::clone(s));
                tokio::spawn(async move {
                    let r = tokio::time::timeout(
                        STATUS_INTERVAL,
                        client.request(s.peer, HarvestRequest::Status),
                    )
                    .await;
                    if let Ok(Ok(HarvestResponse::Status(p))) = r {
                        s.plots.store(p.plots, Relaxed);
                        s.bytes.store(p.bytes, Relaxed);
                    }
                });
            }
        }
    }

    /// The Prometheus text of every harvester (appended to the farmer's metrics).
    pub fn render_metrics(&self, s: &mut String) {
        let views = self.views();
        let series: [Series; 8] = [
            (
                "harvester_connected",
                "gauge",
                "Whether the harvester is connected.",
                |v| u64::from(v.connected),
            ),
            (
                "harvester_plots",
                "gauge",
                "Plots the harvester serves.",
                |v| v.plots,
            ),
            (
                "harvester_bytes",
                "gauge",
                "Bytes of the harvester's plots.",
                |v| v.bytes,
            ),
            (
                "harvester_lookups_total",
                "counter",
                "Lookups the harvester answered.",
                |v| v.lookups,
            ),
            (
                "harvester_proofs_total",
                "counter",
                "Proofs of the harvester merged into rounds.",
                |v| v.proofs,
            ),
            (
                "harvester_errors_total",
                "counter",
                "Failed requests and plot errors of the harvester.",
                |v| v.errors,
            ),
            (
                "harvester_invalid_answers_total",
                "counter",
                "Answers refused for an invalid proof.",
                |v| v.invalid,
            ),
            (
                "harvester_timeouts_total",
                "counter",
                "Rounds that ended without the harvester's answer.",
                |v| v.timeouts,
            ),
        ];
        for (name, kind, help, get) in series {
            let _ = writeln!(
                s,
                "# HELP masspoc_farmer_{name} {help}\n# TYPE masspoc_farmer_{name} {kind}"
            );
            for v in &views {
                let _ = writeln!(
                    s,
                    "masspoc_farmer_{name}{{harvester=\"{}\"}} {}",
                    v.id,
                    get(v)
                );
            }
        }
        let name = "masspoc_farmer_harvester_lookup_seconds";
        let _ = writeln!(s, "# HELP {name} Lookup latency of the harvester (last {LATENCY_WINDOW}).\n# TYPE {name} summary");
        for v in &views {
            if let (Some(p50), Some(p99)) = (v.p50_us, v.p99_us) {
                let _ = writeln!(
                    s,
                    "{name}{{harvester=\"{}\",quantile=\"0.5\"}} {}",
                    v.id,
                    p50 as f64 / 1e6
                );
                let _ = writeln!(
                    s,
                    "{name}{{harvester=\"{}\",quantile=\"0.99\"}} {}",
                    v.id,
                    p99 as f64 / 1e6
                );
            }
        }
    }
}
