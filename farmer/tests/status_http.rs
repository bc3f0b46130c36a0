//! The farmer's JSON status endpoints, through the real router (`status::http::router`) driven
//! in-process: a real plot set with a k=16 plot, a chain whose node is the stand-in bridge, the
//! real sampler closing history points. `/status.json` fields and types, `/history.json` and
//! `?after=` (only later points), a malformed `?after=` answered 400, an unknown path 404, and
//! the security headers on every answer.

use crate::common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::bridge::{fast_params, MockBridge};
use common::plot_for_key;
use masspoc_farmer::alerts::{Alerts, AlertsConfig};
use masspoc_farmer::bridge_client::BridgeClient;
use masspoc_farmer::config::ChainSelector;
use masspoc_farmer::keys::FarmerKey;
use masspoc_farmer::metrics::Metrics;
use masspoc_farmer::plots::{PlotSet, ReaderOpener};
use masspoc_farmer::status::model::{FarmStatus, History};
use masspoc_farmer::status::{http, ChainSource, Status, StatusParts};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

/// A status of one local plot and one chain (`alpha` on a stand-in bridge), not sampled yet.
async fn farm_status(tmp: &std::path::Path) -> (Arc<Status>, String) {
    let key = FarmerKey::from_seed(&[31; 32]);
    let dir = tmp.join("disk1");
    plot_for_key(&dir, key.public_key(), 16, 1);
    let plots = PlotSet::new(
        &[dir],
        Arc::new(ReaderOpener {
            farmer_pk: Some(key.public_key()),
        }),
    );
    assert_eq!(plots.rescan_blocking().plots, 1);
    let (_bridge, url) = MockBridge::start(vec![fast_params("alpha", 11, 1)]).await;
    let metrics = Arc::new(Metrics::default());
    let pk = key.public_key().to_hex();
    let status = Status::new(StatusParts {
        farmer_pk: pk.clone(),
        interval: Duration::from_secs(1),
        budget: Duration::from_millis(750),
        metrics: Arc::clone(&metrics),
        plots,
        harvesters: None,
        chains: vec![ChainSource {
            label: "alpha".into(),
            selector: ChainSelector::Name("alpha".into()),
            client: BridgeClient::new(&url),
            metrics: metrics.chain("alpha"),
        }],
        alerts: Arc::new(Alerts::new(AlertsConfig::default(), pk.clone())),
    });
    (status, pk)
}

/// `GET uri` on the router: status, headers and body.
async fn get(status: &Arc<Status>, uri: &str) -> (StatusCode, header::HeaderMap, Vec<u8>) {
    let resp = http::router(Arc::clone(status))
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let (parts, body) = resp.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
    (parts.status, parts.headers, bytes.to_vec())
}

