//! The chain host over HTTP/JSON (axum on tokio), as `docs/bridge-api.md` specifies. Everything
//! that takes a chain's lock or touches the store (rule checks, commits, work, header pages,
//! bodies, evidence) runs on the blocking pool, so a slow write holds up no async worker; the
//! chain list, health and `challenge?wait_ms=[&tip=]` (long-polls until the tip, the final block
//! or the includable evidence changes, or the tip is not the client's `tip`) read each chain's
//! published view and wait for no lock (`docs/operations.md`, "Per-chain state").

use super::metrics::{add, render_batches, BridgeMetrics};
use super::ChainHost;
use crate::anchor::proof::{build_proof, build_seen_proof};
use crate::anchor::{AnchorProof, AnchorStatus, Item, ItemKind, Outbox};
use crate::error::AnchorError;
use crate::error::HostError;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use masspoc_api::routes::{self, AnchorProofQuery, HeadersQuery, WorkQuery, MAX_WAIT_MS};
use masspoc_api::{
    codes, AnchorList, BodyReply, ChainFinality, ChainList, ErrorBody, EvidenceList, EvidenceReply,
    HeaderList, Health, SubmitEvidence, SubmitHeader, SubmitReply, Work,
};
use masspoc_verifier::{ChainId, HeaderHash};
use serde::de::DeserializeOwned;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// What the handlers share.
#[derive(Debug)]
pub struct Shared {
    /// The host (each chain has its own lock inside).
    pub host: ChainHost,
    /// The followed PoW tip (height, display hash), set by the bridge loop.
    pub pow_tip: Mutex<Option<(u64, String)>>,
    /// Woken when a best tip changes.
    pub tips: tokio::sync::Notify,
    /// Counters for `GET /metrics`.
    pub metrics: BridgeMetrics,
    /// The anchoring outbox, read at scrape time for the batch gauge (when anchoring).
    pub outbox: Option<Arc<Outbox>>,
    /// The anchorer after its last pass (set by the bridge loop; shown by health and metrics).
    pub anchor_status: Mutex<Option<AnchorStatus>>,
    /// Set when the bridge stops: long-polls answer at once instead of holding the stop up.
    stopping: std::sync::atomic::AtomicBool,
    /// The chain network, once started: what farmers submit is published to the peers.
    pub net: std::sync::OnceLock<masspoc_net::NetHandle>,
    /// The PoW node, for anchor proofs (`GET /v1/anchors/proof`), once the bridge set it.
    pub node: std::sync::OnceLock<crate::rpc::RpcClient>,
}

impl Shared {
    /// Wraps a host.
    pub fn new(host: ChainHost) -> Arc<Self> {
        Arc::new(Shared {
            host,
            pow_tip: Mutex::new(None),
            tips: tokio::sync::Notify::new(),
            metrics: BridgeMetrics::default(),
            outbox: None,
            anchor_status: Mutex::new(None),
            stopping: Default::default(),
            net: std::sync::OnceLock::new(),
            node: std::sync::OnceLock::new(),
        })
    }

    /// Wraps a host whose accepted items go to `outbox` (its batches show in `/metrics`).
    pub fn with_outbox(host: ChainHost, outbox: Arc<Outbox>) -> Arc<Self> {
        Arc::new(Shared {
            host,
            pow_tip: Mutex::new(None),
            tips: tokio::sync::Notify::new(),
            metrics: BridgeMetrics::default(),
            outbox: Some(outbox),
            anchor_status: Mutex::new(None),
            stopping: Default::default(),
            net: std::sync::OnceLock::new(),
            node: std::sync::OnceLock::new(),
        })
    }

    /// Answers every open long-poll now and every later one at once (the bridge is stopping).
    pub fn stop_long_polls(&self) {
        self.stopping
            .store(true, std::sync::atomic::Ordering::SeqCst);
        self.tips.notify_waiters();
    }

    /// Publishes what the host accepted to the chain network (when one runs).
    pub fn announce(&self, what: masspoc_net::Announce) {
        if let Some(net) = self.net.get() {
            net.announce(what);
        }
    }
}

/// Runs `f` on the host on the blocking pool (it may wait for a chain's lock or the store).
async fn blocking<T: Send + 'static>(
    s: &Arc<Shared>,
    f: impl FnOnce(&ChainHost) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let shared = s.clone();
    tokio::task::spawn_blocking(move || f(&shared.host))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
}

