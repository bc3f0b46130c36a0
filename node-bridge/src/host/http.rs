//! The chain host over HTTP/JSON (axum on tokio), as `docs/bridge-api.md` specifies. Rule checks
//! run on the blocking pool; `challenge?wait_ms=` long-polls until the tip changes.

use super::api::Health;
use super::metrics::{add, render_batches, BridgeMetrics};
use super::ChainHost;
use crate::anchor::Outbox;
use crate::error::HostError;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use masspoc_verifier::ChainId;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Longest long-poll.
pub const MAX_WAIT_MS: u64 = 30_000;

/// What the handlers share.
#[derive(Debug)]
pub struct Shared {
    /// The host.
    pub host: Mutex<ChainHost>,
    /// The followed PoW tip (height, display hash), set by the bridge loop.
    pub pow_tip: Mutex<Option<(u64, String)>>,
    /// Woken when a best tip changes.
    pub tips: tokio::sync::Notify,
    /// Counters for `GET /metrics`.
    pub metrics: BridgeMetrics,
    /// The anchoring outbox, read at scrape time for the batch gauge (when anchoring).
    pub outbox: Option<Arc<Outbox>>,
}

impl Shared {
    /// Wraps a host.
    pub fn new(host: ChainHost) -> Arc<Self> {
        Arc::new(Shared {
            host: Mutex::new(host),
            pow_tip: Mutex::new(None),
            tips: tokio::sync::Notify::new(),
            metrics: BridgeMetrics::default(),
            outbox: None,
        })
    }

    /// Wraps a host whose accepted items go to `outbox` (its batches show in `/metrics`).
    pub fn with_outbox(host: ChainHost, outbox: Arc<Outbox>) -> Arc<Self> {
        Arc::new(Shared {
            host: Mutex::new(host),
            pow_tip: Mutex::new(None),
            tips: tokio::sync::Notify::new(),
            metrics: BridgeMetrics::default(),
            outbox: Some(outbox),
        })
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, ChainHost>, ApiError> {
        self.host
            .lock()
            .map_err(|_| ApiError::internal("the host state is poisoned by an earlier panic"))
    }
}

/// An API error: status and `{"error": {"code", "message"}}`.
#[derive(Debug)]
pub struct ApiError {
    status: u16,
    code: String,
    message: String,
}

impl ApiError {
    fn bad_request(message: impl Into<String>) -> Self {
        ApiError {
            status: 400,
            code: "bad_request".into(),
            message: message.into(),
        }
    }

    fn internal(message: impl Into<String>) -> Self {
        ApiError {
            status: 500,
            code: "internal".into(),
            message: message.into(),
        }
    }
}

impl From<HostError> for ApiError {
    fn from(e: HostError) -> Self {
        ApiError {
            status: e.status(),
            code: e.code().to_string(),
            message: e.to_string(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (
            status,
            Json(json!({"error": {"code": self.code, "message": self.message}})),
        )
            .into_response()
    }
}

type ApiResult = Result<Json<Value>, ApiError>;

fn now_ms() -> u64 {
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

fn to_json<T: serde::Serialize>(v: &T) -> ApiResult {
    serde_json::to_value(v)
        .map(Json)
        .map_err(|e| ApiError::internal(e.to_string()))
}

fn body_hex(body: &Bytes, field: &str) -> Result<Vec<u8>, ApiError> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("body is not JSON: {e}")))?;
    let s = v
        .get(field)
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::bad_request(format!("body needs a \"{field}\" hex string")))?;
    hex::decode(s).map_err(|e| ApiError::bad_request(format!("{field} is not hex: {e}")))
}

/// The router.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/v1/health", get(health))
        .route("/v1/chains", get(chains))
        .route("/v1/chains/{chain_id}/challenge", get(challenge))
        .route(
            "/v1/chains/{chain_id}/headers",
            get(get_headers).post(post_header),
        )
        .route("/v1/evidence", get(get_evidence).post(post_evidence))
        .route("/metrics", get(metrics))
        .with_state(shared)
}

/// Serves until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(shared))
        .with_graceful_shutdown(shutdown)
        .await
}

