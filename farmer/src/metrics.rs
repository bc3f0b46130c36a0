//! Prometheus text metrics of the farmer, and the router of `GET /metrics`.
//!
//! The text is written by hand on purpose: a dozen counters and one histogram need atomics and
//! forty lines of formatting, not a metrics framework and its dependency tree. The HTTP is
//! axum's, served by [`masspoc_httpd::serve`].

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::routing::get;
use axum::Router;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::net::TcpListener;

/// Upper bounds (seconds) of the round-lookup latency histogram's buckets.
pub const LATENCY_BUCKETS: [f64; 12] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2.0,
];

/// Picks one counter of a chain.
type CounterOf = fn(&ChainMetrics) -> &AtomicU64;

/// Counters of one chain instance.
#[derive(Debug, Default)]
pub struct ChainMetrics {
    /// The chain's label (its name, or its id in hex).
    pub label: String,
    /// Rounds (challenges looked up).
    pub rounds: AtomicU64,
    /// Plot lookups (plots that passed the filter and were read).
    pub lookups: AtomicU64,
    /// Proofs found.
    pub proofs: AtomicU64,
    /// Headers the bridge accepted.
    pub submissions_accepted: AtomicU64,
    /// Headers the bridge refused.
    pub submissions_rejected: AtomicU64,
    /// Rounds whose lookups overran the budget.
    pub rounds_over_budget: AtomicU64,
    /// Plot lookups that stalled.
    pub stalls: AtomicU64,
    /// Bridge errors (unreachable, bad answer).
    pub bridge_errors: AtomicU64,
    /// Signing refusals and failures.
    pub signing_errors: AtomicU64,
    /// Headers signed (through the signing guard).
    pub signed: AtomicU64,
    /// The last error of this chain (ms since the Unix epoch, what), for the status page.
    pub last_error: Mutex<Option<(u64, String)>>,
}

impl ChainMetrics {
    /// Keeps `what` as the chain's last error (shown by the status page and `farm summary`).
    pub fn note_error(&self, what: impl std::fmt::Display) {
        let at = crate::status::now_ms();
        *self
            .last_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some((at, what.to_string()));
    }
}

/// Latency observations kept between two status samples (the rest are dropped until the next).
pub const RECENT_LATENCIES: usize = 4096;

/// A cumulative latency histogram.
#[derive(Debug, Default)]
pub struct Histogram {
    buckets: [AtomicU64; LATENCY_BUCKETS.len()],
    count: AtomicU64,
    sum_ns: AtomicU64,
    recent_us: Mutex<Vec<u64>>,
}

impl Histogram {
    /// Records one observation.
    pub fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        for (b, bound) in self.buckets.iter().zip(LATENCY_BUCKETS) {
            if secs <= bound {
                b.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        let ns = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.sum_ns.fetch_add(ns, Ordering::Relaxed);
        let mut recent = self
            .recent_us
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if recent.len() < RECENT_LATENCIES {
            recent.push(ns / 1000);
        }
    }

    /// The observations (µs) since the last call, at most [`RECENT_LATENCIES`] of them.
    pub fn take_recent_us(&self) -> Vec<u64> {
        std::mem::take(
            &mut *self
                .recent_us
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        )
    }
}

/// All metrics of one farmer process.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Plots in the plot set.
    pub plots: AtomicU64,
    /// Plot files skipped (bad, truncated, foreign key, duplicate), as of the last rescan.
    pub plots_skipped: AtomicU64,
    /// Latency of each round's lookups (challenge to best proof).
    pub round_latency: Histogram,
    /// The paired harvesters, whose counters are rendered with the farmer's.
    pub harvesters: std::sync::OnceLock<Arc<crate::remote::Harvesters>>,
    chains: Mutex<Vec<Arc<ChainMetrics>>>,
}

impl Metrics {
    /// Every registered chain's counters, in registration order.
    #[must_use]
    pub fn chains(&self) -> Vec<Arc<ChainMetrics>> {
        self.chains
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Registers a chain and returns its counters.
    pub fn chain(&self, label: &str) -> Arc<ChainMetrics> {
        let m = Arc::new(ChainMetrics {
            label: label.to_string(),
            ..ChainMetrics::default()
        });
        self.chains
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Arc::clone(&m));
        m
    }

