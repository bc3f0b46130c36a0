//! The status pages with real processes: a regtest litecoind, `masspoc bridge run` and `masspoc
//! farm` with `status_listen` and `[alerts]`. Checks `masspoc farm summary` (table and `--json`)
//! and the farmer's `/status.json` and `/history.json` against the running chain, the node's
//! `/v1/status`, both pages in Debian's chromium driven headless over the DevTools protocol (no
//! console errors, the charts got data points, a screenshot of each in the test's directory), and
//! alerts a real webhook receiver and a command get: a plot that disappears (`plot_missing`) and
//! the chain node killed (`node_unreachable`), each once.
//!
//! Chromium must be at /usr/bin/chromium (`scripts/test.sh` installs Debian's `chromium`); the
//! test fails, saying so, when it is not.

use crate::common;

use common::{local_chain, masspoc, Run};
use headless_chrome::protocol::cdp::types::Event;
use headless_chrome::protocol::cdp::Page::CaptureScreenshotFormatOption;
use headless_chrome::{Browser, LaunchOptions};
use masspoc_alert::receiver::Receiver;
use masspoc_alert::AlertMessage;
use masspoc_node_bridge::regtest::RegtestNode;
use serde_json::Value;
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const CHROMIUM: &str = "/usr/bin/chromium";
const TARGET_MS: u64 = 500;

fn get_text(url: &str) -> Option<(u16, String, Option<String>)> {
    let agent = ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(5)))
            .build(),
    );
    let mut resp = agent.get(url).call().ok()?;
    let csp = resp
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string().ok()?;
    Some((status, text, csp))
}

fn get_json(url: &str) -> Option<Value> {
    let (status, text, _) = get_text(url)?;
    (status == 200).then(|| serde_json::from_str(&text).ok())?
}

