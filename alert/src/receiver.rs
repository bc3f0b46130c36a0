//! A webhook receiver on loopback for tests (feature `testkit`): a real HTTP/1.1 server that
//! answers every POST `200` and hands its body, parsed as an [`AlertMessage`], to a channel.

use super::AlertMessage;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A running receiver: its URL and what it got.
pub struct Receiver {
    /// `http://127.0.0.1:PORT/alerts`.
    pub url: String,
    rx: mpsc::Receiver<AlertMessage>,
}

impl Receiver {
    /// Starts one on a free loopback port (its thread lives as long as the process).
    #[must_use]
    pub fn start() -> Self {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let url = format!("http://{}/alerts", l.local_addr().expect("local address"));
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for sock in l.incoming() {
                let Ok(mut sock) = sock else { return };
                let Ok(read) = sock.try_clone() else { continue };
                let mut r = BufReader::new(read);
                let (mut len, mut line) = (0usize, String::new());
                loop {
                    line.clear();
                    if r.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        len = v.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0; len.min(1 << 20)];
                if r.read_exact(&mut body).is_err() {
                    continue;
                }
                let _ = sock.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
                if let Ok(m) = serde_json::from_slice(&body) {
                    if tx.send(m).is_err() {
                        return;
                    }
                }
            }
        });
        Receiver { url, rx }
    }

    /// Everything received until nothing more came for `quiet`.
    pub fn drain(&self, quiet: Duration) -> Vec<AlertMessage> {
        let mut out = Vec::new();
        while let Ok(m) = self.rx.recv_timeout(quiet) {
            out.push(m);
        }
        out
    }

    /// The first message of `kind` within `within` (every message read is kept in `seen`).
    pub fn wait_for(
        &self,
        kind: &str,
        within: Duration,
        seen: &mut Vec<AlertMessage>,
    ) -> Option<AlertMessage> {
        let start = Instant::now();
        while start.elapsed() < within {
            if let Ok(m) = self.rx.recv_timeout(Duration::from_millis(100)) {
                seen.push(m.clone());
                if m.kind == kind {
                    return Some(m);
                }
            }
        }
        None
    }
}
