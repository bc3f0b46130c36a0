//! A stand-in bridge for farming tests: the HTTP API of `docs/bridge-api.md` (chains, work with
//! long-poll, header submission) over the verifier's real `ChainState`, so every header the
//! farmer submits is checked by the chain rules. Its replies are the bridge's own types
//! (`masspoc-api`), so they cannot drift from what the real bridge sends.

use masspoc_api::routes::WORK_SLOTS;
use masspoc_api::{ChainInfo, ChainList, ErrorBody, SubmitHeader, SubmitReply, Work};
use masspoc_proof::{weight, K};
use masspoc_verifier::state::ChainState;
use masspoc_verifier::{
    difficulty_for_weight, Beacon, ChainId, ChainParams, ChainSpec, Header, HeaderHash,
};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

/// The chains of the stand-in bridge, and what it was sent.
pub struct MockBridge {
    /// Chain states by id.
    pub chains: Mutex<BTreeMap<ChainId, ChainState>>,
    /// Every submitted header with the answer's error code (`None` when accepted).
    pub submissions: Mutex<Vec<(Header, Option<String>)>>,
    /// While set, header submissions are answered 503 (a bridge failing after the farmer signed).
    pub refuse_posts: std::sync::atomic::AtomicBool,
    /// A long-poll is read this many ms late (a loaded bridge or machine): a header landing
    /// meanwhile is only seen by a client that names the tip it has (`tip=`).
    pub late_polls_ms: std::sync::atomic::AtomicU64,
    tip_changed: Notify,
}

/// A fast chain for farming tests: 300 ms blocks and slots from now on, filter 0, the
/// recommended probe window (`docs/protocol.md`, so every farming test answers windows of 2^6
/// indexes), its initial difficulty set for `plots` plots of k = 16, beacon `[beacon; 32]`.
pub fn fast_params(name: &str, beacon: u8, plots: u64) -> ChainParams {
    let k = K::new(16).unwrap();
    let probe_bits = masspoc_proof::ProbeBits::new(6).unwrap();
    ChainParams {
        name: name.into(),
        beacon: Beacon([beacon; 32]),
        genesis_time_ms: now_ms(),
        target_interval_ms: 300,
        slot_ms: 300,
        filter_bits: masspoc_proof::FilterBits::NONE,
        min_k: 16,
        initial_difficulty: difficulty_for_weight(
            u128::from(weight(k)) * u128::from(plots),
            300,
            masspoc_proof::FilterBits::NONE,
            probe_bits,
        ),
        retarget_window: 100,
        max_future_drift_ms: 2_000,
        probe_bits,
        anchor_confirmations: masspoc_verifier::params::DEFAULT_ANCHOR_CONFIRMATIONS,
        finality_window: masspoc_verifier::params::DEFAULT_FINALITY_WINDOW,
        finality_depth: masspoc_verifier::params::DEFAULT_FINALITY_DEPTH,
    }
}

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