    /// The Prometheus text exposition (format 0.0.4).
    #[must_use]
    pub fn render(&self) -> String {
        let mut s = String::new();
        let gauge = |s: &mut String, name: &str, help: &str, v: u64| {
            let _ = writeln!(s, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {v}");
        };
        gauge(
            &mut s,
            "masspoc_farmer_plots",
            "Plots being farmed.",
            self.plots.load(Ordering::Relaxed),
        );
        gauge(
            &mut s,
            "masspoc_farmer_plots_skipped",
            "Plot files skipped as bad, truncated, foreign or duplicate.",
            self.plots_skipped.load(Ordering::Relaxed),
        );
        let chains = self
            .chains
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let counters: [(&str, &str, CounterOf); 10] = [
            ("rounds_total", "Challenges looked up.", |c| &c.rounds),
            (
                "lookups_total",
                "Plot lookups (plots passing the filter).",
                |c| &c.lookups,
            ),
            ("proofs_total", "Proofs found.", |c| &c.proofs),
            ("headers_signed_total", "Headers signed.", |c| &c.signed),
            (
                "submissions_accepted_total",
                "Headers accepted by the bridge.",
                |c| &c.submissions_accepted,
            ),
            (
                "submissions_rejected_total",
                "Headers refused by the bridge.",
                |c| &c.submissions_rejected,
            ),
            (
                "rounds_over_budget_total",
                "Rounds whose lookups overran the budget.",
                |c| &c.rounds_over_budget,
            ),
            (
                "lookup_stalls_total",
                "Plot lookups that stalled past the budget.",
                |c| &c.stalls,
            ),
            ("bridge_errors_total", "Failed bridge requests.", |c| {
                &c.bridge_errors
            }),
            (
                "signing_errors_total",
                "Headers the signing guard refused or failed to sign.",
                |c| &c.signing_errors,
            ),
        ];
        for (name, help, get) in counters {
            let _ = writeln!(
                s,
                "# HELP masspoc_farmer_{name} {help}\n# TYPE masspoc_farmer_{name} counter"
            );
            for c in &chains {
                let _ = writeln!(
                    s,
                    "masspoc_farmer_{name}{{chain=\"{}\"}} {}",
                    escape(&c.label),
                    get(c).load(Ordering::Relaxed)
                );
            }
        }
        let h = &self.round_latency;
        let name = "masspoc_farmer_round_lookup_seconds";
        let _ = writeln!(
            s,
            "# HELP {name} Challenge to best proof, all plots.\n# TYPE {name} histogram"
        );
        for (b, bound) in h.buckets.iter().zip(LATENCY_BUCKETS) {
            let _ = writeln!(
                s,
                "{name}_bucket{{le=\"{bound}\"}} {}",
                b.load(Ordering::Relaxed)
            );
        }
        let count = h.count.load(Ordering::Relaxed);
        let _ = writeln!(s, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let sum = h.sum_ns.load(Ordering::Relaxed) as f64 / 1e9;
        let _ = writeln!(s, "{name}_sum {sum}\n{name}_count {count}");
        if let Some(h) = self.harvesters.get() {
            h.render_metrics(&mut s);
        }
        s
    }
}

fn escape(label: &str) -> String {
    label
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The router of `GET /metrics` (Prometheus text format 0.0.4), for [`masspoc_httpd::serve`].
pub fn router(metrics: Arc<Metrics>) -> Router {
    Router::new()
        .route(
            "/metrics",
            get(|State(m): State<Arc<Metrics>>| async move {
                (
                    [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
                    m.render(),
                )
            }),
        )
        .fallback(|| async { (StatusCode::NOT_FOUND, "not found\n") })
        .with_state(metrics)
}

/// Binds `addr` for [`masspoc_httpd::serve`].
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[test]
    fn renders_counters_per_chain_and_a_cumulative_histogram() {
        let m = Metrics::default();
        let a = m.chain("alpha");
        m.chain("we\"ird");
        a.rounds.fetch_add(3, Ordering::Relaxed);
        m.round_latency.observe(Duration::from_micros(300));
        m.round_latency.observe(Duration::from_secs(5));
        let text = m.render();
        assert!(text.contains("masspoc_farmer_rounds_total{chain=\"alpha\"} 3\n"));
        assert!(text.contains("masspoc_farmer_rounds_total{chain=\"we\\\"ird\"} 0\n"));
        assert!(text.contains("masspoc_farmer_round_lookup_seconds_bucket{le=\"0.00025\"} 0\n"));
        assert!(text.contains("masspoc_farmer_round_lookup_seconds_bucket{le=\"0.0005\"} 1\n"));
        assert!(text.contains("masspoc_farmer_round_lookup_seconds_bucket{le=\"2\"} 1\n"));
        assert!(text.contains("masspoc_farmer_round_lookup_seconds_bucket{le=\"+Inf\"} 2\n"));
        assert!(text.contains("masspoc_farmer_round_lookup_seconds_count 2\n"));
    }

    #[tokio::test]
    async fn serves_metrics_over_http() {
        let m = Arc::new(Metrics::default());
        m.plots.store(7, Ordering::Relaxed);
        let listener = bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(masspoc_httpd::serve(
            "metrics",
            listener,
            router(Arc::clone(&m)),
            masspoc_httpd::ServerLimits::local(),
            std::future::pending(),
        ));
        let get = |path: &'static str| async move {
            let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
            s.write_all(
                format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
            )
            .await
            .unwrap();
            let mut out = String::new();
            s.read_to_string(&mut out).await.unwrap();
            out
        };
        let ok = get("/metrics").await;
        assert!(ok.starts_with("HTTP/1.1 200 OK"), "{ok}");
        assert!(ok.contains("\nmasspoc_farmer_plots 7\n"));
        assert!(get("/other").await.starts_with("HTTP/1.1 404"));
        server.abort();
    }
}
