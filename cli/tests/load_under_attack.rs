//! The chain node under attack while an honest farmer farms (issue 14's load test), with real
//! processes on loopback: a regtest litecoind, `masspoc bridge run` (anchoring on) and `masspoc
//! farm`. For 20 s, from other loopback addresses (127.0.0.2 …, so the per-client POST rate
//! applies to each attacker, not to the farmer on 127.0.0.1): junk evidence, junk headers,
//! replays of the chain's valid headers, and 50 connections that send half a request head and
//! then nothing. Meanwhile health is asked every 100 ms. Then: the farmer's blocks were all
//! accepted and it kept winning, health answered each time within 1 s, the bridge's RSS grew by
//! less than 64 MiB, nothing junk was queued or anchored (so no fee was spent on it), and every
//! slow connection was dropped within a minute.

use crate::common;
use common::local_chain;
use masspoc_node_bridge::regtest::RegtestNode;
use masspoc_verifier::evidence::EVIDENCE_LEN;
use masspoc_verifier::HEADER_LEN;
use serde_json::Value;
use socket2::{Domain, Socket, Type};
use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const TARGET_MS: u64 = 500;
const ATTACK: Duration = Duration::from_secs(20);

/// A TCP connection to `to` from loopback address 127.0.0.`host`.
fn connect_from(host: u8, to: SocketAddr) -> std::io::Result<TcpStream> {
    let s = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    s.bind(&SocketAddr::new(IpAddr::V4(Ipv4Addr::new(127, 0, 0, host)), 0).into())?;
    s.connect_timeout(&to.into(), Duration::from_secs(5))?;
    let s: TcpStream = s.into();
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    Ok(s)
}

/// POSTs JSON `body` to `path` from 127.0.0.`host`: the status code (0 when not answered).
fn post_from(host: u8, to: SocketAddr, path: &str, body: &str) -> u16 {
    let Ok(mut s) = connect_from(host, to) else {
        return 0;
    };
    let req = format!(
        "POST {path} HTTP/1.1\r\nHost: {to}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    if s.write_all(req.as_bytes()).is_err() {
        return 0;
    }
    let mut head = [0u8; 12];
    match s.read_exact(&mut head) {
        Ok(()) => std::str::from_utf8(&head[9..12])
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(0),
        Err(_) => 0,
    }
}

