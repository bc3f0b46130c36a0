//! `own_evidence` from real state: the real chain host holds slashing evidence (two headers
//! signed at one height); evidence against another key raises nothing; evidence against this
//! farmer's own key is alerted once, naming the height and the evidence, and stays active.

use crate::common;

use common::bridge::fast_params;
use common::farm::{of_kind, AlertFarm};
use common::host::{cheat_twins_at_height_one, ServedHost};
use masspoc_farmer::keys::FarmerKey;
use masspoc_node_bridge::host::ChainHost;
use masspoc_node_bridge::store::Store;
use masspoc_verifier::testkit::TestFarmer;
use masspoc_verifier::{ChainSpec, Evidence};
use std::sync::Arc;
use std::time::Duration;

/// `cheat` signs two headers at height 1 of `spec`'s chain on `host`, both submitted; returns the
/// evidence.
fn double_sign(host: &ChainHost, spec: &ChainSpec, cheat: &TestFarmer) -> Evidence {
    let (first, twin) = cheat_twins_at_height_one(cheat, host, spec);
    let _ = host.submit_header(&spec.chain_id, &twin.encode(), 0);
    Evidence::new(first, twin).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evidence_against_the_farmers_own_key_is_alerted_once() {
    let tmp = tempfile::tempdir().unwrap();
    let seed = [26; 32];
    let key = FarmerKey::from_seed(&seed);
    std::fs::create_dir_all(tmp.path().join("disk1")).unwrap();
    let spec = ChainSpec::new(fast_params("alpha", 8, 3)).unwrap();
    let store = Store::open_data_dir(&tmp.path().join("host")).unwrap();
    let mut host = ChainHost::open(&store, vec![spec.clone()], false).unwrap();
    // The cheats' blocks are built at their earliest timestamps, which may lie ahead of the clock.
    host.set_check_clock(false);
    let served = ServedHost::start(host).await;
    let (url, shared) = (served.url.clone(), Arc::clone(&served.shared));
    // No plots: this farmer never wins, so nothing it farms can include the evidence.
    let body = format!("plot_dirs = ['disk1']\n[[chain]]\nname = 'alpha'\nbridge = '{url}'\n");
    let farm = AlertFarm::start(tmp.path(), &key, &body, None).await;

    // Another key double-signs: evidence in the pool, but not this farmer's.
    let other = double_sign(&shared.host, &spec, &TestFarmer::new([27; 32], &[16]));
    assert_ne!(other.headers().0.proof.farmer_pk, key.public_key());
    let calm = farm.collect(Duration::from_secs(3));
    assert!(of_kind(&calm, "own_evidence", None).is_empty(), "{calm:?}");

    // This farmer's key double-signs (another farmer running the same key).
    let own = double_sign(&shared.host, &spec, &TestFarmer::new(seed, &[16]));
    assert_eq!(own.headers().0.proof.farmer_pk, key.public_key());
    let first = farm.expect("own_evidence", Duration::from_secs(15));
    assert_eq!(first.subject, "alpha");
    assert!(first.what.contains("at height 1"), "{}", first.what);
    // Held by the node at every later sample: still one message, and active.
    let later = farm.collect(Duration::from_secs(3));
    assert!(
        of_kind(&later, "own_evidence", None).is_empty(),
        "{later:?}"
    );
    assert!(farm
        .status()
        .alerts
        .iter()
        .any(|a| a.kind == "own_evidence" && a.subject == "alpha"));
    farm.stop().await;
    served.stop();
}
