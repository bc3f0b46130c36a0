//! A junk flood against a running bridge on loopback (`docs/operations.md`, "Load"): threads
//! POST random "evidence" (valid length, random bytes, so it fails decoding or the admission
//! check) as fast as they are answered, while one thread asks `GET /v1/health` ten times a
//! second; prints requests answered per second by status, the health latency p50/p99 and the
//! bridge's resident memory before and after (from `/proc/PID/status`).
//!
//! ```text
//! cargo run --release -p masspoc-node-bridge --example junk_flood -- \
//!     http://127.0.0.1:8737 SECONDS THREADS BRIDGE_PID
//! ```
//!
//! Bounded: at most 120 s and 32 threads, and only loopback URLs are accepted.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn junk(seed: &mut u64) -> String {
    let mut bytes = vec![0u8; masspoc_verifier::evidence::EVIDENCE_LEN];
    for b in bytes.iter_mut() {
        // xorshift64: cheap, different every request.
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *b = *seed as u8;
    }
    format!("{{\"evidence\":\"{}\"}}", hex::encode(bytes))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 5 {
        eprintln!("usage: junk_flood URL SECONDS THREADS BRIDGE_PID");
        std::process::exit(2);
    }
    let url = args[1].trim_end_matches('/').to_string();
    let loopback = ["http://127.", "http://localhost:", "http://[::1]:"];
    if !loopback.iter().any(|p| url.starts_with(p)) {
        eprintln!("refusing {url}: loopback only");
        std::process::exit(2);
    }
    let seconds: u64 = args[2].parse().unwrap_or(10).min(120);
    let threads: usize = args[3].parse().unwrap_or(4).clamp(1, 32);
    let pid: u32 = args[4].parse().unwrap_or(0);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into();
    let rss_before = rss_kib(pid);
    let stop = Arc::new(AtomicBool::new(false));
    let statuses = Arc::new(Mutex::new(BTreeMap::<String, u64>::new()));
    let start = Instant::now();
    let mut handles = Vec::new();
    for t in 0..threads {
        let (agent, url, stop, statuses) =
            (agent.clone(), url.clone(), stop.clone(), statuses.clone());
        handles.push(std::thread::spawn(move || {
            let mut seed = 0x9e37_79b9_7f4a_7c15u64 ^ (t as u64 + 1);
            let mut local = BTreeMap::<String, u64>::new();
            while !stop.load(Ordering::Relaxed) {
                let code = match agent
                    .post(&format!("{url}/v1/evidence"))
                    .header("Content-Type", "application/json")
                    .send(junk(&mut seed))
                {
                    Ok(r) => r.status().as_u16().to_string(),
                    Err(_) => "error".to_string(),
                };
                *local.entry(code).or_default() += 1;
            }
            let mut all = statuses.lock().unwrap_or_else(|e| e.into_inner());
            for (k, v) in local {
                *all.entry(k).or_default() += v;
            }
        }));
    }
    let mut health_ms = Vec::new();
    let mut rss_max = rss_before.unwrap_or(0);
    while start.elapsed() < Duration::from_secs(seconds) {
        let t = Instant::now();
        let ok = agent
            .get(&format!("{url}/v1/health"))
            .call()
            .is_ok_and(|r| r.status() == 200);
        health_ms.push(if ok {
            t.elapsed().as_secs_f64() * 1000.0
        } else {
            f64::INFINITY
        });
        rss_max = rss_max.max(rss_kib(pid).unwrap_or(0));
        std::thread::sleep(Duration::from_millis(100));
    }
    stop.store(true, Ordering::Relaxed);
    for h in handles {
        let _ = h.join();
    }
    let elapsed = start.elapsed().as_secs_f64();
    let statuses = statuses.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let total: u64 = statuses.values().sum();
    health_ms.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        health_ms
            .get(((health_ms.len() as f64 - 1.0) * p) as usize)
            .copied()
            .unwrap_or(f64::NAN)
    };
    println!(
        "{{\"seconds\": {elapsed:.1}, \"threads\": {threads}, \"requests\": {total}, \
         \"requests_per_s\": {:.0}, \"by_status\": {statuses:?}, \"health_p50_ms\": {:.1}, \
         \"health_p99_ms\": {:.1}, \"rss_kib_before\": {:?}, \"rss_kib_max\": {rss_max}, \
         \"rss_kib_after\": {:?}}}",
        total as f64 / elapsed,
        pct(0.5),
        pct(0.99),
        rss_before,
        rss_kib(pid)
    );
}
