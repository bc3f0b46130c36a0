//! The farmer includes the evidence its chain node hands it: a key (the verifier's test farmer)
//! signs two headers at height 1 of a chain served by the real chain host; the host hands the
//! evidence out in `Work`; the farmer, farming the next height, puts it in the body of its block
//! and signs that body's root; from that block on the cheat's blocks are refused (`banned_key`)
//! and the evidence is not handed out again. Evidence admitted while the farmer waits out a height
//! reaches it through its long-poll and goes into the block of that height.

use crate::common;

use common::bridge::fast_params;
use common::host::{cheat_twins_at_height_one, ServedHost};
use common::plot_for_key;
use masspoc_farmer::config::FarmerConfig;
use masspoc_farmer::farm::run_farm;
use masspoc_farmer::keys::FarmerKey;
use masspoc_farmer::signer::open_identity;
use masspoc_node_bridge::host::ChainHost;
use masspoc_node_bridge::store::Store;
use masspoc_proof::{weight, FilterBits, K};
use masspoc_verifier::testkit::TestFarmer;
use masspoc_verifier::{difficulty_for_weight, Body, ChainSpec, Evidence, Height};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A farmer key from `seed` saved as `DIR/farmer.key`, with two k = 16 plots in `DIR/disk1`;
/// returns its public key.
fn farmer_with_plots(dir: &std::path::Path, seed: u8) -> masspoc_proof::FarmerPublicKey {
    let key = FarmerKey::from_seed(&[seed; 32]);
    key.save(&dir.join("farmer.key"), None).unwrap();
    for plot_seed in 1..=2 {
        plot_for_key(&dir.join("disk1"), key.public_key(), 16, plot_seed);
    }
    key.public_key()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_farmer_puts_handed_out_evidence_in_its_next_block() {
    let tmp = tempfile::tempdir().unwrap();
    let pk = farmer_with_plots(tmp.path(), 43);
    let spec = ChainSpec::new(fast_params("alpha", 7, 3)).unwrap();
    let chain = spec.chain_id;
    let store = Store::open_data_dir(&tmp.path().join("host")).unwrap();
    let mut host = ChainHost::open(&store, vec![spec.clone()], false).unwrap();
    // The cheat's blocks are built at their earliest timestamps, which may lie ahead of the clock.
    host.set_check_clock(false);

    // The cheat farms height 1, then signs a second header there: evidence in the pool.
    let cheat = TestFarmer::new([9; 32], &[16]);
    let (first, twin) = cheat_twins_at_height_one(&cheat, &host, &spec);
    host.submit_header(&chain, &twin.encode(), 0).unwrap();
    let evidence = Evidence::new(first, twin).unwrap();
    assert_eq!(
        host.work(&chain, 0).unwrap().decode_evidence().unwrap(),
        vec![evidence]
    );

    let served = ServedHost::start(host).await;
    let (url, shared) = (served.url.clone(), Arc::clone(&served.shared));
    let config = FarmerConfig::parse(
        &format!(
            "key_file = 'farmer.key'\nplot_dirs = ['disk1']\nlookup_budget_ms = 1000\n\
             [[chain]]\nname = 'alpha'\nbridge = '{url}'\n"
        ),
        tmp.path(),
    )
    .unwrap();
    let (identity, _guard) = open_identity(&config).unwrap();
    let height = {
        let shared = Arc::clone(&shared);
        move || shared.host.chains()[0].height.0
    };
    let h = height.clone();
    let started = Instant::now();
    let done = async move {
        while h() < 3 && started.elapsed() < Duration::from_secs(60) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    run_farm(&config, identity, done).await.unwrap();
    assert!(height() >= 3, "height {}", height());

    let host = &shared.host;
    // The farmer's block at height 2 includes the evidence, under its payload root.
    let page = host.headers(&chain, Height(1), 10).unwrap();
    let blocks = page.decode_blocks().unwrap();
    assert_eq!(blocks[0].hash(), first.hash(), "the tip of height 1");
    let b2 = &blocks[1];
    assert_eq!(b2.header.farmer(), pk);
    assert_eq!(b2.body.evidence, vec![evidence]);
    assert_eq!(b2.header.payload_root, b2.body.root());
    // Later blocks include nothing (already included), and the evidence is not handed out.
    assert!(blocks[2..].iter().all(|b| b.body.is_empty()));
    assert!(host.work(&chain, 0).unwrap().evidence.is_empty());
    // The cheat is banned on this branch from height 2: its block on the tip is refused.
    let state = host.with_state(&chain, Clone::clone).unwrap();
    assert_eq!(state.banned_from(&cheat.farmer_pk()), Some(Height(2)));
    let tip = state.best().hash;
    let info = state.parent_info(&tip).unwrap();
    let difficulty = state.next_difficulty(&tip).unwrap();
    let c = cheat.candidate(&spec, &info, difficulty, 64).unwrap();
    let late = cheat.header(&spec, &info, difficulty, &c, Body::empty_root());
    let e = host.submit_header(&chain, &late.encode(), 0).unwrap_err();
    assert_eq!(e.code(), "banned_key", "{e}");

    served.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evidence_admitted_mid_height_goes_into_that_heights_block() {
    let tmp = tempfile::tempdir().unwrap();
    let pk = farmer_with_plots(tmp.path(), 44);
    // Blocks about 2 s apart: the farmer spends most of a height waiting for its deadline.
    let mut params = fast_params("slow", 8, 2);
    params.target_interval_ms = 2_000;
    params.slot_ms = 2_000;
    params.initial_difficulty = difficulty_for_weight(
        u128::from(weight(K::new(16).unwrap())) * 2,
        2_000,
        FilterBits::NONE,
        params.probe_bits,
    );
    let spec = ChainSpec::new(params).unwrap();
    let chain = spec.chain_id;
    let store = Store::open_data_dir(&tmp.path().join("host")).unwrap();
    let mut host = ChainHost::open(&store, vec![spec.clone()], false).unwrap();
    host.set_check_clock(false);
    // The cheat has a block at height 1; the pair against it is kept back for now.
    let cheat = TestFarmer::new([9; 32], &[16]);
    let (first, twin) = cheat_twins_at_height_one(&cheat, &host, &spec);
    let evidence = Evidence::new(first, twin).unwrap();

    let served = ServedHost::start(host).await;
    let (url, shared) = (served.url.clone(), Arc::clone(&served.shared));
    let config = FarmerConfig::parse(
        &format!(
            "key_file = 'farmer.key'\nplot_dirs = ['disk1']\nlookup_budget_ms = 1000\n\
             [[chain]]\nname = 'slow'\nbridge = '{url}'\n"
        ),
        tmp.path(),
    )
    .unwrap();
    let (identity, _guard) = open_identity(&config).unwrap();
    let s = Arc::clone(&shared);
    let started = Instant::now();
    // Once the farmer has a block of its own, the evidence is admitted; the tip then is the
    // parent of the height being farmed, whose work had no evidence.
    let done = async move {
        let height = || s.host.chains()[0].height.0;
        while height() < 2 && started.elapsed() < Duration::from_secs(60) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        s.host.submit_evidence(&evidence.encode()).unwrap();
        let admitted_ms = common::bridge::now_ms();
        let tip = height();
        while height() < tip + 2 && started.elapsed() < Duration::from_secs(90) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        (tip, admitted_ms)
    };
    let (tx, rx) = tokio::sync::oneshot::channel();
    let done = async move {
        let _ = tx.send(done.await);
    };
    run_farm(&config, identity, done).await.unwrap();
    let (tip, admitted_ms) = rx.await.unwrap();
    let host = &shared.host;
    let blocks = host
        .headers(&chain, Height(tip + 1), 2)
        .unwrap()
        .decode_blocks()
        .unwrap();
    assert_eq!(blocks.len(), 2, "two blocks after the evidence came");
    assert!(blocks.iter().all(|b| b.header.farmer() == pk));
    // The first block timestamped well after the admission (normally the one of the height in
    // progress then, whose work had no evidence) carries it, unless an earlier one already did:
    // the long-poll brought it mid-height, not the next tip.
    let late = blocks
        .iter()
        .position(|b| b.header.timestamp_ms >= admitted_ms + 500)
        .unwrap_or(1);
    let including: Vec<u64> = blocks
        .iter()
        .filter(|b| b.body.evidence == vec![evidence])
        .map(|b| b.header.height.0)
        .collect();
    assert!(
        including.len() == 1 && including[0] <= tip + 1 + late as u64,
        "evidence admitted at tip {tip} ({admitted_ms} ms): included at {including:?}, blocks at \
         {:?} ms",
        blocks
            .iter()
            .map(|b| b.header.timestamp_ms)
            .collect::<Vec<_>>()
    );
    served.stop();
}