/// Polls `f` every 200 ms until it gives `Some`, or panics after `within` naming `what`.
fn wait_for<T>(within: Duration, what: &str, log: &Path, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            start.elapsed() < within,
            "{what}: not within {within:?}; farmer log:\n{}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The webhook message of `kind`, skipping others; panics after `within`.
fn alert_of(
    hook: &Receiver,
    kind: &str,
    within: Duration,
    seen: &mut Vec<AlertMessage>,
) -> AlertMessage {
    hook.wait_for(kind, within, seen)
        .unwrap_or_else(|| panic!("no {kind} alert within {within:?}; got {seen:?}"))
}

/// What the page reports of itself after loading: console errors and chart data points.
struct PageRun {
    errors: Vec<String>,
    points: u64,
}

/// Loads `url` in headless chromium, waits until `points_js` (a JS expression giving a number)
/// is at least 2, and writes a screenshot to `shot`.
fn drive_page(browser: &Browser, url: &str, points_js: &str, shot: &Path) -> PageRun {
    let tab = browser.new_tab().expect("a tab");
    let errors = Arc::new(Mutex::new(Vec::<String>::new()));
    let e2 = Arc::clone(&errors);
    tab.enable_log().unwrap();
    tab.enable_runtime().unwrap();
    tab.add_event_listener(Arc::new(move |event: &Event| {
        let msg = match event {
            Event::RuntimeConsoleAPICalled(e)
                if format!("{:?}", e.params.Type).contains("Error") =>
            {
                Some(format!("console.error: {:?}", e.params.args))
            }
            Event::RuntimeExceptionThrown(e) => {
                Some(format!("exception: {:?}", e.params.exception_details))
            }
            Event::LogEntryAdded(e) if format!("{:?}", e.params.entry.level).contains("Error") => {
                Some(format!(
                    "log: {} {:?}",
                    e.params.entry.text, e.params.entry.url
                ))
            }
            _ => None,
        };
        if let Some(m) = msg {
            e2.lock().unwrap().push(m);
        }
    }))
    .unwrap();
    tab.navigate_to(url)
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    let start = Instant::now();
    let mut points = 0;
    while start.elapsed() < Duration::from_secs(30) {
        let v = tab.evaluate(points_js, false).unwrap();
        points = v.value.and_then(|v| v.as_u64()).unwrap_or(0);
        if points >= 2 {
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    let png = tab
        .capture_screenshot(CaptureScreenshotFormatOption::Png, None, None, true)
        .unwrap();
    std::fs::write(shot, &png).unwrap();
    let errors = errors.lock().unwrap().clone();
    let _ = tab.close(true);
    PageRun { errors, points }
}

fn launch_chromium(profile: &Path) -> Browser {
    assert!(
        Path::new(CHROMIUM).exists(),
        "{CHROMIUM} is missing: the status page test needs Debian's chromium \
         (scripts/test.sh installs it: apt-get install -y chromium)"
    );
    let args: Vec<&std::ffi::OsStr> = [
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]
    .iter()
    .map(std::ffi::OsStr::new)
    .collect();
    Browser::new(
        LaunchOptions::default_builder()
            .path(Some(CHROMIUM.into()))
            .headless(true)
            .sandbox(false)
            .window_size(Some((420, 1400)))
            .user_data_dir(Some(profile.to_path_buf()))
            .args(args)
            .idle_browser_timeout(Duration::from_secs(120))
            .build()
            .unwrap(),
    )
    .expect("chromium starts headless")
}

fn kill(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn status_pages_summary_and_alerts_of_a_running_farmer_and_chain_node() {
    let mut node = RegtestNode::start().expect("litecoind starts");
    node.fund_wallet().unwrap();
    let beacon = node.rpc().best_block_hash().unwrap().to_string();
    let dir = common::scratch();
    let d = |p: &str| dir.path().join(p).display().to_string();
    local_chain::key_and_plots(dir.path(), 2);
    local_chain::write_one_chain(dir.path(), "status", &beacon, 2, TARGET_MS, "");
    let port = local_chain::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut bridge = masspoc()
        .args(local_chain::bridge_run_args(dir.path(), port, &node))
        .arg("--allow-weak-params")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(d("bridge.log")).unwrap())
        .spawn()
        .unwrap();
    let hook = Receiver::start();
    let hook_url = hook.url.clone();
    let alert_file = d("alerts.jsonl");
    std::fs::write(
        d("farmer.toml"),
        format!(
            "key_file = \"farmer.key\"\nplot_dirs = [\"plots\"]\nrescan_interval_secs = 1\n\
             lookup_budget_ms = 1000\nstatus_listen = \"127.0.0.1:0\"\nstatus_interval_secs = 1\n\
             [[chain]]\nname = \"status\"\nbridge = \"{base}\"\n\
             [alerts]\nwebhook = \"{hook_url}\"\ncommand = [\"sh\", \"-c\", \"cat >> '{alert_file}'; echo >> '{alert_file}'\"]\n\
             min_interval_secs = 0\n"
        ),
    )
    .unwrap();
    let farmer_log = dir.path().join("farmer.log");
    let mut farmer = masspoc()
        .args(["farm", "--config", &d("farmer.toml")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&farmer_log).unwrap())
        .spawn()
        .unwrap();
    let status_url = wait_for(
        Duration::from_secs(30),
        "status page URL in the log",
        &farmer_log,
        || common::status_url_in_log(&farmer_log),
    );

    // The farmer's status follows the chain: blocks accepted, height from the node.
    let status = wait_for(
        Duration::from_secs(60),
        "accepted blocks in status.json",
        &farmer_log,
        || {
            let s = get_json(&format!("{status_url}/status.json"))?;
            (s["chains"][0]["totals"]["accepted"].as_u64()? >= 2
                && s["chains"][0]["height"].as_u64()? >= 2)
                .then_some(s)
        },
    );
    let chain_height = get_json(&format!("{base}/v1/chains")).unwrap()["chains"][0]["height"]
        .as_u64()
        .unwrap();
    let c = &status["chains"][0];
    assert_eq!(c["label"], "status");
    assert!(c["reachable"].as_bool().unwrap());
    assert!(c["height"].as_u64().unwrap() <= chain_height, "{c}");
    assert_eq!(status["local"]["plots"], 2, "{status}");
    assert_eq!(status["disks"][0]["plots"], 2);
    let plot_list = status["disks"][0]["plot_list"].as_array().unwrap();
    assert_eq!(plot_list.len(), 2);
    assert!(
        plot_list.iter().all(|p| p["state"] == "ok" && p["k"] == 16),
        "{plot_list:?}"
    );
    // Alone on the chain: a large share, and an expected win within a few target intervals.
    assert!(c["share_ppm"].as_u64().unwrap() > 100_000, "{c}");
    assert!(
        c["expected_win_ms"].as_u64().unwrap() <= 10 * TARGET_MS,
        "{c}"
    );
    assert!(c["signed_24h"].as_u64().unwrap() >= c["accepted_24h"].as_u64().unwrap());
    let (_, _, csp) = get_text(&format!("{status_url}/status.json")).unwrap();
    assert!(csp.unwrap().contains("script-src 'self'"));

    // History: points one interval apart, with the accepted blocks in them.
    let history = wait_for(
        Duration::from_secs(20),
        "history points",
        &farmer_log,
        || {
            let h = get_json(&format!("{status_url}/history.json"))?;
            let accepted: u64 = h["chains"][0]["accepted"]
                .as_array()?
                .iter()
                .filter_map(Value::as_u64)
                .sum();
            (h["t_ms"].as_array()?.len() >= 3 && accepted >= 1).then_some(h)
        },
    );
    let t: Vec<u64> = history["t_ms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert!(t.windows(2).all(|w| w[0] < w[1]), "{t:?}");
    assert_eq!(history["interval_ms"], 1000);
    assert!(
        history["p50_us"]
            .as_array()
            .unwrap()
            .iter()
            .any(Value::is_u64),
        "{history}"
    );
    let last = t[t.len() - 1];
    let newer = get_json(&format!("{status_url}/history.json?after={last}")).unwrap();
    assert!(newer["t_ms"]
        .as_array()
        .unwrap()
        .iter()
        .all(|v| v.as_u64().unwrap() > last));

    // `masspoc farm summary`, as JSON and as a table, from the running farmer.
    let json = masspoc()
        .args(["farm", "summary", "--json", "--status", &status_url])
        .ok()
        .json();
    assert_eq!(json["local"]["plots"], 2);
    assert_eq!(json["chains"][0]["label"], "status");
    let table = masspoc()
        .args(["farm", "summary", "--config", &d("farmer.toml")])
        .run();
    // The config names port 0: the summary says it cannot reach that, rather than guessing.
    assert_ne!(table.code(), 0, "{}", table.both());
    let table = masspoc()
        .args(["farm", "summary", "--status", &status_url])
        .ok()
        .stdout;
    assert!(table.contains("Local plots:     2 ("), "{table}");
    let row = table
        .lines()
        .find(|l| l.trim_start().starts_with("status "))
        .unwrap_or_else(|| panic!("{table}"));
    assert!(row.contains(" up "), "{row}");
    assert!(table.contains("Alerts: none"), "{table}");
    let down = masspoc()
        .args(["farm", "summary", "--status", "http://127.0.0.1:9"])
        .run();
    assert_eq!(down.code(), 2);
    assert!(
        down.stderr.contains("cannot reach the farmer's status"),
        "{}",
        down.stderr
    );

    // The chain node's status.
    let ns = get_json(&format!("{base}/v1/status")).unwrap();
    assert_eq!(ns["chains"][0]["name"], "status");
    assert!(ns["chains"][0]["height"].as_u64().unwrap() >= 2);
    assert_eq!(ns["evidence_total"], 0);
    assert!(ns["anchors"].is_object(), "{ns}");
    assert!(ns["pow_height"].as_u64().is_some(), "{ns}");
    let (code, html, csp) = get_text(&format!("{base}/")).unwrap();
    assert_eq!(code, 200);
    assert!(html.contains("/assets/node.js") && csp.unwrap().contains("default-src 'none'"));

    // Both pages in a real browser.
    let profile = dir.path().join("chromium-profile");
    std::fs::create_dir_all(&profile).unwrap();
    let browser = launch_chromium(&profile);
    let farm_shot = dir.path().join("farm-status.png");
    let farm = drive_page(
        &browser,
        &format!("{status_url}/"),
        "window.masspocStatus && masspocStatus.charts.latency ? masspocStatus.charts.latency.data[0].length : 0",
        &farm_shot,
    );
    assert!(
        farm.errors.is_empty(),
        "console errors on the farmer's page: {:?}",
        farm.errors
    );
    assert!(
        farm.points >= 2,
        "the latency chart got {} points",
        farm.points
    );
    let node_shot = dir.path().join("node-status.png");
    let node_page = drive_page(
        &browser,
        &format!("{base}/"),
        "window.masspocStatus && masspocStatus.charts.heights ? masspocStatus.charts.heights.data[0].length : 0",
        &node_shot,
    );
    assert!(
        node_page.errors.is_empty(),
        "console errors on the node's page: {:?}",
        node_page.errors
    );
    assert!(
        node_page.points >= 2,
        "the heights chart got {} points",
        node_page.points
    );
    for shot in [&farm_shot, &node_shot] {
        let png = std::fs::read(shot).unwrap();
        assert!(
            png.starts_with(b"\x89PNG") && png.len() > 5000,
            "{}",
            shot.display()
        );
        eprintln!("screenshot: {} ({} bytes)", shot.display(), png.len());
    }
    drop(browser);

    // Alerts: a plot disappears, then the chain node goes away.
    let mut seen = Vec::new();
    let victim = std::fs::read_dir(d("plots"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "plot"))
        .unwrap();
    std::fs::remove_file(&victim).unwrap();
    let a = alert_of(&hook, "plot_missing", Duration::from_secs(20), &mut seen);
    assert_eq!(a.subject, victim.display().to_string());
    assert!(a.todo.contains("put the file back"), "{a:?}");
    assert_eq!(a.farmer_pk.as_deref(), status["farmer_pk"].as_str());
    kill(&mut bridge);
    let a = alert_of(
        &hook,
        "node_unreachable",
        Duration::from_secs(20),
        &mut seen,
    );
    assert_eq!(a.subject, "status");
    assert!(a.what.contains(&base), "{a:?}");
    // The summary shows it; the episode stays one (no second message of either kind).
    std::thread::sleep(Duration::from_secs(3));
    seen.extend(hook.drain(Duration::from_millis(100)));
    for kind in ["plot_missing", "node_unreachable"] {
        assert_eq!(
            seen.iter().filter(|v| v.kind == kind).count(),
            1,
            "{kind}: {seen:?}"
        );
    }
    let s = get_json(&format!("{status_url}/status.json")).unwrap();
    assert!(!s["chains"][0]["reachable"].as_bool().unwrap());
    assert!(
        s["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["kind"] == "node_unreachable"),
        "{s}"
    );
    let lines = std::fs::read_to_string(&alert_file).unwrap();
    for kind in ["plot_missing", "node_unreachable"] {
        assert!(
            lines.contains(&format!("\"kind\":\"{kind}\"")),
            "the command did not get {kind}: {lines}"
        );
    }
    let log = std::fs::read_to_string(&farmer_log).unwrap();
    assert!(
        log.contains("WARN") && log.contains("alert") && log.contains("node_unreachable"),
        "{log}"
    );
    kill(&mut farmer);
}