/// An API error: its status and [`ErrorBody`].
#[derive(Debug)]
pub struct ApiError {
    status: u16,
    body: ErrorBody,
}

impl ApiError {
    fn bad_request(message: impl Into<String>) -> Self {
        ApiError {
            status: 400,
            body: ErrorBody::new(codes::BAD_REQUEST, message),
        }
    }

    /// A 500: the detail goes to the log only, since it may name local paths; the client gets
    /// a message without them.
    fn internal(detail: impl Into<String>) -> Self {
        tracing::error!(detail = %detail.into(), "internal error answering a request");
        ApiError {
            status: 500,
            body: ErrorBody::new(
                codes::INTERNAL,
                "internal error; the bridge's log has the details",
            ),
        }
    }
}

impl From<HostError> for ApiError {
    fn from(e: HostError) -> Self {
        if e.status() >= 500 {
            return ApiError::internal(masspoc_report::Report(&e).to_string());
        }
        ApiError {
            status: e.status(),
            body: ErrorBody::new(e.code(), e.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(self.body)).into_response()
    }
}

type ApiResult<T> = Result<Json<T>, ApiError>;

pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

fn chain_id(s: &str) -> Result<ChainId, ApiError> {
    let mut b = [0u8; 32];
    hex::decode_to_slice(s, &mut b)
        .map_err(|_| ApiError::bad_request(format!("chain id {s:?} is not 64 hex digits")))?;
    Ok(ChainId(b))
}

/// A request body: `what` names it in the error (`{"header": hex}` …).
fn body<T: DeserializeOwned>(body: &Bytes, what: &str) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("body is not {what}: {e}")))
}

/// A query string, or `bad_request` naming what is wrong with it.
fn query<T>(q: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    q.map(|Query(q)| q)
        .map_err(|e| ApiError::bad_request(e.body_text()))
}

/// The router.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(routes::HEALTH, get(health))
        .route(routes::CHAINS, get(chains))
        .route(routes::WORK_ROUTE, get(challenge))
        .route(routes::HEADERS_ROUTE, get(get_headers).post(post_header))
        .route(routes::BODY_ROUTE, get(get_body))
        .route(routes::EVIDENCE, get(get_evidence).post(post_evidence))
        .route(routes::ANCHORS, get(anchors))
        .route(routes::ANCHOR_PROOF, get(anchor_proof))
        .route(routes::METRICS, get(metrics))
        .merge(super::status::routes())
        .with_state(shared)
}

/// Serves until `shutdown` completes, under the default [`ApiLimits`](super::limits::ApiLimits)
/// ([`super::limits::serve_with`] takes others).
pub async fn serve(
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    super::limits::serve_with(
        listener,
        shared,
        super::limits::ApiLimits::default(),
        shutdown,
    )
    .await
}

async fn health(State(s): State<Arc<Shared>>) -> ApiResult<Health> {
    let (pow_height, pow_best) = s
        .pow_tip
        .lock()
        .map_err(|_| ApiError::internal("poisoned"))?
        .clone()
        .unwrap_or((0, String::new()));
    let infos = s.host.chains();
    let finality = infos.iter().map(ChainFinality::of).collect();
    let mut health = Health::ok(pow_height, pow_best, infos.len() as u64).with_finality(finality);
    if let Some(st) = s
        .anchor_status
        .lock()
        .map_err(|_| ApiError::internal("poisoned"))?
        .as_ref()
    {
        health = health.with_anchoring(super::metrics::anchoring_health(st));
    }
    Ok(Json(health))
}

async fn chains(State(s): State<Arc<Shared>>) -> ApiResult<ChainList> {
    Ok(Json(ChainList::new(s.host.chains())))
}

