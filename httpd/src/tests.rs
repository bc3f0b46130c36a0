use super::*;
use axum::routing::get;
use std::io::{Read, Write};

async fn start(limits: ServerLimits) -> (std::net::SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().route(
        "/who",
        get(|axum::Extension(c): axum::Extension<ClientAddr>| async move { c.0.to_string() }),
    );
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(serve("test", listener, app, limits, async move {
        let _ = rx.await;
    }));
    (addr, tx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_and_tells_the_handler_its_client() {
    let (addr, _stop) = start(ServerLimits::local()).await;
    let body = tokio::task::spawn_blocking(move || {
        ureq::get(&format!("http://{addr}/who"))
            .call()
            .unwrap()
            .body_mut()
            .read_to_string()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(body, "127.0.0.1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_sent_request_is_dropped_after_the_head_timeout() {
    let limits = ServerLimits {
        header_timeout: Duration::from_millis(300),
        ..ServerLimits::local()
    };
    let (addr, _stop) = start(limits).await;
    let waited = tokio::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(b"GET /who HTTP/1.1\r\nHost: x\r\n").unwrap();
        let start = std::time::Instant::now();
        let mut out = Vec::new();
        // The server closes the connection (possibly after a 408 reply): read reaches its end.
        let _ = s.read_to_end(&mut out);
        start.elapsed()
    })
    .await
    .unwrap();
    assert!(waited < Duration::from_secs(5), "dropped after {waited:?}");
    assert!(
        waited >= Duration::from_millis(250),
        "dropped after {waited:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stops_accepting_when_shutdown_completes() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(
        "test",
        listener,
        axum::Router::new(),
        ServerLimits::local(),
        async move {
            let _ = rx.await;
        },
    ));
    tx.send(()).unwrap();
    let ended = tokio::time::timeout(Duration::from_secs(5), server).await;
    assert!(matches!(ended, Ok(Ok(Ok(())))), "{ended:?}");
}

#[test]
fn secure_sets_the_three_headers_and_keeps_the_others() {
    use axum::http::header;
    use axum::response::IntoResponse;
    let r = (
        [
            (header::CONTENT_TYPE, "text/html"),
            (header::CACHE_CONTROL, "max-age=60"),
        ],
        "x",
    )
        .into_response();
    let r = secure(r, "default-src 'none'");
    let h = r.headers();
    assert_eq!(h[header::CONTENT_SECURITY_POLICY], "default-src 'none'");
    assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(h[header::CACHE_CONTROL], "no-store");
    assert_eq!(h.get_all(header::CACHE_CONTROL).iter().count(), 1);
    assert_eq!(h[header::CONTENT_TYPE], "text/html");
}
