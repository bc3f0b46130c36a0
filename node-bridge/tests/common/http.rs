//! A minimal HTTP/1.1 server for tests (one thread, bounded lifetime): each request is answered
//! by a closure that gets the request body and returns raw response bytes (or `None` to close the
//! connection without answering).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// A running test server; stops when dropped.
pub struct TestServer {
    /// Its URL.
    pub url: String,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// Reads one HTTP request (headers and Content-Length body). Returns (head, body).
pub fn read_request(stream: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).ok()? == 0 || buf.len() > 64 * 1024 {
            return None;
        }
        buf.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&buf).to_string();
    let len = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    stream.read_exact(&mut body).ok()?;
    Some((head, body))
}

/// A complete response with a JSON (or any) body.
pub fn response(status: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

impl TestServer {
    /// Starts a server; `handler(head, body)` gives the bytes to send back.
    pub fn start<F>(handler: F) -> TestServer
    where
        F: Fn(&str, &[u8]) -> Option<Vec<u8>> + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        let thread = std::thread::spawn(move || {
            // Bounded: at most 10 minutes even if never dropped.
            let deadline = std::time::Instant::now() + Duration::from_secs(600);
            while !stop2.load(Ordering::Relaxed) && std::time::Instant::now() < deadline {
                match listener.accept() {
                    Ok((mut stream, _)) => {
                        stream.set_nonblocking(false).unwrap();
                        stream
                            .set_read_timeout(Some(Duration::from_secs(10)))
                            .unwrap();
                        if let Some((head, body)) = read_request(&mut stream) {
                            if let Some(reply) = handler(&head, &body) {
                                let _ = stream.write_all(&reply);
                            }
                        }
                        let _ = stream.shutdown(std::net::Shutdown::Both);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        TestServer {
            url,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Forwards a request to `upstream` (host:port) with `Connection: close`; returns (status line,
/// body).
pub fn forward(upstream: &str, head: &str, body: &[u8]) -> Option<(String, Vec<u8>)> {
    let mut s = TcpStream::connect(upstream).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    let mut lines = head.lines();
    let request_line = lines.next()?;
    let mut out = format!("{request_line}\r\n");
    for l in lines {
        let lower = l.to_ascii_lowercase();
        if l.is_empty() || lower.starts_with("connection:") || lower.starts_with("content-length:")
        {
            continue;
        }
        out.push_str(l);
        out.push_str("\r\n");
    }
    out.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    s.write_all(out.as_bytes()).ok()?;
    s.write_all(body).ok()?;
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).ok()?;
    let split = resp.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&resp[..split]).to_string();
    let status = head.lines().next()?.split_once(' ')?.1.to_string();
    Some((status, resp[split + 4..].to_vec()))
}