async fn health(State(s): State<Arc<Shared>>) -> ApiResult {
    let (pow_height, pow_best) = s
        .pow_tip
        .lock()
        .map_err(|_| ApiError::internal("poisoned"))?
        .clone()
        .unwrap_or((0, String::new()));
    let chains = s.lock()?.chain_ids().len();
    to_json(&Health {
        status: "ok".into(),
        pow_height,
        pow_best,
        chains,
    })
}

async fn chains(State(s): State<Arc<Shared>>) -> ApiResult {
    Ok(Json(json!({"chains": s.lock()?.chains()})))
}

async fn challenge(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult {
    let chain = chain_id(&id)?;
    let wait_ms = query_u64(&q, "wait_ms", 0)?.min(MAX_WAIT_MS);
    let start_version = s.lock()?.tip_version(&chain)?;
    let deadline = Instant::now() + Duration::from_millis(wait_ms);
    loop {
        let notified = s.tips.notified();
        if s.lock()?.tip_version(&chain)? != start_version {
            break;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || tokio::time::timeout(left, notified).await.is_err() {
            break;
        }
    }
    let work = s.lock()?.work(&chain)?;
    let mut v = serde_json::to_value(&work).map_err(|e| ApiError::internal(e.to_string()))?;
    v["now_ms"] = json!(now_ms());
    Ok(Json(v))
}

fn query_u64(q: &HashMap<String, String>, key: &str, default: u64) -> Result<u64, ApiError> {
    match q.get(key) {
        Some(v) => v
            .parse()
            .map_err(|_| ApiError::bad_request(format!("{key} must be a non-negative integer"))),
        None => Ok(default),
    }
}

async fn get_headers(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult {
    let chain = chain_id(&id)?;
    let from = query_u64(&q, "from", 0)?;
    let limit = usize::try_from(query_u64(&q, "limit", 100)?).unwrap_or(usize::MAX);
    let headers = s.lock()?.headers(&chain, from, limit)?;
    Ok(Json(json!({"headers": headers})))
}

async fn post_header(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let chain = chain_id(&id)?;
    let bytes = body_hex(&body, "header")?;
    let shared = s.clone();
    let reply = tokio::task::spawn_blocking(move || -> Result<_, ApiError> {
        Ok(shared.lock()?.submit_header(&chain, &bytes, now_ms())?)
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))?;
    let reply = match reply {
        Ok(r) => {
            add(&s.metrics.submissions_accepted, 1);
            r
        }
        Err(e) => {
            s.metrics.rejected(&e.code);
            return Err(e);
        }
    };
    if reply.best {
        s.tips.notify_waiters();
    }
    to_json(&reply)
}

async fn get_evidence(State(s): State<Arc<Shared>>) -> ApiResult {
    Ok(Json(json!({"evidence": s.lock()?.evidence()?})))
}

async fn post_evidence(State(s): State<Arc<Shared>>, body: Bytes) -> ApiResult {
    let bytes = body_hex(&body, "evidence")?;
    let shared = s.clone();
    let reply = tokio::task::spawn_blocking(move || -> Result<_, ApiError> {
        Ok(shared.lock()?.submit_evidence(&bytes)?)
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))??;
    add(&s.metrics.evidence_submitted, 1);
    s.tips.notify_waiters();
    to_json(&reply)
}

async fn metrics(State(s): State<Arc<Shared>>) -> Result<String, ApiError> {
    let host = s.lock()?;
    let mut out = String::from("# TYPE masspoc_chain_height gauge\n");
    for c in host.chains() {
        out.push_str(&format!(
            "masspoc_chain_height{{chain=\"{}\"}} {}\n",
            c.name, c.height
        ));
    }
    let evidence = host.evidence()?.len();
    out.push_str(&format!(
        "# TYPE masspoc_evidence_total gauge\nmasspoc_evidence_total {evidence}\n"
    ));
    if let Ok(Some((h, _))) = s.pow_tip.lock().map(|t| t.clone()) {
        out.push_str(&format!(
            "# TYPE masspoc_pow_height gauge\nmasspoc_pow_height {h}\n"
        ));
    }
    drop(host);
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
    Ok(out)
}
