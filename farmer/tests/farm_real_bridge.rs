//! End to end against the real bridge: the node-bridge chain host served over its HTTP API (no
//! PoW node: nothing is anchored here), a key file and signing history opened the way
//! `masspoc farm` opens them, and two chains farmed at once from the same plots.

use crate::common;

use common::bridge::fast_params;
use common::host::ServedHost;
use common::plot_for_key;
use masspoc_farmer::config::FarmerConfig;
use masspoc_farmer::farm::run_farm;
use masspoc_farmer::keys::FarmerKey;
use masspoc_farmer::signer::open_identity;
use masspoc_farmer::signing_history::SigningHistory;
use masspoc_node_bridge::host::ChainHost;
use masspoc_node_bridge::store::Store;
use masspoc_verifier::ChainSpec;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn farms_two_chains_through_the_real_bridge_with_a_durable_signing_history() {
    let tmp = tempfile::tempdir().unwrap();
    let key = FarmerKey::from_seed(&[42; 32]);
    let pk = key.public_key();
    key.save(&tmp.path().join("farmer.key"), None).unwrap();
    for seed in 1..=2 {
        plot_for_key(&tmp.path().join("disk1"), pk, 16, seed);
    }

    let specs = vec![
        ChainSpec::new(fast_params("alpha", 3, 2)).unwrap(),
        ChainSpec::new(fast_params("beta", 3, 2)).unwrap(),
    ];
    let store = Store::open_data_dir(&tmp.path().join("host")).unwrap();
    let host = ChainHost::open(&store, specs.clone(), false).unwrap();
    let served = ServedHost::start(host).await;
    let (url, shared) = (served.url.clone(), Arc::clone(&served.shared));

    let config = FarmerConfig::parse(
        &format!(
            "key_file = 'farmer.key'\nplot_dirs = ['disk1']\nlookup_budget_ms = 1000\n\
             [[chain]]\nname = 'alpha'\nbridge = '{url}'\n\
             [[chain]]\nchain_id = '{}'\nbridge = '{url}'\n",
            specs[1].chain_id.to_hex()
        ),
        tmp.path(),
    )
    .unwrap();
    let (identity, guard) = open_identity(&config).unwrap();
    assert_eq!(identity.farmer_pk, pk);

    let target = 3;
    let heights = {
        let shared = Arc::clone(&shared);
        move || -> Vec<u64> { shared.host.chains().iter().map(|c| c.height.0).collect() }
    };
    let h2 = heights.clone();
    let started = Instant::now();
    let done = async move {
        while h2().iter().any(|h| *h < target) && started.elapsed() < Duration::from_secs(60) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    run_farm(&config, identity, done).await.unwrap();
    let reached = heights();
    assert!(reached.iter().all(|h| *h >= target), "heights {reached:?}");

    // Every accepted header was recorded in the durable history first; at most one per height.
    let records = guard.history().entries().unwrap();
    assert!(
        records.len() as u64 >= reached.iter().sum::<u64>(),
        "{} records",
        records.len()
    );
    let mut seen = std::collections::HashSet::new();
    for r in &records {
        assert!(
            seen.insert((r.chain_id, r.height)),
            "two records at one height: {r:?}"
        );
    }
    // The history closes with the guard and opens again (no second holder left behind).
    drop(guard);
    SigningHistory::open(&config.signing_history, &pk)
        .expect("history reopens after the farm stops");

    // The farmer's last long-poll may still be open; a graceful stop would wait for it.
    served.stop();
}
