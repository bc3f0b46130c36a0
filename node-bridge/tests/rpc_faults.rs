//! The RPC client against a fake server used only for fault injection: malformed, truncated,
//! non-JSON and error replies give clear errors naming the method; transient failures (-28,
//! HTTP 503, a closed connection) are retried within the budget.

use crate::common;

use common::http::{response, TestServer};
use masspoc_node_bridge::rpc::{RpcAuth, RpcClient, RpcConfig};
use masspoc_node_bridge::RpcError;
use serde_json::json;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn client(url: &str) -> RpcClient {
    RpcClient::new(
        url,
        RpcAuth::UserPass {
            user: "u".into(),
            password: "p".into(),
        },
        RpcConfig {
            connect_timeout: Duration::from_secs(2),
            request_timeout: Duration::from_secs(2),
            retry_for: Duration::from_secs(3),
            initial_backoff: Duration::from_millis(20),
            max_backoff: Duration::from_millis(200),
        },
    )
}

fn fails_with(reply: Vec<u8>) -> RpcError {
    let server = TestServer::start(move |_, _| Some(reply.clone()));
    client(&server.url).block_count().unwrap_err()
}

#[test]
fn malformed_replies_are_clear_errors() {
    let e = fails_with(response("200 OK", b"<html>not json</html>"));
    assert!(matches!(e, RpcError::Malformed { .. }), "{e}");
    assert!(
        e.to_string().contains("getblockcount") && e.to_string().contains("not json"),
        "{e}"
    );

    let e = fails_with(response("200 OK", br#"{"result":12,"error":null"#));
    assert!(matches!(e, RpcError::Malformed { .. }), "{e}");

    let e = fails_with(response("200 OK", br#"{"id":1}"#));
    assert!(
        e.to_string().contains("neither a result nor an error"),
        "{e}"
    );

    let e = fails_with(response(
        "200 OK",
        br#"{"result":"seven","error":null,"id":1}"#,
    ));
    assert!(matches!(e, RpcError::UnexpectedResult { .. }), "{e}");
    assert!(e.to_string().contains("getblockcount"));

    let e = fails_with(response(
        "500 Internal Server Error",
        br#"{"result":null,"error":{"code":-8,"message":"Block height out of range"},"id":1}"#,
    ));
    assert_eq!(e.node_code(), Some(-8));
    assert!(e.to_string().contains("Block height out of range"), "{e}");

    let e = fails_with(response("404 Not Found", b"nope"));
    assert!(matches!(e, RpcError::Http { status: 404, .. }), "{e}");
}

#[test]
fn truncated_reply_is_a_clear_error() {
    let mut reply = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 200\r\nConnection: close\r\n\r\n".to_vec();
    reply.extend_from_slice(br#"{"result":12,"er"#);
    let e = fails_with(reply);
    assert!(matches!(e, RpcError::Truncated { .. }), "{e}");
    assert!(e.to_string().contains("getblockcount"), "{e}");

    // Garbage instead of an HTTP status line.
    let e = fails_with(b"SSH-2.0-OpenSSH\r\n\r\n".to_vec());
    assert!(e.to_string().contains("getblockcount"), "{e}");
}

#[test]
fn transient_failures_are_retried() {
    let calls = Arc::new(AtomicU32::new(0));
    let c = calls.clone();
    let server = TestServer::start(move |_, _| {
        let n = c.fetch_add(1, Ordering::SeqCst);
        match n {
            0 => None, // connection closed without an answer
            1 => Some(response("503 Service Unavailable", b"Work queue depth exceeded")),
            2 => Some(response(
                "500 Internal Server Error",
                br#"{"result":null,"error":{"code":-28,"message":"Loading block index..."},"id":1}"#,
            )),
            _ => Some(response("200 OK", br#"{"result":42,"error":null,"id":1}"#)),
        }
    });
    assert_eq!(client(&server.url).block_count().unwrap(), 42);
    assert_eq!(calls.load(Ordering::SeqCst), 4);
}

#[test]
fn retries_are_bounded() {
    let server = TestServer::start(|_, _| {
        Some(response(
            "500 Internal Server Error",
            br#"{"result":null,"error":{"code":-28,"message":"Verifying blocks..."},"id":1}"#,
        ))
    });
    let start = Instant::now();
    let e = client(&server.url).block_count().unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(6));
    assert!(matches!(e, RpcError::GaveUp { .. }), "{e}");
    assert!(e.to_string().contains("Verifying blocks"), "{e}");

    // Nothing listening: connection refused, retried, then a clear error.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let e = client(&format!("http://127.0.0.1:{port}"))
        .block_count()
        .unwrap_err();
    assert!(
        e.to_string().contains("getblockcount") && e.to_string().contains("cannot reach"),
        "{e}"
    );
}

#[test]
fn slow_node_times_out() {
    let server = TestServer::start(|_, _| {
        std::thread::sleep(Duration::from_secs(3));
        Some(response("200 OK", br#"{"result":1,"error":null,"id":1}"#))
    });
    let start = Instant::now();
    let e = client(&server.url).block_count().unwrap_err();
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
    assert!(matches!(e, RpcError::Transport { .. }), "{e}");
}

#[test]
fn batch_replies_are_matched_and_checked() {
    let server = TestServer::start(|_, body| {
        let req: serde_json::Value = serde_json::from_slice(body).ok()?;
        let replies: Vec<_> = req
            .as_array()?
            .iter()
            .rev()
            .map(|r| json!({"result": r["id"], "error": null, "id": r["id"]}))
            .collect();
        Some(response(
            "200 OK",
            serde_json::to_string(&replies).ok()?.as_bytes(),
        ))
    });
    let c = client(&server.url);
    let r = c
        .batch(&[("a", json!([])), ("b", json!([])), ("c", json!([]))])
        .unwrap();
    let ids: Vec<u64> = r
        .into_iter()
        .map(|v| v.unwrap().as_u64().unwrap())
        .collect();
    assert_eq!(ids, vec![0, 1, 2]);

    let bad = TestServer::start(|_, _| Some(response("200 OK", br#"{"result":1}"#)));
    let e = client(&bad.url).batch(&[("a", json!([]))]).unwrap_err();
    assert!(e.to_string().contains("batch[a]"), "{e}");
}

#[test]
fn refused_credentials_are_named_and_not_retried_for_passwords() {
    let server = TestServer::start(|_, _| {
        Some(
            b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec(),
        )
    });
    let start = Instant::now();
    let e = client(&server.url).block_count().unwrap_err();
    assert!(
        matches!(e, RpcError::Unauthorized { cookie: false, .. }),
        "{e}"
    );
    assert!(e.to_string().contains("user \"u\""), "{e}");
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "a wrong password is not retried"
    );
}
