//! Junk evidence costs nothing: evidence for a chain the node does not host, or against a key with
//! no block on the chain, is refused with a typed reason before anything is stored or queued;
//! evidence against a key that already has evidence kept is answered from memory; real evidence
//! is stored, queued and handed to farmers in `Work` once.

use crate::common;

use masspoc_api::codes;
use masspoc_node_bridge::anchor::Outbox;
use masspoc_node_bridge::host::ChainHost;
use masspoc_node_bridge::store::Store;
use masspoc_node_bridge::{EvidenceRefusal, HostError};
use masspoc_verifier::testkit::{grow_chain, TestFarmer};
use masspoc_verifier::{Body, ChainSpec, ChainState, Evidence, Header, PayloadRoot};
use std::sync::Arc;

fn spec(name: &str) -> ChainSpec {
    common::spec::weak_spec(name, &"5b".repeat(32))
}

/// Evidence of `farmer` signing two headers at height 1 of `spec`'s chain (it need not have a
/// block there: the pair is made off-chain).
fn pair(spec: &ChainSpec, farmer: &TestFarmer) -> (Header, Evidence) {
    let state = ChainState::new(spec.clone());
    let parent = spec.genesis.hash;
    let info = state.parent_info(&parent).unwrap();
    let difficulty = state.next_difficulty(&parent).unwrap();
    let c = farmer.candidate(spec, &info, difficulty, 64).unwrap();
    let a = farmer.header(spec, &info, difficulty, &c, PayloadRoot([1; 32]));
    let b = farmer.header(spec, &info, difficulty, &c, PayloadRoot([2; 32]));
    (a, Evidence::new(a, b).unwrap())
}

/// Evidence stored, outbox items queued, evidence `Work` hands the farmer for the best tip.
fn stored(store: &Arc<Store>, host: &ChainHost) -> (usize, u64, usize) {
    let chain = host.chain_ids()[0];
    (
        host.evidence().unwrap().len(),
        Outbox::on(store.clone()).unwrap().pending_len().unwrap(),
        host.work(&chain, 0).unwrap().evidence.len(),
    )
}

#[test]
fn junk_evidence_is_refused_before_anything_is_stored_or_queued() {
    let dir = tempfile::tempdir().unwrap();
    let hosted = spec("hosted");
    let other = spec("elsewhere");
    let store = Store::open_data_dir(dir.path()).unwrap();
    let mut host = ChainHost::open(&store, vec![hosted.clone()], true).unwrap();
    host.set_check_clock(false);
    let honest = TestFarmer::new([1; 32], &[16]);
    let chain = grow_chain(
        &ChainState::new(hosted.clone()),
        &[honest],
        hosted.genesis.hash,
        2,
    );
    for h in &chain {
        host.submit_header(&hosted.chain_id, &h.encode(), 0)
            .unwrap();
    }
    let before = stored(&store, &host);
    assert_eq!(before, (0, 2, 0));

    // A chain nobody hosts here.
    let stranger = TestFarmer::new([9; 32], &[16]);
    let (_, e) = pair(&other, &stranger);
    let err = host.submit_evidence(&e.encode()).unwrap_err();
    assert!(
        matches!(
            &err,
            HostError::EvidenceRefused(EvidenceRefusal::ChainNotHosted { .. })
        ),
        "{err}"
    );
    assert_eq!(
        (err.status(), err.code()),
        (422, codes::EVIDENCE_CHAIN_NOT_HOSTED)
    );
    // A fresh key with no block on the hosted chain.
    let (_, e) = pair(&hosted, &stranger);
    let err = host.submit_evidence(&e.encode()).unwrap_err();
    assert_eq!(
        (err.status(), err.code()),
        (422, codes::EVIDENCE_FARMER_HAS_NO_BLOCK)
    );
    // Garbage.
    let err = host.submit_evidence(&[0u8; 10]).unwrap_err();
    assert_eq!(err.code(), codes::BAD_EVIDENCE);
    assert_eq!(stored(&store, &host), before, "nothing stored or queued");

    // Real evidence against the chain's farmer: stored, queued, handed out in `Work` — once.
    let honest = TestFarmer::new([1; 32], &[16]);
    let state = {
        let mut s = ChainState::new(hosted.clone());
        s.accept_header(&chain[0], None).unwrap();
        s
    };
    let parent = chain[0].hash();
    let info = state.parent_info(&parent).unwrap();
    let difficulty = state.next_difficulty(&parent).unwrap();
    let c = honest.candidate(&hosted, &info, difficulty, 64).unwrap();
    // The empty body (what a header alone is taken with), a later timestamp: another valid header.
    let mut twin = honest.header(&hosted, &info, difficulty, &c, Body::empty_root());
    twin.timestamp_ms += 1;
    honest.sign(&mut twin);
    let real = Evidence::new(chain[1], twin).unwrap();
    let reply = host.submit_evidence(&real.encode()).unwrap();
    assert!(reply.new);
    assert_eq!(stored(&store, &host), (1, 3, 1));
    // Another pair against the same farmer is answered with the evidence kept (one ban per
    // chain and farmer): nothing new stored.
    let mut twin2 = honest.header(&hosted, &info, difficulty, &c, Body::empty_root());
    twin2.timestamp_ms += 2;
    honest.sign(&mut twin2);
    let again = Evidence::new(twin, twin2).unwrap();
    let reply = host.submit_evidence(&again.encode()).unwrap();
    assert_eq!((reply.new, reply.hash), (false, real.id()));
    assert_eq!(stored(&store, &host), (1, 3, 1));
    // Its second header submitted as a header is accepted, but queues no second evidence.
    host.submit_header(&hosted.chain_id, &twin.encode(), 0)
        .unwrap();
    assert_eq!(stored(&store, &host), (1, 4, 1));
    // After a restart the same answers come from the rebuilt memory.
    drop(host);
    drop(store);
    let store = Store::open_data_dir(dir.path()).unwrap();
    let host = ChainHost::open(&store, vec![hosted.clone()], true).unwrap();
    let reply = host.submit_evidence(&again.encode()).unwrap();
    assert_eq!((reply.new, reply.hash), (false, real.id()));
    let (_, e) = pair(&hosted, &stranger);
    assert_eq!(
        host.submit_evidence(&e.encode()).unwrap_err().code(),
        codes::EVIDENCE_FARMER_HAS_NO_BLOCK
    );
    assert_eq!(stored(&store, &host), (1, 4, 1));
}
