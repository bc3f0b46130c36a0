//! masspoc-httpd: the one HTTP server of the project. The chain node's API, the farmer's status
//! page and both processes' `/metrics` are axum routers served by [`serve`]: hyper's HTTP/1
//! connection handling with a cap on open connections, a time limit for each request head (so a
//! client that sends half a request is dropped) and a graceful stop. Nothing here parses HTTP
//! by hand.

use axum::body::Body;
use axum::extract::Request;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

/// What one server allows its clients at the connection level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerLimits {
    /// Connections served at once; further ones wait in the kernel's backlog.
    pub max_connections: usize,
    /// Time a client has to send a request's head, counted from the connection's start or the
    /// previous reply (so an idle keep-alive connection is closed after it too).
    pub header_timeout: Duration,
    /// How long open requests may still run after the stop before they are cut.
    pub drain: Duration,
}

impl ServerLimits {
    /// Limits for a loopback page or metrics endpoint: 64 connections, 5 s for a request head,
    /// 1 s to drain.
    #[must_use]
    pub fn local() -> Self {
        ServerLimits {
            max_connections: 64,
            header_timeout: Duration::from_secs(5),
            drain: Duration::from_secs(1),
        }
    }
}

/// The address of a request's client, put in its extensions by [`serve`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// Serves `app` on `listener` under `limits` until `shutdown` completes, then gives the requests
/// still open `limits.drain` to finish and closes the rest. `name` says whose server it is in
/// the log lines.
pub async fn serve(
    name: &'static str,
    listener: TcpListener,
    app: axum::Router,
    limits: ServerLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    // Out of descriptors and the like: wait instead of spinning.
                    tracing::warn!(server = name, error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let ip = peer.ip();
        let svc = app
            .clone()
            .map_request(move |mut req: Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(ClientAddr(ip));
                req.map(Body::new)
            });
        let conn = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), TowerToHyperService::new(svc))
            .into_owned();
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(server = name, %peer, error = %e, "connection ended with an error");
            }
            drop(permit);
        });
    }
    tracing::info!(
        server = name,
        drain_ms = limits.drain.as_millis() as u64,
        "no longer accepting; waiting for open requests"
    );
    if tokio::time::timeout(limits.drain, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::info!(
            server = name,
            "closed the connections still open after the drain"
        );
    }
    Ok(())
}

/// Sets the security headers every status page, asset and JSON answer of the project carries:
/// `Content-Security-Policy: csp` (the caller's policy, e.g. `masspoc_api::assets::CSP`),
/// `X-Content-Type-Options: nosniff` and `Cache-Control: no-store`. Existing values of these
/// headers are replaced; other headers are left as they are.
pub fn set_security_headers(headers: &mut axum::http::HeaderMap, csp: &'static str) {
    use axum::http::{header, HeaderValue};
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(csp),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// [`set_security_headers`] on a whole answer, for `axum::middleware::map_response`.
#[must_use]
pub fn secure(
    mut response: axum::response::Response,
    csp: &'static str,
) -> axum::response::Response {
    set_security_headers(response.headers_mut(), csp);
    response
}

#[cfg(test)]
mod tests;