async fn challenge(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    q: Result<Query<WorkQuery>, QueryRejection>,
) -> ApiResult<Work> {
    let chain = chain_id(&id)?;
    let q = query(q)?;
    let wait_ms = q.wait_ms.min(MAX_WAIT_MS);
    // Subscribed before the mark is read: no change between the two is missed.
    let mut changes = s.host.work_changes(&chain)?;
    let start = s.host.work_mark(&chain)?;
    let deadline = Instant::now() + Duration::from_millis(wait_ms);
    loop {
        let notified = s.tips.notified();
        // Anything the work depends on (the best tip, the final block, the evidence to include)
        // ends the wait; a client naming the tip it has is answered at once once that is not
        // the tip, even when the change came before its request did.
        let changed = s.host.work_mark(&chain)? != start
            || q.tip.is_some() && Some(s.host.tip_hash(&chain)?) != q.tip;
        if changed || s.stopping.load(std::sync::atomic::Ordering::SeqCst) {
            break;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        tokio::select! {
            _ = notified => {}
            open = changes.changed() => if !open { break },
            _ = tokio::time::sleep(left) => break,
        }
    }
    Ok(Json(
        blocking(&s, move |h| Ok(h.work(&chain, now_ms())?)).await?,
    ))
}

async fn get_headers(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    q: Result<Query<HeadersQuery>, QueryRejection>,
) -> ApiResult<HeaderList> {
    let chain = chain_id(&id)?;
    let q = query(q)?;
    Ok(Json(
        blocking(&s, move |h| Ok(h.headers(&chain, q.from, q.limit)?)).await?,
    ))
}

async fn get_body(
    State(s): State<Arc<Shared>>,
    Path((id, hash)): Path<(String, String)>,
) -> ApiResult<BodyReply> {
    let chain = chain_id(&id)?;
    let mut b = [0u8; 32];
    hex::decode_to_slice(&hash, &mut b)
        .map_err(|_| ApiError::bad_request(format!("block hash {hash:?} is not 64 hex digits")))?;
    let hash = HeaderHash(b);
    match blocking(&s, move |h| Ok(h.body(&chain, &hash)?)).await? {
        Some(body) => Ok(Json(BodyReply::new(hash, &body))),
        None => Err(ApiError {
            status: 404,
            body: ErrorBody::new(
                codes::UNKNOWN_BLOCK,
                format!("no block {hash} on this chain"),
            ),
        }),
    }
}

async fn post_header(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    raw: Bytes,
) -> ApiResult<SubmitReply> {
    let chain = chain_id(&id)?;
    let submitted: SubmitHeader = body(&raw, r#"{"header": hex, "body": hex}"#)?;
    // The block announced is the one the node holds (for a known header, its stored body).
    let reply = blocking(&s, move |host| {
        let mut block = submitted.decode_block().map_err(HostError::Rejected)?;
        let reply = host.submit_block(&chain, &block, now_ms())?;
        if let Some(body) = host.body(&chain, &reply.hash)? {
            block.body = body;
        }
        Ok((reply, block))
    })
    .await;
    let (reply, block) = match reply {
        Ok(r) => {
            add(&s.metrics.submissions_accepted, 1);
            r
        }
        Err(e) => {
            s.metrics.rejected(&e.body.error.code);
            return Err(e);
        }
    };
    if reply.best {
        s.tips.notify_waiters();
    }
    s.announce(masspoc_net::Announce::Block(Box::new(block)));
    Ok(Json(reply))
}

async fn get_evidence(State(s): State<Arc<Shared>>) -> ApiResult<EvidenceList> {
    Ok(Json(EvidenceList::new(
        blocking(&s, |h| Ok(h.evidence()?)).await?,
    )))
}

async fn post_evidence(State(s): State<Arc<Shared>>, raw: Bytes) -> ApiResult<EvidenceReply> {
    let submitted: SubmitEvidence = body(&raw, r#"{"evidence": hex}"#)?;
    let evidence = masspoc_verifier::Evidence::decode(submitted.evidence.as_slice()).ok();
    let reply = blocking(&s, move |h| {
        Ok(h.submit_evidence(submitted.evidence.as_slice())?)
    })
    .await?;
    add(&s.metrics.evidence_submitted, 1);
    s.tips.notify_waiters();
    if let (Some(e), true) = (evidence, reply.new) {
        s.announce(masspoc_net::Announce::Evidence(e));
    }
    Ok(Json(reply))
}

async fn anchors(State(s): State<Arc<Shared>>) -> ApiResult<AnchorList> {
    let Some(outbox) = s.outbox.clone() else {
        return Err(ApiError {
            status: 404,
            body: ErrorBody::new(
                codes::NOT_ANCHORING,
                "this bridge keeps no anchoring outbox",
            ),
        });
    };
    let list = tokio::task::spawn_blocking(move || super::anchor_list::anchor_list(&outbox))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
        .map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(Json(list))
}

/// The inclusion proof of one anchored item: from the anchors this node saw in its PoW chain
/// (anyone's, the lowest on the best chain), else as `masspoc anchors prove` builds it from the
/// outbox this bridge holds; the block's transactions come from its node.
async fn anchor_proof(
    State(s): State<Arc<Shared>>,
    q: Result<Query<AnchorProofQuery>, QueryRejection>,
) -> ApiResult<AnchorProof> {
    let q = query(q)?;
    let (Some(outbox), Some(rpc)) = (s.outbox.clone(), s.node.get().cloned()) else {
        return Err(ApiError {
            status: 404,
            body: ErrorBody::new(
                codes::NOT_ANCHORING,
                "this bridge keeps no anchoring outbox",
            ),
        });
    };
    let mut hash = [0u8; 32];
    hex::decode_to_slice(q.item.trim(), &mut hash)
        .map_err(|_| ApiError::bad_request(format!("item {:?} is not 64 hex digits", q.item)))?;
    let kinds = match q.kind.as_deref() {
        None => vec![ItemKind::Header, ItemKind::Evidence],
        Some("header") => vec![ItemKind::Header],
        Some("evidence") => vec![ItemKind::Evidence],
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "kind {other:?} is neither header nor evidence"
            )))
        }
    };
    let item_hex = q.item.clone();
    let host = s.clone();
    let built = tokio::task::spawn_blocking(move || {
        // Any anchor seen in the PoW chain, the lowest on the best chain (whoever sent it);
        // else this node's own batch, whose state explains why there is no proof yet.
        let on_best = |height: u64, id: &crate::pow::Hash256| {
            rpc.header_info(id)
                .is_ok_and(|i| i.confirmations > 0 && i.height == height)
        };
        for kind in &kinds {
            let item = Item { kind: *kind, hash };
            match build_seen_proof(host.host.seen(), &rpc, &on_best, &item) {
                Ok(Some(proof)) => return Some(Ok(proof)),
                Ok(None) => {}
                Err(e) => return Some(Err(e)),
            }
        }
        let item = kinds
            .into_iter()
            .map(|kind| Item { kind, hash })
            .find(|i| matches!(outbox.batch_of(i), Ok(Some(_))));
        item.map(|item| build_proof(&outbox, &rpc, &item))
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))?;
    match built {
        None => Err(ApiError {
            status: 404,
            body: ErrorBody::new(
                codes::UNKNOWN_ITEM,
                format!("item {item_hex} is in no anchor batch of this bridge"),
            ),
        }),
        Some(Ok(proof)) => Ok(Json(proof)),
        Some(Err(AnchorError::Invalid(why))) => Err(ApiError {
            status: 409,
            body: ErrorBody::new(codes::NOT_PROVABLE, why),
        }),
        Some(Err(e)) => Err(ApiError::internal(e.to_string())),
    }
}