fn json(body: &[u8]) -> Value {
    serde_json::from_slice(body).expect("JSON body")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_json_has_every_field_with_its_type() {
    let tmp = tempfile::tempdir().unwrap();
    let (status, pk) = farm_status(tmp.path()).await;
    status.sample().await;
    let (code, headers, body) = get(&status, "/status.json").await;
    assert_eq!(code, StatusCode::OK);
    assert!(headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let v = json(&body);
    assert_eq!(v["farmer_pk"], pk.as_str());
    assert!(v["now_ms"].as_u64().unwrap() >= v["started_ms"].as_u64().unwrap());
    assert_eq!(v["interval_ms"], 1000);
    assert_eq!(v["lookup_budget_ms"], 750);
    assert!(v["window_ms"].is_u64());
    // Weight as a decimal string: one k=16 plot weighs 16 · 2^16.
    assert_eq!(v["local"]["plots"], 1);
    assert_eq!(v["local"]["weight"], "1048576");
    assert!(v["local"]["bytes"].as_u64().unwrap() > 0);
    assert_eq!(v["remote"]["weight"], "0");
    let disk = &v["disks"][0];
    assert!(disk["path"].as_str().unwrap().ends_with("disk1"), "{disk}");
    assert_eq!(disk["available"], true);
    assert_eq!(
        (disk["plots"].as_u64(), disk["stalled_lookups"].as_u64()),
        (Some(1), Some(0))
    );
    assert_eq!(disk["skipped"], serde_json::json!([]));
    assert_eq!(disk["plot_list"][0]["k"], 16);
    assert_eq!(disk["plot_list"][0]["state"], "ok");
    assert_eq!(disk["plot_list"][0]["bytes"], v["local"]["bytes"]);
    assert_eq!(v["harvesters"], serde_json::json!([]));
    let chain = &v["chains"][0];
    assert_eq!(chain["label"], "alpha");
    assert_eq!(
        chain["reachable"], true,
        "the sampler reached the bridge: {chain}"
    );
    assert_eq!(chain["chain_id"].as_str().unwrap().len(), 64, "{chain}");
    assert_eq!(chain["height"], 0);
    assert_eq!(chain["target_interval_ms"], 300);
    assert!(chain["difficulty"].as_u64().unwrap() > 0);
    assert!(
        chain["network_weight"]
            .as_str()
            .unwrap()
            .parse::<u128>()
            .unwrap()
            > 0
    );
    assert!(
        chain["share_ppm"].is_u64() && chain["expected_win_ms"].is_u64(),
        "{chain}"
    );
    for f in [
        "proofs_24h",
        "signed_24h",
        "accepted_24h",
        "over_budget_24h",
    ] {
        assert_eq!(chain[f], 0, "{f}");
    }
    for f in [
        "rounds",
        "proofs",
        "signed",
        "accepted",
        "rejected",
        "over_budget",
    ] {
        assert_eq!(chain["totals"][f], 0, "{f}");
    }
    assert!(chain["last_error"].is_null());
    assert_eq!(v["alerts"], serde_json::json!([]));
    // And the typed model reads it back whole.
    let typed: FarmStatus = serde_json::from_slice(&body).unwrap();
    assert_eq!(typed.chains[0].label, "alpha");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_json_answers_only_points_after_the_given_time() {
    let tmp = tempfile::tempdir().unwrap();
    let (status, _) = farm_status(tmp.path()).await;
    for _ in 0..3 {
        status.sample().await;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let (code, _, body) = get(&status, "/history.json").await;
    assert_eq!(code, StatusCode::OK);
    let all: History = serde_json::from_slice(&body).unwrap();
    assert_eq!(all.interval_ms, 1000);
    assert_eq!(all.t_ms.len(), 3, "{all:?}");
    assert!(all.t_ms.windows(2).all(|w| w[0] < w[1]), "oldest first");
    assert_eq!((all.p50_us.len(), all.p99_us.len()), (3, 3));
    assert_eq!(all.chains[0].label, "alpha");
    assert_eq!(all.chains[0].proofs.len(), 3);

    let (_, _, body) = get(&status, &format!("/history.json?after={}", all.t_ms[0])).await;
    let newer: History = serde_json::from_slice(&body).unwrap();
    assert_eq!(newer.t_ms, all.t_ms[1..]);
    assert_eq!(newer.chains[0].accepted.len(), 2);
    let (_, _, body) = get(&status, &format!("/history.json?after={}", all.t_ms[2])).await;
    let none: History = serde_json::from_slice(&body).unwrap();
    assert!(
        none.t_ms.is_empty() && none.chains[0].signed.is_empty(),
        "{none:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_after_or_an_unknown_path_gets_a_clear_error_and_the_security_headers() {
    let tmp = tempfile::tempdir().unwrap();
    let (status, _) = farm_status(tmp.path()).await;
    status.sample().await;
    for bad in ["yesterday", "-1", "1.5", "", "99999999999999999999999"] {
        let (code, headers, body) = get(&status, &format!("/history.json?after={bad}")).await;
        assert_eq!(code, StatusCode::BAD_REQUEST, "after={bad}");
        assert!(headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/plain"));
        assert!(
            String::from_utf8(body).unwrap().contains("after must be"),
            "after={bad}"
        );
    }
    let (code, _, _) = get(&status, "/status.json/extra").await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    let (code, _, body) = get(&status, "/nope").await;
    assert_eq!(
        (code, body.as_slice()),
        (StatusCode::NOT_FOUND, &b"not found\n"[..])
    );
    for uri in [
        "/",
        "/status.json",
        "/history.json",
        "/history.json?after=x",
        "/nope",
    ] {
        let (_, headers, _) = get(&status, uri).await;
        assert_eq!(
            headers[header::CONTENT_SECURITY_POLICY],
            masspoc_api::assets::CSP,
            "{uri}"
        );
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{uri}");
        assert_eq!(headers[header::CACHE_CONTROL], "no-store", "{uri}");
    }
}
