//! A farmer that signed a header but never got it to the bridge, then restarted, rebuilds the
//! identical header (same candidate, timestamp and VRF proof), which its durable signing history
//! allows to be sent again; the chain is not stuck at that height.

use crate::common;

use common::bridge::{now_ms, MockBridge};
use common::plot_for_key;
use masspoc_farmer::config::FarmerConfig;
use masspoc_farmer::farm::run_farm;
use masspoc_farmer::keys::FarmerKey;
use masspoc_farmer::signer::open_identity;
use masspoc_proof::{weight, K};
use masspoc_verifier::{difficulty_for_weight, Beacon, ChainParams};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_farmer_resends_the_header_it_signed() {
    let tmp = tempfile::tempdir().unwrap();
    let key = FarmerKey::from_seed(&[77; 32]);
    key.save(&tmp.path().join("farmer.key"), None).unwrap();
    plot_for_key(&tmp.path().join("disk1"), key.public_key(), 16, 1);
    plot_for_key(&tmp.path().join("disk1"), key.public_key(), 16, 2);
    let k = K::new(16).unwrap();
    let params = ChainParams {
        name: "delta".into(),
        beacon: Beacon([5; 32]),
        genesis_time_ms: now_ms(),
        target_interval_ms: 300,
        slot_ms: 300,
        filter_bits: masspoc_proof::FilterBits::NONE,
        min_k: 16,
        initial_difficulty: difficulty_for_weight(
            u128::from(weight(k)) * 2,
            300,
            masspoc_proof::FilterBits::NONE,
            masspoc_proof::ProbeBits::NONE,
        ),
        retarget_window: 100,
        max_future_drift_ms: 60_000,
        probe_bits: masspoc_proof::ProbeBits::NONE,
        anchor_confirmations: masspoc_verifier::params::DEFAULT_ANCHOR_CONFIRMATIONS,
        finality_window: masspoc_verifier::params::DEFAULT_FINALITY_WINDOW,
        finality_depth: masspoc_verifier::params::DEFAULT_FINALITY_DEPTH,
    };
    let (bridge, url) = MockBridge::start(vec![params]).await;
    let id = *bridge.chains.lock().unwrap().keys().next().unwrap();
    let config = FarmerConfig::parse(
        &format!(
            "key_file = 'farmer.key'\nplot_dirs = ['disk1']\n\
             [[chain]]\nname = 'delta'\nbridge = '{url}'\n"
        ),
        tmp.path(),
    )
    .unwrap();

    // Run 1: the header is signed (recorded in the history) but the bridge fails to take it.
    bridge.refuse_posts.store(true, Ordering::SeqCst);
    let (identity, guard) = open_identity(&config).unwrap();
    let b = Arc::clone(&bridge);
    let started = Instant::now();
    run_farm(&config, identity, async move {
        while b.submissions.lock().unwrap().is_empty()
            && started.elapsed() < Duration::from_secs(30)
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .unwrap();
    drop(guard);
    let first = bridge.submissions.lock().unwrap()[0].0;
    assert_eq!(bridge.height(&id), 0);

    // Run 2, a new process as far as the history is concerned: the same header goes out again.
    bridge.refuse_posts.store(false, Ordering::SeqCst);
    let (identity, guard) = open_identity(&config).unwrap();
    let b = Arc::clone(&bridge);
    let started = Instant::now();
    run_farm(&config, identity, async move {
        while b.height(&id) < 1 && started.elapsed() < Duration::from_secs(30) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .unwrap();
    assert!(
        bridge.height(&id) >= 1,
        "the chain is stuck at the height signed before the restart"
    );
    let subs = bridge.submissions.lock().unwrap();
    let accepted_at_1: Vec<_> = subs
        .iter()
        .filter(|(h, e)| e.is_none() && h.height.0 == 1)
        .map(|(h, _)| h.encode())
        .collect();
    assert_eq!(
        accepted_at_1,
        vec![first.encode()],
        "a different header was sent at height 1"
    );
    let records = guard.history().entries().unwrap();
    assert_eq!(records.iter().filter(|r| r.height.0 == 1).count(), 1);
}
