//! `no_wins` from real state: a farm that wins blocks on a stand-in bridge running the real chain
//! rules raises nothing; when the bridge refuses every header (blocks stop being accepted) for
//! `missed_wins` expected wins it is alerted once; accepted again, it clears; refused again, it
//! is alerted again.

use crate::common;

use common::bridge::{fast_params, MockBridge};
use common::farm::{of_kind, AlertFarm, MISSED_WINS};
use common::plot_for_key;
use masspoc_farmer::keys::FarmerKey;
use masspoc_verifier::ChainSpec;
use std::sync::atomic::Ordering::SeqCst;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocks_no_longer_accepted_are_alerted_once_per_episode() {
    let tmp = tempfile::tempdir().unwrap();
    let key = FarmerKey::from_seed(&[23; 32]);
    for seed in 1..=2 {
        plot_for_key(&tmp.path().join("disk1"), key.public_key(), 16, seed);
    }
    let params = fast_params("alpha", 5, 2);
    let chain = ChainSpec::new(params.clone()).unwrap().chain_id;
    let (bridge, url) = MockBridge::start(vec![params]).await;
    let body = format!("plot_dirs = ['disk1']\n[[chain]]\nname = 'alpha'\nbridge = '{url}'\n");
    let farm = AlertFarm::start(tmp.path(), &key, &body, None).await;
    let grows = |from: u64, within: Duration| {
        let end = Instant::now() + within;
        while bridge.height(&chain) <= from {
            assert!(Instant::now() < end, "the chain stays at {from}");
            std::thread::sleep(Duration::from_millis(50));
        }
    };

    // Winning: the chain grows, no alert.
    tokio::task::block_in_place(|| grows(2, Duration::from_secs(30)));
    let calm = farm.collect(Duration::from_secs(3));
    assert!(of_kind(&calm, "no_wins", None).is_empty(), "{calm:?}");
    let expected = farm.status().chains[0]
        .expected_win_ms
        .expect("an expected win time once the chain node answered");
    assert!(expected > 0);

    // Every header refused: after MISSED_WINS expected wins, one alert.
    bridge.refuse_posts.store(true, SeqCst);
    let refused_at = Instant::now();
    let first = farm.expect("no_wins", Duration::from_secs(30));
    assert_eq!(first.subject, "alpha");
    assert!(first.what.contains("expected wins"), "{}", first.what);
    assert!(
        refused_at.elapsed() >= // the last win is noted at a sample, up to one interval (1 s) before the refusal
        Duration::from_millis((MISSED_WINS * expected).saturating_sub(1_500)),
        "alerted after {:?}, expected win every {expected} ms",
        refused_at.elapsed()
    );
    let later = farm.collect(Duration::from_secs(3));
    assert!(of_kind(&later, "no_wins", None).is_empty(), "{later:?}");
    assert!(farm.status().alerts.iter().any(|a| a.kind == "no_wins"));

    // Accepted again: the chain grows and the alert clears.
    let h = bridge.height(&chain);
    bridge.refuse_posts.store(false, SeqCst);
    tokio::task::block_in_place(|| grows(h, Duration::from_secs(30)));
    let _ = farm.collect(Duration::from_secs(3));
    let status = farm.status();
    assert!(
        status.alerts.iter().all(|a| a.kind != "no_wins"),
        "{:?}",
        status.alerts
    );

    // Refused again: a new episode.
    bridge.refuse_posts.store(true, SeqCst);
    let again = farm.expect("no_wins", Duration::from_secs(30));
    assert!(again.at_ms > first.at_ms);
    bridge.refuse_posts.store(false, SeqCst);
    farm.stop().await;
}
