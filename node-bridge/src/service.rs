//! The bridge process: header follower, anchorer and (optionally) the chain host's HTTP server,
//! until Ctrl-C. Every step is committed to its store before the next, so the process may be
//! killed at any moment and started again.

use crate::alerts::{NodeAlerts, PassState};
use crate::anchor::{AnchorConfig, Anchorer, Outbox};
pub use crate::error::ServiceError;
use crate::error::{AnchorError, FollowError};
use crate::follower::{Follower, FollowerConfig};
use crate::host::http::Shared;
use crate::host::limits::serve_with;
use crate::host::metrics::add;
use crate::host::ChainHost;
use crate::pow::PowParams;
use crate::rpc::RpcClient;
use crate::store::Store;
use masspoc_verifier::ChainSpec;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Settings of [`run`].
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// Data directory (`bridge.redb`: PoW headers, anchoring outbox, chain logs, detector).
    pub data: PathBuf,
    /// Node client.
    pub rpc: RpcClient,
    /// Paying wallet.
    pub wallet: String,
    /// PoW network rules.
    pub params: PowParams,
    /// First followed height.
    pub start_height: u64,
    /// Anchor finality.
    pub anchor: AnchorConfig,
    /// Pause between passes.
    pub poll: Duration,
    /// Chains to host (none: anchoring and following only).
    pub chains: Vec<ChainSpec>,
    /// Where to serve the chain host.
    pub listen: Option<SocketAddr>,
    /// One pass, then exit.
    pub once: bool,
    /// The chain host's limits on its HTTP clients (and its optional bearer token).
    pub api: crate::host::limits::ApiLimits,
    /// The chain network (with chains): listen addresses and bootstrap peers.
    pub p2p: Option<P2pSettings>,
    /// The node's alerts (`[alerts]` of the chains file).
    pub alerts: crate::alerts::NodeAlertsConfig,
}

/// Where a chain node listens for peers and whom it dials (`docs/network.md`).
#[derive(Debug, Clone, Default)]
pub struct P2pSettings {
    /// Listen addresses, e.g. `/ip4/127.0.0.1/tcp/9737`.
    pub listen: Vec<masspoc_net::Multiaddr>,
    /// Bootstrap peers (`/ip4/…/tcp/…`, optionally `/p2p/<peer id>`).
    pub peers: Vec<masspoc_net::Multiaddr>,
}

/// Starts the chain network of `shared` on the current runtime, with the identity kept in
/// `data`; the peer id is logged.
fn start_net(
    data: &std::path::Path,
    shared: &Arc<Shared>,
    p2p: &P2pSettings,
) -> Result<(), ServiceError> {
    let key = masspoc_net::identity::load_or_create(data)?;
    let config = masspoc_net::NetConfig::new(key, p2p.listen.clone(), p2p.peers.clone());
    let seam = Arc::new(crate::host::peer::PeerSeam(shared.clone()));
    let handle = masspoc_net::spawn(config, seam)?;
    tracing::info!(peer_id = %handle.peer_id(), "p2p identity");
    let _ = shared.net.set(handle);
    Ok(())
}

/// How long a stop (Ctrl-C) waits for open requests and the current pass before the process
/// leaves them: every step is committed before the next, so leaving one is like a crash.
pub const STOP_WITHIN: Duration = Duration::from_millis(1500);

