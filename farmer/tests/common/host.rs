//! A real chain host (`masspoc_node_bridge`'s `ChainHost` and HTTP API) served on loopback, for
//! the tests that farm against the real chain node rather than the stand-in bridge.

use masspoc_node_bridge::host::http::{serve, Shared};
use masspoc_node_bridge::host::ChainHost;
use masspoc_verifier::testkit::TestFarmer;
use masspoc_verifier::{Body, ChainSpec, Header};
use std::sync::Arc;

/// A chain host serving on a free loopback port until [`ServedHost::stop`].
pub struct ServedHost {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// The host and what its API shares.
    pub shared: Arc<Shared>,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl ServedHost {
    /// Serves `host` on a free loopback port.
    pub async fn start(host: ChainHost) -> Self {
        let shared = Shared::new(host);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, Arc::clone(&shared), async move {
            let _ = stop_rx.await;
        }));
        ServedHost {
            url,
            shared,
            stop,
            task,
        }
    }

    /// Stops serving.
    pub fn stop(self) {
        let _ = self.stop.send(());
        self.task.abort();
    }
}

/// `cheat` (a verifier test farmer) signs two headers at height 1 of `host`'s chain `spec`; only
/// the first is submitted. Returns both.
pub fn cheat_twins_at_height_one(
    cheat: &TestFarmer,
    host: &ChainHost,
    spec: &ChainSpec,
) -> (Header, Header) {
    let state = host.with_state(&spec.chain_id, Clone::clone).unwrap();
    let info = state.parent_info(&spec.genesis.hash).unwrap();
    let difficulty = state.next_difficulty(&spec.genesis.hash).unwrap();
    let c = cheat.candidate(spec, &info, difficulty, 64).unwrap();
    let first = cheat.header(spec, &info, difficulty, &c, Body::empty_root());
    let mut twin = first;
    twin.timestamp_ms += 1;
    cheat.sign(&mut twin);
    host.submit_header(&spec.chain_id, &first.encode(), 0)
        .unwrap();
    (first, twin)
}
