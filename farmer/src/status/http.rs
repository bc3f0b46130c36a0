//! The status server's routes on `status_listen`: `GET /` (the page), `GET /status.json`,
//! `GET /history.json[?after=MS]` and `GET /assets/NAME` (the embedded scripts, styles and
//! uPlot, [`masspoc_api::assets`]). Served by [`masspoc_httpd::serve`]; every answer carries the
//! Content-Security-Policy, `nosniff` and `no-store`.

use super::Status;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use masspoc_api::assets::{self, Asset};
use std::sync::Arc;

/// The status page's router.
pub fn router(status: Arc<Status>) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/index.html", get(page))
        .route("/status.json", get(snapshot))
        .route("/history.json", get(history))
        .route("/assets/{name}", get(asset))
        .fallback(|| async { text(StatusCode::NOT_FOUND, "not found\n") })
        .layer(axum::middleware::map_response(secure))
        .with_state(status)
}

/// The headers every answer of the page carries ([`masspoc_httpd::secure`]).
async fn secure(r: Response) -> Response {
    masspoc_httpd::secure(r, assets::CSP)
}

fn text(status: StatusCode, body: &'static str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body,
    )
        .into_response()
}

fn serve_asset(a: Asset) -> Response {
    ([(header::CONTENT_TYPE, a.content_type)], a.body).into_response()
}

async fn page() -> Response {
    serve_asset(assets::FARM_PAGE)
}

async fn snapshot(State(status): State<Arc<Status>>) -> Response {
    Json(status.snapshot()).into_response()
}

async fn history(State(status): State<Arc<Status>>, RawQuery(query): RawQuery) -> Response {
    let after = query
        .as_deref()
        .unwrap_or("")
        .split('&')
        .find_map(|kv| kv.strip_prefix("after="))
        .map(str::parse::<u64>);
    match after {
        Some(Err(_)) => text(
            StatusCode::BAD_REQUEST,
            "after must be ms since the Unix epoch\n",
        ),
        Some(Ok(t)) => Json(status.history(t)).into_response(),
        None => Json(status.history(0)).into_response(),
    }
}

async fn asset(Path(name): Path<String>) -> Response {
    match assets::asset(&name) {
        Some(a) => serve_asset(a),
        None => text(StatusCode::NOT_FOUND, "not found\n"),
    }
}
