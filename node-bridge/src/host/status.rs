//! The chain node's status: `GET /v1/status` (JSON) and the page at `GET /` with its embedded
//! assets at `GET /assets/NAME` (`masspoc_api::assets`, shared with the farmer's page). Every
//! answer carries the Content-Security-Policy, `nosniff` and `no-store` ([`masspoc_httpd::secure`]). `docs/bridge-api.md` ("Status") shows the JSON.

use super::http::{now_ms, Shared};
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use masspoc_api::assets::{self, Asset};
use masspoc_api::{AnchorList, ChainInfo};
use serde::{Deserialize, Serialize};
use std::sync::{Arc, OnceLock};

/// Evidence rows listed in the status (all are counted in `evidence_total`).
pub const MAX_EVIDENCE_LISTED: usize = 200;

/// `GET /v1/status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeStatus {
    /// The node's clock, ms since the Unix epoch.
    pub now_ms: u64,
    /// When the node's HTTP server started, ms since the Unix epoch.
    pub started_ms: u64,
    /// The followed proof-of-work tip's height and hash, once known.
    pub pow_height: Option<u64>,
    /// Its block hash (display order hex).
    pub pow_best: Option<String>,
    /// Connected chain-network peers (`null` without a network).
    pub peers: Option<u64>,
    /// This node's peer id on the chain network.
    pub peer_id: Option<String>,
    /// The hosted chains and their best tips.
    pub chains: Vec<ChainInfo>,
    /// The anchoring outbox's batches with their confirmations (`null` when not anchoring).
    pub anchors: Option<AnchorList>,
    /// Evidence held, in total.
    pub evidence_total: u64,
    /// The first [`MAX_EVIDENCE_LISTED`] of it.
    pub evidence: Vec<EvidenceSummary>,
}

/// One piece of evidence, decoded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceSummary {
    /// Its id (hex).
    pub id: String,
    /// The chain's name (or its id in hex when not hosted).
    pub chain: String,
    /// The height of the two headers.
    pub height: u64,
    /// The equivocating farmer's key (hex).
    pub farmer_pk: String,
    /// Whether its anchor is final.
    pub anchored: bool,
}

fn started_ms() -> u64 {
    static STARTED: OnceLock<u64> = OnceLock::new();
    *STARTED.get_or_init(now_ms)
}

/// The status routes, merged into the API router.
pub(crate) fn routes() -> Router<Arc<Shared>> {
    started_ms();
    Router::new()
        .route("/", get(page))
        .route("/v1/status", get(status))
        .route("/assets/{name}", get(asset))
        .layer(axum::middleware::map_response(secure))
}

fn serve_asset(a: Asset) -> Response {
    ([(header::CONTENT_TYPE, a.content_type)], a.body).into_response()
}

/// The headers every status answer carries ([`masspoc_httpd::secure`]).
async fn secure(r: Response) -> Response {
    masspoc_httpd::secure(r, assets::CSP)
}

async fn page() -> Response {
    serve_asset(assets::NODE_PAGE)
}

async fn asset(Path(name): Path<String>) -> Response {
    match assets::asset(&name) {
        Some(a) => serve_asset(a),
        None => (StatusCode::NOT_FOUND, "not found\n").into_response(),
    }
}

async fn status(State(s): State<Arc<Shared>>) -> Response {
    match build(&s).await {
        Ok(st) => Json(st).into_response(),
        Err(e) => {
            tracing::error!(detail = %e, "cannot build the status");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error; the node's log has the details\n",
            )
                .into_response()
        }
    }
}

/// The node's status now.
pub(crate) async fn build(s: &Arc<Shared>) -> Result<NodeStatus, String> {
    let (pow_height, pow_best) = match s.pow_tip.lock().map(|t| t.clone()) {
        Ok(Some((h, b))) => (Some(h), Some(b)),
        _ => (None, None),
    };
    let chains = s.host.chains();
    let shared = s.clone();
    let rows = tokio::task::spawn_blocking(move || shared.host.evidence())
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    let name_of = |id: &masspoc_verifier::ChainId| {
        chains
            .iter()
            .find(|c| c.chain_id == *id)
            .map_or_else(|| id.to_string(), |c| c.name.clone())
    };
    let evidence = rows
        .iter()
        .take(MAX_EVIDENCE_LISTED)
        .filter_map(|row| {
            let e = masspoc_verifier::Evidence::decode(row.evidence.as_slice()).ok()?;
            let (a, _) = e.headers();
            Some(EvidenceSummary {
                id: row.hash.to_string(),
                chain: name_of(&a.chain_id),
                height: a.height.0,
                farmer_pk: a.proof.farmer_pk.to_hex(),
                anchored: row.anchored,
            })
        })
        .collect();
    let (peers, peer_id) = match s.net.get() {
        Some(net) => match net.status().await {
            Ok(st) => (Some(st.peers.len() as u64), Some(st.peer_id.to_string())),
            Err(_) => (None, Some(net.peer_id().to_string())),
        },
        None => (None, None),
    };
    let anchors = match s.outbox.clone() {
        Some(outbox) => Some(
            tokio::task::spawn_blocking(move || super::anchor_list::anchor_list(&outbox))
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| e.to_string())?,
        ),
        None => None,
    };
    Ok(NodeStatus {
        now_ms: now_ms(),
        started_ms: started_ms(),
        pow_height,
        pow_best,
        peers,
        peer_id,
        chains,
        anchors,
        evidence_total: rows.len() as u64,
        evidence,
    })
}