async fn metrics(State(s): State<Arc<Shared>>) -> Result<String, ApiError> {
    let mut out = String::from("# TYPE masspoc_chain_height gauge\n");
    for c in s.host.chains() {
        out.push_str(&format!(
            "masspoc_chain_height{{chain=\"{}\"}} {}\n",
            c.name, c.height
        ));
    }
    let evidence = blocking(&s, |h| Ok(h.evidence()?.len())).await?;
    out.push_str(&format!(
        "# TYPE masspoc_evidence_total gauge\nmasspoc_evidence_total {evidence}\n"
    ));
    if let Ok(Some((h, _))) = s.pow_tip.lock().map(|t| t.clone()) {
        out.push_str(&format!(
            "# TYPE masspoc_pow_height gauge\nmasspoc_pow_height {h}\n"
        ));
    }
    s.metrics.render(&mut out);
    if let Some(outbox) = &s.outbox {
        let mut by_state = std::collections::BTreeMap::new();
        for b in outbox
            .batches()
            .map_err(|e| ApiError::internal(e.to_string()))?
        {
            let state = serde_json::to_value(b.state)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            *by_state.entry(state).or_insert(0u64) += 1;
        }
        render_batches(&mut out, &by_state);
    }
    if let Ok(Some(st)) = s.anchor_status.lock().map(|st| st.clone()) {
        super::metrics::render_anchor_status(&mut out, &st);
    }
    Ok(out)
}
