//! What the client's retries say while the node does not answer: the first retry of an outage
//! says at warn what failed, where, the attempt and when the next comes; while the outage lasts a
//! reminder at most every [`REMIND`]; the first answer after it says so at info. One log is shared
//! by a client's clones, so many calls during one outage warn once (plus reminders), not once a
//! call or a try.

use crate::error::RpcError;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Least time between two warnings of one outage.
pub const REMIND: Duration = Duration::from_secs(5);

/// The outage a client is in, if any.
#[derive(Debug, Default)]
pub(crate) struct OutageLog {
    state: Mutex<Option<Outage>>,
}

#[derive(Debug)]
struct Outage {
    since: Instant,
    said: Instant,
    retries: u64,
}

/// One retry about to be made.
pub(crate) struct Retry<'a> {
    /// The URL posted to.
    pub url: &'a str,
    /// The method (or batch label).
    pub method: &'a str,
    /// The attempt that failed (1 = the first).
    pub attempt: u32,
    /// The pause before the next attempt.
    pub next_in: Duration,
    /// How much longer this call keeps retrying.
    pub gives_up_in: Duration,
}

impl OutageLog {
    /// Notes a transient failure that is retried after `r.next_in`.
    pub(crate) fn retrying(&self, r: &Retry<'_>, error: &RpcError) {
        let now = Instant::now();
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let error = masspoc_report::Report(error);
        let (next_in_ms, gives_up_in_s) = (
            u64::try_from(r.next_in.as_millis()).unwrap_or(u64::MAX),
            u64::try_from(r.gives_up_in.as_millis().div_ceil(1000)).unwrap_or(u64::MAX),
        );
        match state.as_mut() {
            None => {
                tracing::warn!(node = r.url, method = r.method, attempt = r.attempt, next_in_ms,
                    gives_up_in_s, %error, "node RPC failed; retrying");
                *state = Some(Outage {
                    since: now,
                    said: now,
                    retries: 1,
                });
            }
            Some(o) => {
                o.retries += 1;
                if now.duration_since(o.said) >= REMIND {
                    o.said = now;
                    tracing::warn!(node = r.url, method = r.method, attempt = r.attempt, next_in_ms,
                        gives_up_in_s, down_s = o.since.elapsed().as_secs(), retries = o.retries,
                        %error, "node RPC still failing; retrying");
                } else {
                    tracing::debug!(node = r.url, method = r.method, attempt = r.attempt, next_in_ms,
                        %error, "node RPC failed again; retrying");
                }
            }
        }
    }

    /// Notes an answer: ends the outage, if there was one, saying how long it lasted.
    pub(crate) fn answered(&self, method: &str, url: impl FnOnce() -> String) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(o) = state.take() {
            tracing::info!(
                node = url(),
                method,
                down_ms = u64::try_from(o.since.elapsed().as_millis()).unwrap_or(u64::MAX),
                retries = o.retries,
                "node RPC answers again"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::error::RpcError;
    use crate::rpc::{RpcAuth, RpcClient, RpcConfig};
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpListener;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// Answers one JSON-RPC request on `listener` with `result: 7`.
    fn answer_once(listener: TcpListener) -> std::thread::JoinHandle<()> {
        std::thread::spawn(move || {
            let (sock, _) = listener.accept().unwrap();
            let mut r = BufReader::new(sock);
            let mut len = 0;
            loop {
                let mut line = String::new();
                r.read_line(&mut line).unwrap();
                if line.trim().is_empty() {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap();
                }
            }
            r.read_exact(&mut vec![0; len]).unwrap();
            let body = r#"{"result": 7, "error": null, "id": 0}"#;
            write!(
                r.get_mut(),
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
                 Connection: close\r\n\r\n{body}",
                body.len()
            )
            .unwrap();
        })
    }

    #[test]
    fn an_outage_warns_once_with_what_where_and_when_then_says_it_ended() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener); // nobody listens there now: every attempt is refused
        let url = format!("http://{addr}");
        let client = RpcClient::new(
            &url,
            RpcAuth::None,
            RpcConfig {
                retry_for: Duration::from_millis(500),
                initial_backoff: Duration::from_millis(40),
                max_backoff: Duration::from_millis(80),
                ..RpcConfig::default()
            },
        );
        let out = Captured::default();
        let writer = out.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .with_max_level(tracing::Level::DEBUG)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            // Two calls in one outage, each retried several times.
            for _ in 0..2 {
                let e = client.call_value("getblockcount", serde_json::json!([]));
                assert!(
                    matches!(e, Err(RpcError::GaveUp { attempts, .. }) if attempts > 2),
                    "{e:?}"
                );
            }
            let server = answer_once(TcpListener::bind(addr).unwrap());
            assert_eq!(
                client
                    .call_value("getblockcount", serde_json::json!([]))
                    .unwrap(),
                7
            );
            server.join().unwrap();
        });
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let warned: Vec<&&str> = lines.iter().filter(|l| l.contains(" WARN ")).collect();
        assert_eq!(warned.len(), 1, "one warning for the outage:\n{text}");
        let w = warned[0];
        for part in [
            "node RPC failed; retrying",
            &format!("node=\"{url}\"") as &str,
            "method=\"getblockcount\"",
            "attempt=1",
            "next_in_ms=40",
            "gives_up_in_s=1",
            "Connection refused",
        ] {
            assert!(w.contains(part), "{part:?} missing in {w}");
        }
        let retried = lines.iter().filter(|l| l.contains("failed again")).count();
        assert!(retried >= 3, "each further try at debug:\n{text}");
        let back: Vec<&&str> = lines
            .iter()
            .filter(|l| l.contains("node RPC answers again"))
            .collect();
        assert_eq!(back.len(), 1, "{text}");
        assert!(
            back[0].contains(" INFO ") && back[0].contains(&format!("retries={}", retried + 1)),
            "{text}"
        );
    }
}
