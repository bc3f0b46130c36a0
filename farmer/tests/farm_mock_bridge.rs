//! The whole farming loop (`run_farm`) against a stand-in bridge running the real chain rules:
//! two chains farmed at once from the same plots, every submitted header accepted by
//! `ChainState::accept_header`, and never two different headers signed at one chain and height.

use crate::common;

use common::bridge::{fast_params, MockBridge};
use common::plot_for_key;
use ed25519_dalek::Signer;
use masspoc_farmer::config::FarmerConfig;
use masspoc_farmer::farm::run_farm;
use masspoc_farmer::keys::FarmerKey;
use masspoc_farmer::signer::{HeaderSigner, Identity, SignRefusal};
use masspoc_verifier::header::signing_message;
use masspoc_verifier::{ChainId, Header, HeaderHash, Height};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// An in-memory signing guard with the same rule as the durable one.
struct MemSigner {
    key: ed25519_dalek::SigningKey,
    signed: Mutex<HashMap<(ChainId, Height), HeaderHash>>,
}

impl HeaderSigner for MemSigner {
    fn sign_header(&self, header: &Header) -> Result<[u8; 64], SignRefusal> {
        let hash = header.hash();
        let mut s = self.signed.lock().unwrap();
        match s.get(&(header.chain_id, header.height)) {
            Some(h) if *h != hash => {
                return Err(SignRefusal::Slashable(format!("{h} already signed")))
            }
            _ => {
                s.insert((header.chain_id, header.height), hash);
            }
        }
        Ok(self
            .key
            .sign(&signing_message(&header.chain_id, &hash))
            .to_bytes())
    }
}

