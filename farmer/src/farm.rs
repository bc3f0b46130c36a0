//! The farm: plots, rescans, metrics and one task per chain, until a stop signal.

use crate::alerts::Alerts;
use crate::bridge_client::BridgeClient;
use crate::chain_task::{run_chain, ChainContext};
use crate::config::{ChainSelector, FarmerConfig};
use crate::metrics::{self, Metrics};
use crate::plots::{PlotOpener, PlotSet, ReaderOpener};
use crate::remote::Harvesters;
use crate::signer::Identity;
use crate::status::http as status_http;
use crate::status::{ChainSource, Status, StatusParts};
use masspoc_verifier::ChainId;
use std::future::Future;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tracing::{info, warn};

/// Why the farm could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FarmError {
    /// The harvester link could not start.
    #[error("harvester link")]
    Harvesters(#[from] masspoc_net::NetError),
    /// The status address could not be bound.
    #[error("cannot listen for the status page on {addr}")]
    Status {
        /// The configured address.
        addr: std::net::SocketAddr,
        /// The bind error.
        source: std::io::Error,
    },
    /// The metrics address could not be bound.
    #[error("cannot listen for metrics on {addr}")]
    Metrics {
        /// The configured address.
        addr: std::net::SocketAddr,
        /// The bind error.
        source: std::io::Error,
    },
}

/// How long a directory listing may take before its disk is reported as hung.
pub const SCAN_TIMEOUT: Duration = Duration::from_secs(10);
/// How long chain tasks get to finish after a stop signal.
pub const STOP_GRACE: Duration = Duration::from_secs(5);

/// Farms every configured chain from the configured plots until `shutdown` completes.
///
/// The caller opens the key and the signing history (`identity`) and closes the history after
/// this returns, once no chain task can sign any more.
pub async fn run_farm(
    config: &FarmerConfig,
    identity: Arc<Identity>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), FarmError> {
    let opener = Arc::new(ReaderOpener {
        farmer_pk: Some(identity.farmer_pk),
    });
    run_farm_with_opener(config, identity, opener, shutdown).await
}

/// [`run_farm`] with plots opened by `opener` instead of the memory-mapped reader that refuses
/// plots of another key (tests open plots through a fault injector: a disk that hangs).
pub async fn run_farm_with_opener(
    config: &FarmerConfig,
    identity: Arc<Identity>,
    opener: Arc<dyn PlotOpener>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), FarmError> {
    let metrics = Arc::new(Metrics::default());
    let mut background = JoinSet::new();
    if let Some(addr) = config.metrics_listen {
        let listener = metrics::bind(addr)
            .await
            .map_err(|source| FarmError::Metrics { addr, source })?;
        info!(%addr, "serving metrics at /metrics");
        background.spawn(serve_http(
            "metrics",
            listener,
            metrics::router(Arc::clone(&metrics)),
        ));
    }
    let plots = PlotSet::new(&config.plot_dirs, opener);
    let status_listener = match config.status_listen {
        Some(addr) => Some((
            addr,
            metrics::bind(addr)
                .await
                .map_err(|source| FarmError::Status { addr, source })?,
        )),
        None => None,
    };
    let report = plots.rescan(SCAN_TIMEOUT).await;
    record_scan(&metrics, &plots, &report);
    info!(
        plots = report.plots,
        skipped = report.skipped.len(),
        dirs = config.plot_dirs.len(),
        "plots opened"
    );
    if report.plots == 0 {
        warn!("no plots yet: farming will start when plots appear in the plot directories");
    }
    let harvesters = start_harvesters(config, &identity, &metrics, &mut background)?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut chains = JoinSet::new();
    let mut sources = Vec::new();
    for c in &config.chains {
        let client = BridgeClient::with_failover(&c.bridges);
        let selector = c.chain.clone();
        let label = selector.to_string();
        let chain_metrics = metrics.chain(&label);
        sources.push(ChainSource {
            label: label.clone(),
            selector: selector.clone(),
            client: BridgeClient::with_failover(&c.bridges),
            metrics: Arc::clone(&chain_metrics),
        });
        let (identity, plots, global, harvesters) = (
            Arc::clone(&identity),
            Arc::clone(&plots),
            Arc::clone(&metrics),
            harvesters.clone(),
        );
        let (filter_override, budget) = (c.filter_bits, config.lookup_budget);
        let mut stop = stop_rx.clone();
        chains.spawn(async move {
            let chain_id = tokio::select! {
                id = resolve(&client, &selector, &chain_metrics) => id,
                _ = stop.changed() => return,
            };
            let ctx = ChainContext {
                label,
                chain_id,
                client,
                filter_override,
                plots,
                budget,
                identity,
                metrics: chain_metrics,
                global,
                harvesters,
            };
            run_chain(Arc::new(ctx), stop).await;
        });
    }
    let farmer_pk = identity.farmer_pk.to_hex();
    let status = Status::new(StatusParts {
        farmer_pk: farmer_pk.clone(),
        interval: config.status_interval,
        budget: config.lookup_budget,
        metrics: Arc::clone(&metrics),
        plots: Arc::clone(&plots),
        harvesters: harvesters.clone(),
        chains: sources,
        alerts: Arc::new(Alerts::new(config.alerts.clone(), farmer_pk)),
    });
    status.on_scan(&report);
    {
        let (p, m, st) = (
            Arc::clone(&plots),
            Arc::clone(&metrics),
            Arc::clone(&status),
        );
        background.spawn(
            Arc::clone(&plots).keep_rescanning(config.rescan_interval, move |r| {
                record_scan(&m, &p, r);
                st.on_scan(r);
            }),
        );
    }
    background.spawn(Arc::clone(&status).run_sampler());
    if let Some((addr, listener)) = status_listener {
        let addr = listener.local_addr().unwrap_or(addr);
        info!(url = %format!("http://{addr}/"), "serving the status page");
        background.spawn(serve_http(
            "status page",
            listener,
            status_http::router(Arc::clone(&status)),
        ));
    }
    shutdown.await;
    info!("stopping: letting chain tasks finish");
    let _ = stop_tx.send(true);
    let all_done = async { while chains.join_next().await.is_some() {} };
    if tokio::time::timeout(STOP_GRACE, all_done).await.is_err() {
        warn!("chain tasks did not stop in time; abandoning them");
        chains.abort_all();
        while chains.join_next().await.is_some() {}
    }
    background.abort_all();
    while background.join_next().await.is_some() {}
    info!("farm stopped");
    Ok(())
}

