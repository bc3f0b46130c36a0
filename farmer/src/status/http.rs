//! The status server on `status_listen`: `GET /` (the page), `GET /status.json`,
//! `GET /history.json[?after=MS]` and `GET /assets/NAME` (the embedded scripts, styles and
//! uPlot, [`masspoc_api::assets`]). Hand-written like `/metrics`: GETs only, one request per
//! connection, a 5 s limit to send the request head, the Content-Security-Policy on every answer.

use super::Status;
use masspoc_api::assets::{self, Asset};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tracing::{debug, warn};

/// Serves the status on `listener` until the task is dropped or aborted.
pub async fn serve(listener: TcpListener, status: Arc<Status>) {
    loop {
        let (mut sock, peer) = match listener.accept().await {
            Ok(x) => x,
            Err(e) => {
                warn!(error = %masspoc_report::Report(&e), "status listener accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let status = Arc::clone(&status);
        tokio::spawn(async move {
            let mut buf = vec![0u8; 4096];
            let mut n = 0;
            // Read until the end of the request head (or the buffer is full).
            let head = tokio::time::timeout(Duration::from_secs(5), async {
                while n < buf.len() {
                    let got = sock.read(&mut buf[n..]).await.ok()?;
                    if got == 0 {
                        break;
                    }
                    n += got;
                    if buf[..n].windows(4).any(|w| w == b"\r\n\r\n") {
                        break;
                    }
                }
                Some(())
            })
            .await;
            if !matches!(head, Ok(Some(()))) || n == 0 {
                return;
            }
            let line = String::from_utf8_lossy(&buf[..n]);
            let target = line
                .strip_prefix("GET ")
                .and_then(|rest| rest.split(' ').next())
                .map(str::to_string);
            let reply = match target {
                Some(t) => answer(&status, &t),
                None => Reply::text("405 Method Not Allowed", "only GET\n"),
            };
            let head = format!(
                "HTTP/1.1 {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nContent-Security-Policy: {}\r\nX-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
                reply.status,
                reply.content_type,
                reply.body.len(),
                assets::CSP
            );
            let mut out = head.into_bytes();
            out.extend_from_slice(&reply.body);
            if let Err(e) = sock.write_all(&out).await {
                debug!(%peer, error = %masspoc_report::Report(&e), "status reply failed");
            }
            let _ = sock.shutdown().await;
        });
    }
}

struct Reply {
    status: &'static str,
    content_type: &'static str,
    body: Vec<u8>,
}

impl Reply {
    fn text(status: &'static str, body: &str) -> Self {
        Reply {
            status,
            content_type: "text/plain; charset=utf-8",
            body: body.as_bytes().to_vec(),
        }
    }

    fn asset(a: Asset) -> Self {
        Reply {
            status: "200 OK",
            content_type: a.content_type,
            body: a.body.to_vec(),
        }
    }

    fn json<T: serde::Serialize>(v: &T) -> Self {
        match serde_json::to_vec(v) {
            Ok(body) => Reply {
                status: "200 OK",
                content_type: "application/json",
                body,
            },
            Err(_) => Reply::text("500 Internal Server Error", "cannot encode\n"),
        }
    }
}

fn answer(status: &Status, target: &str) -> Reply {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    match path {
        "/" | "/index.html" => Reply::asset(assets::FARM_PAGE),
        "/status.json" => Reply::json(&status.snapshot()),
        "/history.json" => {
            let after = query
                .split('&')
                .find_map(|kv| kv.strip_prefix("after="))
                .map(str::parse::<u64>);
            match after {
                Some(Err(_)) => {
                    Reply::text("400 Bad Request", "after must be ms since the Unix epoch\n")
                }
                Some(Ok(t)) => Reply::json(&status.history(t)),
                None => Reply::json(&status.history(0)),
            }
        }
        _ => match path.strip_prefix("/assets/").and_then(assets::asset) {
            Some(a) => Reply::asset(a),
            None => Reply::text("404 Not Found", "not found\n"),
        },
    }
}