fn identity_of(key: &FarmerKey) -> (Arc<MemSigner>, Arc<Identity>) {
    let signer = Arc::new(MemSigner {
        key: key.signing_key().clone(),
        signed: Mutex::new(HashMap::new()),
    });
    let identity = Arc::new(Identity {
        farmer_pk: key.public_key(),
        vrf: key.vrf_secret(),
        signer: signer.clone(),
    });
    (signer, identity)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_bridge_does_not_delay_the_other_chains() {
    let key = FarmerKey::from_seed(&[8; 32]);
    let tmp = tempfile::tempdir().unwrap();
    plot_for_key(&tmp.path().join("disk1"), key.public_key(), 16, 1);
    let (bridge, url) = MockBridge::start(vec![fast_params("gamma", 9, 1)]).await;
    // A "bridge" that accepts connections and never answers.
    let hung = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hung_url = format!("http://{}", hung.local_addr().unwrap());
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = hung.accept().await {
            held.push(s);
        }
    });
    let config = FarmerConfig::parse(
        &format!(
            "key_file = 'unused.key'\nplot_dirs = ['disk1']\n\
             [[chain]]\nname = 'stuck'\nbridge = '{hung_url}'\n\
             [[chain]]\nchain_id = '{}'\nbridge = '{hung_url}'\n\
             [[chain]]\nname = 'gamma'\nbridge = '{url}'\n",
            "11".repeat(32)
        ),
        tmp.path(),
    )
    .unwrap();
    let (_, identity) = identity_of(&key);
    let id = *bridge.chains.lock().unwrap().keys().next().unwrap();
    let b = Arc::clone(&bridge);
    let started = Instant::now();
    let done = async move {
        while b.height(&id) < 2 && started.elapsed() < Duration::from_secs(30) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    run_farm(&config, identity, done).await.unwrap();
    assert!(
        bridge.height(&id) >= 2,
        "the healthy chain stalled behind the hung bridge"
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    hold.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_chains_farmed_from_the_same_plots_through_a_bridge() {
    let key = FarmerKey::from_seed(&[7; 32]);
    let tmp = tempfile::tempdir().unwrap();
    for seed in 1..=2 {
        plot_for_key(&tmp.path().join("disk1"), key.public_key(), 16, seed);
    }
    let (bridge, url) =
        MockBridge::start(vec![fast_params("alpha", 9, 2), fast_params("beta", 9, 2)]).await;
    let config = FarmerConfig::parse(
        &format!(
            "key_file = 'unused.key'\nplot_dirs = ['disk1']\nlookup_budget_ms = 1000\n\
             [[chain]]\nname = 'alpha'\nbridge = '{url}'\n[[chain]]\nname = 'beta'\nbridge = '{url}'\n"
        ),
        tmp.path(),
    )
    .unwrap();
    let (signer, identity) = identity_of(&key);
    let ids: Vec<ChainId> = bridge.chains.lock().unwrap().keys().copied().collect();
    let target = 3;
    let b = Arc::clone(&bridge);
    let ids2 = ids.clone();
    let started = Instant::now();
    let done = async move {
        while ids2.iter().any(|id| b.height(id) < target)
            && started.elapsed() < Duration::from_secs(60)
        {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    run_farm(&config, identity, done).await.unwrap();

    for id in &ids {
        assert!(
            bridge.height(id) >= target,
            "chain {id} reached only {}",
            bridge.height(id)
        );
    }
    let subs = bridge.submissions.lock().unwrap();
    let refused: Vec<_> = subs
        .iter()
        .filter(|(_, e)| e.is_some())
        .map(|(h, e)| (h.height, e.clone()))
        .collect();
    assert!(refused.is_empty(), "bridge refused: {refused:?}");
    // Each chain's headers carry proofs of its own challenges, all from the same plots.
    for (h, _) in subs.iter() {
        assert_eq!(h.proof.farmer_pk, key.public_key());
        h.verify_signature().unwrap();
    }
    // One signature per (chain, height), and it is the header submitted there. A header signed
    // as the farm stopped may not have been sent: at most one per chain.
    let signed = signer.signed.lock().unwrap();
    for (h, _) in subs.iter() {
        assert_eq!(signed.get(&(h.chain_id, h.height)), Some(&h.hash()));
    }
    assert!(
        signed.len() <= subs.len() + ids.len(),
        "{} signed, {} submitted",
        signed.len(),
        subs.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chain_fails_over_to_the_next_node_when_the_first_stops_answering() {
    let key = FarmerKey::from_seed(&[6; 32]);
    let tmp = tempfile::tempdir().unwrap();
    plot_for_key(&tmp.path().join("disk1"), key.public_key(), 16, 1);
    let (bridge, url) = MockBridge::start(vec![fast_params("alpha", 9, 1)]).await;
    // The first node refuses connections (nothing listens on port 1).
    let config = FarmerConfig::parse(
        &format!(
            "key_file = 'unused.key'\nplot_dirs = ['disk1']\nlookup_budget_ms = 1000\n\
             [[chain]]\nname = 'alpha'\nbridge = ['http://127.0.0.1:1', '{url}']\n"
        ),
        tmp.path(),
    )
    .unwrap();
    assert_eq!(config.chains[0].bridges.len(), 2);
    let (_signer, identity) = identity_of(&key);
    let id = *bridge.chains.lock().unwrap().keys().next().unwrap();
    let b = Arc::clone(&bridge);
    let started = Instant::now();
    let done = async move {
        while b.height(&id) < 3 && started.elapsed() < Duration::from_secs(60) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    run_farm(&config, identity, done).await.unwrap();
    assert!(
        bridge.height(&id) >= 3,
        "reached only {}",
        bridge.height(&id)
    );
}

/// A long-poll that reaches the bridge only after the farmer's own header landed (a loaded
/// machine) must not wait out its 20 s for a change that already happened: the farmer names the
/// tip it has, and the bridge answers at once when that is no longer the tip.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lone_farmer_keeps_farming_when_its_long_polls_arrive_late() {
    let key = FarmerKey::from_seed(&[6; 32]);
    let tmp = tempfile::tempdir().unwrap();
    plot_for_key(&tmp.path().join("disk1"), key.public_key(), 16, 1);
    let (bridge, url) = MockBridge::start(vec![fast_params("late", 9, 1)]).await;
    // Later than most of this chain's blocks take (300 ms on average).
    bridge
        .late_polls_ms
        .store(600, std::sync::atomic::Ordering::SeqCst);
    let config = FarmerConfig::parse(
        &format!(
            "key_file = 'unused.key'\nplot_dirs = ['disk1']\n\
             [[chain]]\nname = 'late'\nbridge = '{url}'\n"
        ),
        tmp.path(),
    )
    .unwrap();
    let (_, identity) = identity_of(&key);
    let id = *bridge.chains.lock().unwrap().keys().next().unwrap();
    let target = 8;
    let b = Arc::clone(&bridge);
    let started = Instant::now();
    let done = async move {
        while b.height(&id) < target && started.elapsed() < Duration::from_secs(15) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    run_farm(&config, identity, done).await.unwrap();
    assert!(
        bridge.height(&id) >= target,
        "height {} after {:?}: a long-poll waited for a change that had already happened",
        bridge.height(&id),
        started.elapsed()
    );
}