/// Starts the link to the paired harvesters, if any (`docs/harvesters.md`).
fn start_harvesters(
    config: &FarmerConfig,
    identity: &Identity,
    metrics: &Metrics,
    background: &mut JoinSet<()>,
) -> Result<Option<Arc<Harvesters>>, FarmError> {
    if config.harvesters.is_empty() {
        return Ok(None);
    }
    let key = masspoc_net::identity::load_or_create(&config.harvester_identity_dir)?;
    let h = Harvesters::start(key, &config.harvesters, identity.farmer_pk)?;
    info!(peer_id = %h.peer_id(), harvesters = config.harvesters.len(), "harvester link started (list this peer id in each harvester's farmers)");
    background.spawn(Arc::clone(&h).poll_status());
    let _ = metrics.harvesters.set(Arc::clone(&h));
    Ok(Some(h))
}

fn record_scan(metrics: &Metrics, plots: &PlotSet, report: &crate::plots::ScanReport) {
    metrics.plots.store(report.plots as u64, Relaxed);
    let skipped: usize = plots.dirs().iter().map(|d| d.skipped_count()).sum();
    metrics.plots_skipped.store(skipped as u64, Relaxed);
}

/// The chain id of a selector: given, or looked up by name on the bridge (retried until the
/// bridge answers).
async fn resolve(
    client: &BridgeClient,
    selector: &ChainSelector,
    metrics: &crate::metrics::ChainMetrics,
) -> ChainId {
    let name = match selector {
        ChainSelector::Id(id) => return *id,
        ChainSelector::Name(n) => n,
    };
    let mut pause = Duration::from_millis(500);
    let mut attempt = 0u64;
    loop {
        // Say it on the first failure and then every tenth, not on every retry.
        let loud = attempt.is_multiple_of(10);
        attempt = attempt.wrapping_add(1);
        match client.chains().await {
            Ok(list) => match list.iter().find(|c| &c.name == name) {
                Some(c) => {
                    info!(chain = %name, chain_id = %c.chain_id, "chain found on the bridge");
                    return c.chain_id;
                }
                None => {
                    warn!(chain = %name, bridge = client.base(), "the bridge does not host this chain (yet)")
                }
            },
            Err(e) => {
                metrics.bridge_errors.fetch_add(1, Relaxed);
                if loud {
                    warn!(chain = %name, error = %masspoc_report::Report(&e), attempt, "cannot list the bridge's chains; retrying");
                }
            }
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(30));
    }
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            warn!(error = %masspoc_report::Report(&e), "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                warn!(error = %masspoc_report::Report(&e), "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => info!("SIGINT received"),
        _ = term => info!("SIGTERM received"),
    }
}

/// Serves `app` on `listener` until the farm stops (its task is aborted); a server that fails
/// says so in a warn line.
async fn serve_http(name: &'static str, listener: tokio::net::TcpListener, app: axum::Router) {
    let limits = masspoc_httpd::ServerLimits::local();
    if let Err(e) = masspoc_httpd::serve(name, listener, app, limits, std::future::pending()).await
    {
        warn!(server = name, error = %masspoc_report::Report(&e), "HTTP server stopped");
    }
}
