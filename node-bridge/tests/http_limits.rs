//! The chain host's HTTP limits on a real server on loopback (docs/operations.md, "Limits"): a
//! `POST` without `Content-Type: application/json` is refused before it is read, a required
//! bearer token is checked, one client's `POST` rate is capped, oversize bodies are refused, a
//! client that sends half a request is dropped, and idle connections held open do not keep
//! health from answering.

use crate::common;

use common::host_server::HostServer;
use common::raw_request::request;
use masspoc_node_bridge::host::limits::{ApiLimits, ApiToken};
use masspoc_node_bridge::host::ChainHost;
use masspoc_node_bridge::store::Store;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::num::NonZeroU32;
use std::time::{Duration, Instant};

/// A host with no chains, served under `limits`.
struct Server {
    _srv: HostServer,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Server {
    fn start(limits: ApiLimits) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_data_dir(dir.path()).unwrap();
        let host = ChainHost::open(&store, vec![], false).unwrap();
        let srv = HostServer::start_with(host, limits);
        Server {
            addr: srv.addr,
            _srv: srv,
            _dir: dir,
        }
    }
}

/// Sends one raw HTTP/1.1 request (with `Connection: close`) and returns the status and body.
fn post(addr: SocketAddr, extra_headers: &str, body: &[u8]) -> (u16, String) {
    request(
        addr,
        &format!("POST /v1/evidence HTTP/1.1{extra_headers}"),
        body,
    )
}

const JSON: &str = "\r\nContent-Type: application/json";

#[test]
fn a_post_must_be_json_typed() {
    let srv = Server::start(ApiLimits::default());
    // A web page's "simple" cross-origin POST (text/plain, form) never reaches the handler.
    for ct in [
        "",
        "\r\nContent-Type: text/plain",
        "\r\nContent-Type: application/x-www-form-urlencoded",
    ] {
        let (status, body) = post(srv.addr, ct, br#"{"evidence":"00"}"#);
        assert_eq!(status, 415, "{ct:?}: {body}");
        assert!(body.contains("unsupported_media_type"), "{body}");
    }
    // With the type it is read and judged on its content.
    let (status, body) = post(
        srv.addr,
        "\r\nContent-Type: application/json; charset=utf-8",
        b"{",
    );
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("bad_request"), "{body}");
}

#[test]
fn a_required_token_is_checked_and_gets_are_open() {
    let srv = Server::start(ApiLimits {
        token: ApiToken::new("s3cret-token".into()),
        ..ApiLimits::default()
    });
    let (status, body) = post(srv.addr, JSON, b"{}");
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("unauthorized"), "{body}");
    assert!(!body.contains("s3cret"), "{body}");
    let (status, _) = post(
        srv.addr,
        &format!("{JSON}\r\nAuthorization: Bearer wrong"),
        b"{}",
    );
    assert_eq!(status, 401);
    let (status, body) = post(
        srv.addr,
        &format!("{JSON}\r\nAuthorization: Bearer s3cret-token"),
        b"{}",
    );
    assert_eq!(status, 400, "past the token, the body is judged: {body}");
    let (status, _) = request(srv.addr, "GET /v1/health HTTP/1.1", b"");
    assert_eq!(status, 200);
}

#[test]
fn one_clients_post_rate_is_capped() {
    let srv = Server::start(ApiLimits {
        posts_per_second: NonZeroU32::new(1).unwrap(),
        post_burst: NonZeroU32::new(5).unwrap(),
        ..ApiLimits::default()
    });
    let statuses: Vec<u16> = (0..12).map(|_| post(srv.addr, JSON, b"{").0).collect();
    let limited = statuses.iter().filter(|&&s| s == 429).count();
    let judged = statuses.iter().filter(|&&s| s == 400).count();
    // The burst (5, plus at most one refill while the loop runs) is judged, the rest refused.
    assert!((5..=7).contains(&judged), "{statuses:?}");
    assert_eq!(limited + judged, 12, "{statuses:?}");
    // GETs are not rate limited.
    assert_eq!(request(srv.addr, "GET /v1/health HTTP/1.1", b"").0, 200);
}

#[test]
fn an_oversize_body_is_refused() {
    let srv = Server::start(ApiLimits::default());
    let big = vec![b' '; masspoc_api::routes::MAX_BODY_BYTES + 1];
    let (status, _) = post(srv.addr, JSON, &big);
    assert_eq!(status, 413);
}

#[test]
fn half_sent_requests_are_dropped_and_idle_connections_do_not_block_health() {
    let srv = Server::start(ApiLimits {
        header_timeout: Duration::from_secs(1),
        ..ApiLimits::default()
    });
    // 100 clients that send half a request head and then nothing.
    let mut slow: Vec<TcpStream> = (0..100)
        .map(|_| {
            let mut s = TcpStream::connect(srv.addr).unwrap();
            s.write_all(b"POST /v1/evidence HTTP/1.1\r\nHost: x\r\n")
                .unwrap();
            s
        })
        .collect();
    let t = Instant::now();
    let (status, _) = request(srv.addr, "GET /v1/health HTTP/1.1", b"");
    assert_eq!(status, 200);
    assert!(
        t.elapsed() < Duration::from_secs(1),
        "health took {:?}",
        t.elapsed()
    );
    // Each slow client is closed by the server soon after the header time limit.
    for s in &mut slow {
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut buf = Vec::new();
        let _ = s.read_to_end(&mut buf);
    }
    assert!(
        t.elapsed() < Duration::from_secs(8),
        "slow clients were dropped after {:?}",
        t.elapsed()
    );
}