fn get_json(base: &str, path: &str) -> Option<Value> {
    let mut resp = ureq::get(&format!("{base}{path}")).call().ok()?;
    serde_json::from_str(&resp.body_mut().read_to_string().ok()?).ok()
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Random bytes as hex (xorshift; junk needs no cryptographic randomness).
fn junk_hex(len: usize, seed: &mut u64) -> String {
    (0..len)
        .map(|_| {
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            format!("{:02x}", *seed as u8)
        })
        .collect()
}

/// The round trip (µs) of every header the farmer logged as accepted after byte `from` of its
/// log (`header accepted … submit_us=N`).
///
/// Read as bytes and cut at `from` before decoding: `str::get(from..)` answers `None` when `from`
/// falls inside a multi-byte character, and `read_to_string` fails on any invalid byte; either
/// turned the whole log into "" and the submissions into none.
fn submit_us_logged(log: &std::path::Path, from: usize) -> Vec<u64> {
    let bytes = std::fs::read(log).unwrap_or_default();
    String::from_utf8_lossy(bytes.get(from..).unwrap_or_default())
        .lines()
        .filter(|l| l.contains("header accepted"))
        .filter_map(|l| {
            let at = l.find("submit_us=")? + "submit_us=".len();
            l[at..].split_whitespace().next()?.parse().ok()
        })
        .collect()
}

/// The farmer's totals for its one chain, from its status page.
fn farmer_totals(status_url: &str) -> Option<(u64, u64)> {
    let v = get_json(status_url, "/status.json")?;
    let t = &v["chains"][0]["totals"];
    Some((t["accepted"].as_u64()?, t["rejected"].as_u64()?))
}

#[test]
fn an_honest_farmer_farms_on_while_junk_replays_and_slow_clients_hit_its_node() {
    let mut node = RegtestNode::start().expect("litecoind starts");
    node.fund_wallet().unwrap();
    let beacon = node.rpc().best_block_hash().unwrap().to_string();
    let dir = common::scratch();
    local_chain::key_and_plots(dir.path(), 1);
    local_chain::write_one_chain(dir.path(), "load", &beacon, 1, TARGET_MS, "");
    let port = local_chain::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let bridge_log = dir.path().join("bridge.log");
    let mut bridge = local_chain::spawn_logged(
        local_chain::bridge_run_args(dir.path(), port, &node),
        &bridge_log,
    );
    let farmer_toml = local_chain::write_farmer_config(dir.path(), "load", &base);
    let farmer_log = dir.path().join("farmer.log");
    let mut farmer = local_chain::spawn_logged(
        [
            "farm".as_ref(),
            "--config".as_ref(),
            farmer_toml.as_os_str(),
        ],
        &farmer_log,
    );
    let until = Instant::now() + Duration::from_secs(60);
    let (chain_id, status_url) = loop {
        let chain = get_json(&base, "/v1/chains")
            .and_then(|v| v["chains"][0]["chain_id"].as_str().map(str::to_string));
        let status = common::status_url_in_log(&farmer_log);
        if let (Some(c), Some(s)) = (chain, status) {
            if farmer_totals(&s).is_some_and(|(a, _)| a >= 2) {
                break (c, s);
            }
        }
        assert!(
            Instant::now() < until,
            "the farmer won nothing in 60 s:\n{}",
            std::fs::read_to_string(&farmer_log).unwrap_or_default()
        );
        node.mine(1).unwrap();
        std::thread::sleep(Duration::from_millis(300));
    };
    let rss_before = rss_kib(bridge.id());
    let (accepted_before, _) = farmer_totals(&status_url).unwrap();
    let log_before = std::fs::metadata(&farmer_log).map_or(0, |m| m.len() as usize);

    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    // Requests the rate limit answered (429), the rest reached the checks.
    let limited = Arc::new(AtomicU64::new(0));
    let mut threads = Vec::new();
    let headers_path = format!("/v1/chains/{chain_id}/headers");
    // Junk evidence and junk headers, two attackers each.
    for (i, (path, field, len)) in [
        ("/v1/evidence".to_string(), "evidence", EVIDENCE_LEN),
        ("/v1/evidence".to_string(), "evidence", EVIDENCE_LEN),
        (headers_path.clone(), "header", HEADER_LEN),
        (headers_path.clone(), "header", HEADER_LEN),
    ]
    .into_iter()
    .enumerate()
    {
        let (stop, sent, limited) = (stop.clone(), sent.clone(), limited.clone());
        threads.push(std::thread::spawn(move || {
            let mut seed = 0x9e37_79b9_7f4a_7c15 ^ i as u64;
            while !stop.load(Ordering::Relaxed) {
                let body = format!("{{\"{field}\":\"{}\"}}", junk_hex(len, &mut seed));
                if post_from(2 + i as u8, addr, &path, &body) == 429 {
                    limited.fetch_add(1, Ordering::Relaxed);
                }
                sent.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    // Replays of the chain's own valid headers.
    {
        let (stop, sent, limited, base) =
            (stop.clone(), sent.clone(), limited.clone(), base.clone());
        let path = headers_path.clone();
        threads.push(std::thread::spawn(move || {
            let list = get_json(&base, &format!("{path}?from=0&limit=100")).unwrap_or_default();
            let headers: Vec<String> = list["headers"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|h| h.as_str().map(str::to_string))
                .collect();
            assert!(!headers.is_empty(), "no headers to replay: {list}");
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                let body = format!("{{\"header\":\"{}\"}}", headers[i % headers.len()]);
                if post_from(7, addr, &path, &body) == 429 {
                    limited.fetch_add(1, Ordering::Relaxed);
                }
                sent.fetch_add(1, Ordering::Relaxed);
                i += 1;
            }
        }));
    }
    // Slow clients: half a request head, then nothing; the time until the node drops each.
    let dropped_after: Arc<Mutex<Vec<Duration>>> = Arc::new(Mutex::new(Vec::new()));
    for c in 0..50u8 {
        let dropped_after = dropped_after.clone();
        threads.push(std::thread::spawn(move || {
            let started = Instant::now();
            let Ok(mut s) = connect_from(10 + c % 5, addr) else {
                return;
            };
            s.set_read_timeout(Some(Duration::from_secs(90))).unwrap();
            let _ = s.write_all(b"POST /v1/evidence HTTP/1.1\r\nHost: x\r\nContent-Le");
            let mut buf = [0u8; 256];
            // The node answers (408 or nothing) and closes: read ends.
            while matches!(s.read(&mut buf), Ok(n) if n > 0) {}
            dropped_after.lock().unwrap().push(started.elapsed());
        }));
    }
    // Health every 100 ms, and PoW blocks every second for the anchors, during the attack.
    let mut health_ms: Vec<u128> = Vec::new();
    let started = Instant::now();
    let mut mined_at = Instant::now();
    while started.elapsed() < ATTACK {
        let t = Instant::now();
        let ok = get_json(&base, "/v1/health").is_some_and(|v| v["status"] == "ok");
        let ms = t.elapsed().as_millis();
        assert!(ok, "health did not answer ok under attack (after {ms} ms)");
        health_ms.push(ms);
        if mined_at.elapsed() >= Duration::from_secs(1) {
            node.mine(1).unwrap();
            mined_at = Instant::now();
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    stop.store(true, Ordering::Relaxed);
    let rss_peak = rss_kib(bridge.id());
    for t in threads {
        t.join().unwrap();
    }
    let (accepted_after, rejected) = farmer_totals(&status_url).unwrap();
    let mut submit_us = submit_us_logged(&farmer_log, log_before);
    submit_us.sort_unstable();
    let submit_p = |q: usize| submit_us.get(submit_us.len() * q / 100).copied();
    node.mine(2).unwrap();
    std::thread::sleep(Duration::from_secs(2));
    let rss_after = rss_kib(bridge.id());

    health_ms.sort_unstable();
    let p99 = health_ms[health_ms.len() * 99 / 100];
    let max = *health_ms.last().unwrap();
    let drops = dropped_after.lock().unwrap().clone();
    let slowest = drops.iter().max().copied().unwrap_or_default();
    let requests = sent.load(Ordering::Relaxed);
    let limited = limited.load(Ordering::Relaxed);
    eprintln!(
        "load: {requests} junk/replayed requests in {:.1} s ({:.0}/s, {limited} answered 429 by \
         the rate limit, {} by the checks); health p99 {p99} ms, max \
         {max} ms over {} probes; RSS {rss_before} → {rss_peak} → {rss_after} KiB; farmer \
         accepted {} blocks under attack, rejected {rejected}; {} slow connections dropped, the \
         last after {:.1} s; honest submissions under attack: {} logged, p50 {:?} µs, p99 {:?} \
         µs, max {:?} µs",
        ATTACK.as_secs_f64(),
        requests as f64 / ATTACK.as_secs_f64(),
        requests - limited,
        health_ms.len(),
        accepted_after - accepted_before,
        drops.len(),
        slowest.as_secs_f64(),
        submit_us.len(),
        submit_p(50),
        submit_p(99),
        submit_us.last()
    );
    assert!(max < 1000, "health took {max} ms under attack");
    assert!(requests > 100, "the attack sent only {requests} requests");
    assert_eq!(rejected, 0, "the node refused an honest block");
    assert!(
        !submit_us.is_empty(),
        "{} blocks accepted under attack, none logged with submit_us:\n{}",
        accepted_after - accepted_before,
        common::log_tail(&farmer_log, 30)
    );
    assert!(
        submit_us.last().is_some_and(|us| *us < 1_000_000),
        "an honest submission took {:?} µs under attack",
        submit_us.last()
    );
    assert!(
        accepted_after > accepted_before,
        "the farmer won nothing under attack"
    );
    assert!(
        rss_peak.max(rss_after) < rss_before + 64 * 1024,
        "RSS {rss_before} → {rss_peak} → {rss_after} KiB"
    );
    assert_eq!(drops.len(), 50, "every slow connection was dropped");
    assert!(slowest < Duration::from_secs(60), "{slowest:?}");
    // Nothing junk queued or anchored: every item is one of the chain's blocks.
    let height = get_json(&base, "/v1/chains").unwrap()["chains"][0]["height"]
        .as_u64()
        .unwrap();
    let anchors = get_json(&base, "/v1/anchors").unwrap();
    let items: u64 = anchors["pending_items"].as_u64().unwrap()
        + anchors["batches"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["items"].as_u64().unwrap())
            .sum::<u64>();
    assert!(
        items <= height,
        "{items} items queued or anchored for a chain of {height} blocks: {anchors}"
    );
    let health = get_json(&base, "/v1/health").unwrap();
    assert_eq!(health["status"], "ok", "{health}");
    for child in [&mut farmer, &mut bridge] {
        child.kill().unwrap();
        child.wait().unwrap();
    }
}