impl MockBridge {
    /// A bridge hosting chains with these parameters; returns it and its base URL.
    pub async fn start(params: Vec<ChainParams>) -> (Arc<MockBridge>, String) {
        let mut chains = BTreeMap::new();
        for p in params {
            let spec = ChainSpec::new(p).expect("valid params");
            chains.insert(spec.chain_id, ChainState::new(spec));
        }
        let bridge = Arc::new(MockBridge {
            chains: Mutex::new(chains),
            submissions: Mutex::new(Vec::new()),
            refuse_posts: std::sync::atomic::AtomicBool::new(false),
            late_polls_ms: std::sync::atomic::AtomicU64::new(0),
            tip_changed: Notify::new(),
        });
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let b = Arc::clone(&bridge);
        tokio::spawn(async move {
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    return;
                };
                let b = Arc::clone(&b);
                tokio::spawn(async move {
                    let _ = b.serve(sock).await;
                });
            }
        });
        (bridge, url)
    }

    /// Height of a chain's best tip.
    pub fn height(&self, id: &ChainId) -> u64 {
        self.chains.lock().unwrap()[id].best().height.0
    }

    async fn serve(&self, sock: TcpStream) -> std::io::Result<()> {
        let mut r = BufReader::new(sock);
        let mut line = String::new();
        r.read_line(&mut line).await?;
        let mut parts = line.split_whitespace();
        let (method, target) = (
            parts.next().unwrap_or(""),
            parts.next().unwrap_or("").to_string(),
        );
        let mut len = 0usize;
        loop {
            let mut h = String::new();
            r.read_line(&mut h).await?;
            if h.trim().is_empty() {
                break;
            }
            if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0u8; len];
        r.read_exact(&mut body).await?;
        let (status, text) = self.route(method, &target, &body).await;
        let resp = format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
            text.len()
        );
        r.get_mut().write_all(resp.as_bytes()).await?;
        r.get_mut().shutdown().await
    }

    async fn route(&self, method: &str, target: &str, body: &[u8]) -> (&'static str, String) {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
        let err = |status, code: &str| reply(status, &ErrorBody::new(code, code));
        match (method, segs.as_slice()) {
            ("GET", ["v1", "chains"]) => {
                let chains = self.chains.lock().unwrap();
                let list = ChainList::new(chains.values().map(ChainInfo::of).collect());
                reply("200 OK", &list)
            }
            ("GET", ["v1", "chains", id, "challenge"]) => {
                let Ok(id) = ChainId::from_hex(id) else {
                    return err("400 Bad Request", "bad_request");
                };
                let param = |name: &str| {
                    query
                        .split('&')
                        .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
                };
                let wait_ms: u64 = param("wait_ms").and_then(|v| v.parse().ok()).unwrap_or(0);
                let late = self.late_polls_ms.load(std::sync::atomic::Ordering::SeqCst);
                if wait_ms > 0 && late > 0 {
                    tokio::time::sleep(Duration::from_millis(late)).await;
                }
                let tip = |s: &Self| s.chains.lock().unwrap().get(&id).map(|c| c.best().hash);
                let Some(mut start_tip) = tip(self) else {
                    return err("404 Not Found", "unknown_chain");
                };
                // The tip the client has, when it names one, is what a change is measured from.
                if let Some(known) = param("tip").and_then(|t| HeaderHash::from_hex(t).ok()) {
                    start_tip = known;
                }
                if wait_ms > 0 {
                    let deadline = tokio::time::Instant::now() + Duration::from_millis(wait_ms);
                    loop {
                        // Register for the wake-up before looking, so a change in between is seen.
                        let notified = self.tip_changed.notified();
                        tokio::pin!(notified);
                        notified.as_mut().enable();
                        if tip(self) != Some(start_tip) {
                            break;
                        }
                        if tokio::time::timeout_at(deadline, notified).await.is_err() {
                            break;
                        }
                    }
                }
                let chains = self.chains.lock().unwrap();
                reply("200 OK", &Work::at_best(&chains[&id], WORK_SLOTS, now_ms()))
            }
            ("POST", ["v1", "chains", id, "headers"]) => {
                let Ok(id) = ChainId::from_hex(id) else {
                    return err("400 Bad Request", "bad_request");
                };
                let Ok(submitted) = serde_json::from_slice::<SubmitHeader>(body) else {
                    return err("400 Bad Request", "bad_request");
                };
                let Ok(header) = submitted.decode() else {
                    return err("422 Unprocessable Entity", "bad_encoding");
                };
                if self.refuse_posts.load(std::sync::atomic::Ordering::SeqCst) {
                    self.submissions
                        .lock()
                        .unwrap()
                        .push((header, Some("unavailable".into())));
                    return err("503 Service Unavailable", "unavailable");
                }
                let result = {
                    let mut chains = self.chains.lock().unwrap();
                    let Some(c) = chains.get_mut(&id) else {
                        return err("404 Not Found", "unknown_chain");
                    };
                    c.accept_header(&header, Some(now_ms()))
                };
                match result {
                    Ok(a) => {
                        self.submissions.lock().unwrap().push((header, None));
                        self.tip_changed.notify_waiters();
                        reply("200 OK", &SubmitReply::accepted(a.hash, a.best))
                    }
                    Err(e) => {
                        self.submissions
                            .lock()
                            .unwrap()
                            .push((header, Some(e.code().to_string())));
                        err("422 Unprocessable Entity", e.code())
                    }
                }
            }
            _ => err("404 Not Found", "not_found"),
        }
    }
}

/// A JSON reply.
fn reply<T: Serialize>(status: &'static str, body: &T) -> (&'static str, String) {
    (
        status,
        serde_json::to_string(body).expect("API types serialise"),
    )
}