/// Runs the bridge until Ctrl-C (or one pass with `once`).
///
/// The listen address is bound before the data directory is created, so a taken port leaves
/// nothing behind. On Ctrl-C, open long-polls are answered at once and the process is gone
/// within about [`STOP_WITHIN`], saying what it waited for.
pub fn run(config: ServiceConfig) -> Result<(), ServiceError> {
    let std_listener = match (config.chains.is_empty(), config.listen) {
        (false, Some(addr)) => {
            let l = std::net::TcpListener::bind(addr).map_err(|e| {
                ServiceError::Io(std::io::Error::new(
                    e.kind(),
                    format!("cannot listen on {addr}: {e}"),
                ))
            })?;
            l.set_nonblocking(true)?;
            Some(l)
        }
        _ => None,
    };
    let store = Store::open_data_dir(&config.data).map_err(FollowError::from)?;
    let mut follower = Follower::on(
        store.clone(),
        config.rpc.clone(),
        FollowerConfig {
            start_height: config.start_height,
            params: config.params,
            ..FollowerConfig::default()
        },
    )?;
    let outbox = Arc::new(Outbox::on(store.clone()).map_err(AnchorError::from)?);
    let mut anchorer = Anchorer::shared(
        outbox.clone(),
        config.rpc.clone(),
        config.rpc.with_wallet(&config.wallet),
        config.anchor.clone(),
    );
    let shared = if config.chains.is_empty() {
        None
    } else {
        let host = ChainHost::open(&store, config.chains.clone(), true)?;
        let shared = Shared::with_outbox(host, outbox);
        let _ = shared.node.set(config.rpc.clone());
        Some(shared)
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let stop = Arc::new(AtomicBool::new(false));
    let outcome = rt.block_on(async {
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let mut tx = Some(tx);
        let mut stop_server = move || {
            if let Some(tx) = tx.take() {
                let _ = tx.send(());
            }
        };
        let server = match (&shared, std_listener) {
            (Some(s), Some(std_listener)) => {
                let listener = tokio::net::TcpListener::from_std(std_listener)?;
                tracing::info!(addr = %listener.local_addr()?, "chain host listening");
                Some(tokio::spawn(serve_with(
                    listener,
                    s.clone(),
                    config.api.clone(),
                    async move {
                        let _ = rx.await;
                    },
                )))
            }
            _ => None,
        };
        if let (Some(s), Some(p2p), false) = (&shared, &config.p2p, config.once) {
            start_net(&config.data, s, p2p)?;
        }
        let stop2 = stop.clone();
        let shared2 = shared.clone();
        let (poll, once) = (config.poll, config.once);
        let mut alerts = (!once).then(|| {
            let node = config
                .listen
                .map_or_else(|| "bridge".to_string(), |a| format!("http://{a}"));
            NodeAlerts::new(config.alerts.clone(), node, config.wallet.clone())
        });
        let wallet = config.rpc.with_wallet(&config.wallet);
        let mut work = tokio::task::spawn_blocking(move || -> Result<(), ServiceError> {
            loop {
                let anchor_error = pass(&mut follower, &mut anchorer, shared2.as_deref(), once)?;
                if let Some(alerts) = alerts.as_mut() {
                    let state = PassState {
                        anchor: anchorer.status().clone(),
                        anchor_error,
                    };
                    alerts.after_pass(crate::host::http::now_ms(), &state, &wallet);
                }
                if once {
                    return Ok(());
                }
                let until = Instant::now() + poll;
                while Instant::now() < until {
                    if stop2.load(Ordering::Relaxed) {
                        return Ok(());
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
            }
        });
        let result = tokio::select! {
            r = &mut work => r,
            _ = tokio::signal::ctrl_c() => {
                tracing::info!(
                    "stopping: answering open long-polls, then waiting up to {} ms for the current \
                     pass (following the node, anchoring) to finish",
                    STOP_WITHIN.as_millis()
                );
                stop.store(true, Ordering::Relaxed);
                if let Some(s) = &shared {
                    s.stop_long_polls();
                }
                stop_server();
                match tokio::time::timeout(STOP_WITHIN, &mut work).await {
                    Ok(r) => r,
                    Err(_) => {
                        tracing::warn!(
                            "the current pass is still waiting on the node; leaving it (every step \
                             is committed before the next, so the next start resumes it)"
                        );
                        Ok(Ok(()))
                    }
                }
            }
        };
        stop_server();
        if let Some(server) = server {
            if tokio::time::timeout(Duration::from_millis(500), server)
                .await
                .is_err()
            {
                tracing::warn!("requests still open at exit; their clients will retry");
            }
        }
        tracing::info!("bridge stopped");
        result.map_err(|e| ServiceError::Io(std::io::Error::other(e.to_string())))?
    });
    // A pass left behind must not hold the process: its thread ends with it.
    rt.shutdown_timeout(Duration::from_millis(100));
    outcome
}

/// One pass: follow, anchor, finality. Returns the anchoring error of the pass (retried at the
/// next), for the alerts.
fn pass(
    follower: &mut Follower,
    anchorer: &mut Anchorer,
    shared: Option<&Shared>,
    once: bool,
) -> Result<Option<String>, ServiceError> {
    // A refused node stops the bridge: its headers cannot be trusted.
    let report = match follower.sync(10_000) {
        Ok(r) => r,
        Err(e) => {
            if let Some(s) = shared {
                add(&s.metrics.follow_errors, 1);
            }
            return Err(e.into());
        }
    };
    if let Some(s) = shared {
        add(&s.metrics.pow_headers_added, report.added);
        add(&s.metrics.pow_headers_removed, report.removed);
    }
    if report.added > 0 || report.removed > 0 {
        let (tip_height, tip_hash) = report
            .tip
            .map_or((None, None), |(h, id)| (Some(h), Some(id)));
        tracing::info!(
            tip_height,
            tip_hash = tip_hash.map(tracing::field::display),
            added = report.added,
            removed = report.removed,
            "pow headers"
        );
    }
    if let (Some(s), Some((h, id))) = (shared, report.tip) {
        if let Ok(mut t) = s.pow_tip.lock() {
            *t = Some((h, id.to_string()));
        }
    }
    // Anchoring failures (node down, wallet empty) are retried on the next pass. Only what is
    // worth it goes out: a hosted chain's side-branch headers wait (`host::anchor_pick`).
    let ticked = match shared {
        Some(s) => anchorer.tick_with(&|item| s.host.anchor_pick(item)),
        None => anchorer.tick(),
    };
    if let Some(s) = shared {
        if let Ok(mut st) = s.anchor_status.lock() {
            *st = Some(anchorer.status().clone());
        }
    }
    let anchor_error = match ticked {
        Ok(_) => None,
        Err(e) => {
            if let Some(s) = shared {
                add(&s.metrics.anchor_errors, 1);
            }
            if once {
                return Err(e.into());
            }
            tracing::warn!(error = %masspoc_report::Report(&e), "anchoring pass failed; retrying");
            Some(masspoc_report::Report(&e).to_string())
        }
    };
    // Finality: every anchor in the node's own verified PoW chain, whoever sent it, once this
    // node holds its batch's items (docs/protocol.md §14); batches of other nodes are asked of
    // peers.
    if let Some(s) = shared {
        match s
            .host
            .feed_finality(follower, report.reorg_ancestor.map(|a| a + 1))
        {
            Ok(fed) => {
                if fed.waiting > 0 {
                    if let Some(net) = s.net.get() {
                        net.want_batches();
                    }
                }
            }
            Err(e) => {
                tracing::warn!(error = %masspoc_report::Report(&e), "finality pass failed; retrying")
            }
        }
    }
    Ok(anchor_error)
}
