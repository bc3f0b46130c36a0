//! The real chain host served on loopback by a test: its own tokio runtime on a thread, stopped
//! (gracefully) when dropped.

use masspoc_node_bridge::host::http::Shared;
use masspoc_node_bridge::host::limits::{serve_with, ApiLimits};
use masspoc_node_bridge::host::ChainHost;
use std::net::SocketAddr;
use std::sync::Arc;

/// A chain host being served.
pub struct HostServer {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// The listening address.
    pub addr: SocketAddr,
    /// The handlers' shared state (the host itself).
    pub shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl HostServer {
    /// Serves `host` under the default limits.
    pub fn start(host: ChainHost) -> HostServer {
        HostServer::start_with(host, ApiLimits::default())
    }

    /// Serves `host` under `limits`.
    pub fn start_with(host: ChainHost, limits: ApiLimits) -> HostServer {
        HostServer::start_shared(Shared::new(host), limits)
    }

    /// Serves `host` with its anchoring outbox attached, as the bridge process does (the
    /// status and `/metrics` then show its batches). The host must have been opened anchoring.
    pub fn start_anchoring(host: ChainHost) -> HostServer {
        let outbox = host.outbox().expect("a host opened with anchoring");
        HostServer::start_shared(Shared::with_outbox(host, outbox), ApiLimits::default())
    }

    /// Serves `shared` under `limits`.
    pub fn start_shared(shared: Arc<Shared>, limits: ApiLimits) -> HostServer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let s = shared.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                serve_with(listener, s, limits, async move {
                    let _ = rx.await;
                })
                .await
                .unwrap();
            });
        });
        HostServer {
            url: format!("http://{addr}"),
            addr,
            shared,
            stop: Some(tx),
            thread: Some(thread),
        }
    }
}

impl Drop for HostServer {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
