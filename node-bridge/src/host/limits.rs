//! What the chain host's HTTP server allows a client (docs/operations.md, "Limits"): a connection
//! cap, header/body/request time limits, a body limit, `Content-Type: application/json` on every
//! `POST`, a per-client `POST` rate, a bound on concurrent submissions and an optional bearer
//! token for submissions. The server itself is hyper's ([`masspoc_httpd::serve`], called by `serve_with` below), the middleware
//! axum's and tower-http's, the rate limiter `governor`'s.

use super::http::{router, Shared};
use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Json;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use masspoc_api::{codes, routes, ErrorBody};
use masspoc_httpd::ServerLimits;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;
use subtle::ConstantTimeEq;
use tokio::sync::Semaphore;

/// The bridge's limits on its HTTP clients.
#[derive(Clone)]
pub struct ApiLimits {
    /// Connections served at once; further ones wait in the kernel's backlog.
    pub max_connections: usize,
    /// Time a client has to send a request's head, counted from the connection's start or the
    /// previous reply (so an idle keep-alive connection is closed after it too).
    pub header_timeout: Duration,
    /// Time a client has to send a request's body.
    pub body_timeout: Duration,
    /// Time a request may take in all (a long-poll's `wait_ms` comes on top).
    pub request_timeout: Duration,
    /// `POST`s a second one client (IP address) may send, after its burst.
    pub posts_per_second: NonZeroU32,
    /// `POST`s one client may send at once before its rate applies.
    pub post_burst: NonZeroU32,
    /// Submissions checked at once (each takes a blocking thread while the rules run).
    pub max_concurrent_posts: usize,
    /// When set, every `POST` must carry `Authorization: Bearer <token>`.
    pub token: Option<ApiToken>,
}

impl Default for ApiLimits {
    fn default() -> Self {
        ApiLimits {
            max_connections: 256,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(20),
            posts_per_second: NonZeroU32::new(50).expect("nonzero"),
            post_burst: NonZeroU32::new(100).expect("nonzero"),
            max_concurrent_posts: 16,
            token: None,
        }
    }
}

impl std::fmt::Debug for ApiLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiLimits")
            .field("max_connections", &self.max_connections)
            .field("header_timeout", &self.header_timeout)
            .field("body_timeout", &self.body_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("posts_per_second", &self.posts_per_second)
            .field("post_burst", &self.post_burst)
            .field("max_concurrent_posts", &self.max_concurrent_posts)
            .field("token", &self.token.as_ref().map(|_| "<set>"))
            .finish()
    }
}

/// A bearer token; never printed (its `Debug` says only that it is set).
#[derive(Clone)]
pub struct ApiToken(Arc<zeroize::Zeroizing<String>>);

impl ApiToken {
    /// A token; `None` for an empty string (no token).
    #[must_use]
    pub fn new(token: String) -> Option<Self> {
        let t = token.trim().to_string();
        (!t.is_empty()).then(|| ApiToken(Arc::new(zeroize::Zeroizing::new(t))))
    }

    /// Whether `header` (an `Authorization` value) carries this token, compared in constant time.
    fn admits(&self, header: Option<&[u8]>) -> bool {
        let Some(given) = header.and_then(|h| h.strip_prefix(b"Bearer ")) else {
            return false;
        };
        given.ct_eq(self.0.as_bytes()).into()
    }
}

/// The address of the client of a request, put in its extensions by [`serve_with`].
pub use masspoc_httpd::ClientAddr;

/// What the limit middleware keeps between requests.
struct Gate {
    limits: ApiLimits,
    rate: DefaultKeyedRateLimiter<IpAddr>,
    posts: Semaphore,
}

fn refuse(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(ErrorBody::new(code, message))).into_response()
}

/// Checks a `POST` against the token, the content type, the client's rate and the submission
/// slots, in that order; other methods pass untouched.
async fn gate(State(g): State<Arc<Gate>>, req: Request, next: Next) -> Response {
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    if let Some(token) = &g.limits.token {
        let auth = req
            .headers()
            .get(header::AUTHORIZATION)
            .map(|v| v.as_bytes());
        if !token.admits(auth) {
            return refuse(
                StatusCode::UNAUTHORIZED,
                codes::UNAUTHORIZED,
                "this bridge requires `Authorization: Bearer <token>` for submissions",
            );
        }
    }
    let json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !json {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            codes::UNSUPPORTED_MEDIA_TYPE,
            "a POST must be sent with `Content-Type: application/json`",
        );
    }
    if let Some(ClientAddr(ip)) = req.extensions().get::<ClientAddr>().copied() {
        if g.rate.check_key(&ip).is_err() {
            return refuse(
                StatusCode::TOO_MANY_REQUESTS,
                codes::RATE_LIMITED,
                "too many submissions from this address; retry in a second",
            );
        }
    }
    let Ok(_slot) = g.posts.try_acquire() else {
        return refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            codes::BUSY,
            "every submission slot is busy; retry shortly",
        );
    };
    next.run(req).await
}

/// The router with every limit applied.
pub fn limited_router(shared: Arc<Shared>, limits: &ApiLimits) -> axum::Router {
    let quota = Quota::per_second(limits.posts_per_second).allow_burst(limits.post_burst);
    let gate_state = Arc::new(Gate {
        limits: limits.clone(),
        rate: RateLimiter::keyed(quota),
        posts: Semaphore::new(limits.max_concurrent_posts.max(1)),
    });
    let total = limits.request_timeout + Duration::from_millis(routes::MAX_WAIT_MS);
    router(shared)
        .layer(middleware::from_fn_with_state(gate_state.clone(), gate))
        .layer(axum::extract::DefaultBodyLimit::max(routes::MAX_BODY_BYTES))
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            limits.body_timeout,
        ))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            total,
        ))
        .layer(middleware::from_fn_with_state(gate_state, prune_rates))
}

/// Forgets rate state of clients that have been quiet, so the limiter's memory stays bounded.
async fn prune_rates(State(g): State<Arc<Gate>>, req: Request, next: Next) -> Response {
    if g.rate.len() > 4096 {
        g.rate.retain_recent();
    }
    next.run(req).await
}

/// Serves the limited router on `listener` under `limits` until `shutdown` completes; then gives
/// the connections still open up to two seconds to finish and closes the rest.
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
    limits: ApiLimits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = limited_router(shared, &limits);
    let server = ServerLimits {
        max_connections: limits.max_connections,
        header_timeout: limits.header_timeout,
        drain: Duration::from_secs(2),
    };
    masspoc_httpd::serve("chain host", listener, app, server, shutdown).await
}
