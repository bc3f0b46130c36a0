//! Crash points between every pair of writes of the chain host (header log and body, anchoring
//! outbox, detector, evidence — all tables of the bridge's one database): a
//! crash armed at each point, then (a) the host reopened from disk as after a real crash and
//! (b) the same process carrying on. Either way nothing is half-written, and once the client
//! re-sends what it sent (it got no reply) every record exists exactly once.

use masspoc_node_bridge::anchor::{Item, ItemKind, Outbox};
use masspoc_node_bridge::fault::FaultPoint;
use masspoc_node_bridge::host::log::{Entry, HostLog};
use masspoc_node_bridge::host::ChainHost;
use masspoc_node_bridge::store::Store;
use masspoc_node_bridge::HostError;
use masspoc_verifier::testkit::{grow_chain, TestFarmer};
use masspoc_verifier::{Block, Body, ChainSpec, ChainState, Evidence, Header, HeaderHash};
use std::path::Path;
use std::sync::{Arc, OnceLock};

struct Fixture {
    spec: ChainSpec,
    /// Heights 1..=4 of one honest chain.
    chain: Vec<Header>,
    /// A second header of `chain[3]`'s farmer at height 4.
    twin: Header,
    /// Height 5 on `chain[3]` by the other farmer, including the evidence (chain[3], twin).
    including: Block,
    /// Height 6 on `including` by the cheat: refused once `including` is accepted.
    after: Header,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let spec = crate::common::spec::weak_spec("crash", &"5a".repeat(32));
        let farmers: Vec<TestFarmer> = (1..=2u8).map(|i| TestFarmer::new([i; 32], &[16])).collect();
        let mut state = ChainState::new(spec.clone());
        let chain = grow_chain(&state, &farmers, spec.genesis.hash, 4);
        for h in &chain {
            state.accept_header(h, None).unwrap();
        }
        let cheat = farmers
            .iter()
            .find(|f| f.farmer_pk() == chain[3].farmer())
            .unwrap();
        let other = farmers
            .iter()
            .find(|f| f.farmer_pk() != chain[3].farmer())
            .unwrap();
        // The same proof a moment later: a second valid header (its payload root must stay its
        // empty body's).
        let mut twin = chain[3];
        twin.timestamp_ms += 1;
        cheat.sign(&mut twin);
        assert_ne!(twin.hash(), chain[3].hash());
        let evidence = Evidence::new(chain[3], twin).unwrap();
        let next = |state: &ChainState, f: &TestFarmer, parent: HeaderHash, body: Body| {
            let info = state.parent_info(&parent).unwrap();
            let difficulty = state.next_difficulty(&parent).unwrap();
            let c = f.candidate(&spec, &info, difficulty, 64).unwrap();
            f.block(&spec, &info, difficulty, &c, body)
        };
        let including = next(
            &state,
            other,
            chain[3].hash(),
            Body::new(vec![evidence], vec![]).unwrap(),
        );
        state.accept_block(&including, None).unwrap();
        let after = next(&state, cheat, including.hash(), Body::EMPTY).header;
        Fixture {
            spec,
            chain,
            twin,
            including,
            after,
        }
    })
}

fn open(dir: &Path, anchored: bool) -> (Arc<Store>, ChainHost) {
    let store = Store::open_data_dir(dir).unwrap();
    let mut host = ChainHost::open(&store, vec![fixture().spec.clone()], anchored).unwrap();
    host.set_check_clock(false);
    (store, host)
}

fn submit(host: &mut ChainHost, h: &Header) -> Result<bool, HostError> {
    let chain = fixture().spec.chain_id;
    host.submit_header(&chain, &h.encode(), 0).map(|r| r.best)
}

/// What the store holds about the twin and its evidence.
#[derive(Debug, PartialEq, Eq)]
struct Records {
    logged_headers: usize,
    twin_logged: bool,
    twin_body: bool,
    twin_queued: bool,
    evidence: usize,
    evidence_queued: bool,
    /// Evidence `Work` hands the farmer for the best tip.
    handed_out: usize,
    queued_items: u64,
}

fn records(store: &Arc<Store>, host: &ChainHost, evidence: &Evidence) -> Records {
    let log = HostLog::on(store.clone()).unwrap();
    let entries = log.entries().unwrap();
    let twin = fixture().twin.encode().to_vec();
    let outbox = Outbox::on(store.clone()).unwrap();
    let queued = |kind, hash| outbox.batch_of(&Item { kind, hash }).unwrap().is_some();
    Records {
        logged_headers: entries
            .iter()
            .filter(|e| matches!(e, Entry::Header { .. }))
            .count(),
        twin_logged: entries
            .iter()
            .any(|e| matches!(e, Entry::Header { bytes, .. } if *bytes == twin)),
        twin_body: log.body(&fixture().twin.hash()).unwrap().is_some(),
        twin_queued: queued(ItemKind::Header, fixture().twin.hash().0),
        evidence: host.evidence().unwrap().len(),
        evidence_queued: queued(ItemKind::Evidence, evidence.id().0),
        handed_out: host
            .work(&fixture().spec.chain_id, 0)
            .unwrap()
            .evidence
            .len(),
        queued_items: outbox.pending_len().unwrap(),
    }
}

fn evidence() -> Evidence {
    let f = fixture();
    Evidence::new(f.chain[3], f.twin).unwrap()
}

/// Everything of a submitted twin, exactly once (4 honest headers + the twin, 5 header items and
/// one evidence item queued, the evidence handed out).
fn complete(anchored: bool) -> Records {
    Records {
        logged_headers: 5,
        twin_logged: true,
        twin_body: true,
        twin_queued: anchored,
        evidence: 1,
        evidence_queued: anchored,
        handed_out: 1,
        queued_items: if anchored { 6 } else { 0 },
    }
}

/// Nothing of the twin: the 4 honest headers only.
fn before(anchored: bool) -> Records {
    Records {
        logged_headers: 4,
        twin_logged: false,
        twin_body: false,
        twin_queued: false,
        evidence: 0,
        evidence_queued: false,
        handed_out: 0,
        queued_items: if anchored { 4 } else { 0 },
    }
}

fn crash_while_submitting_twin(point: FaultPoint, anchored: bool, restart: bool) {
    let dir = tempfile::tempdir().unwrap();
    let ev = evidence();
    let (mut store, mut host) = open(dir.path(), anchored);
    for h in &fixture().chain {
        submit(&mut host, h).unwrap();
    }
    host.arm_fault(Some(point));
    let e = submit(&mut host, &fixture().twin).unwrap_err();
    assert!(matches!(e, HostError::Fault(p) if p == point), "{e}");
    if restart {
        drop(host);
        drop(store);
        (store, host) = open(dir.path(), anchored);
    }
    let want = if point == FaultPoint::AfterCommit {
        complete(anchored)
    } else {
        before(anchored)
    };
    assert_eq!(
        records(&store, &host, &ev),
        want,
        "{point:?} anchored={anchored} restart={restart}: all or nothing"
    );
    // The client got no reply and sends the header again: everything, once.
    resubmit(&mut host, anchored);
    assert_eq!(records(&store, &host, &ev), complete(anchored), "{point:?}");
    resubmit(&mut host, anchored);
    assert!(!host.submit_evidence(&ev.encode()).unwrap().new);
    assert_eq!(records(&store, &host, &ev), complete(anchored), "{point:?}");
    // And a restart reads back the same.
    drop(host);
    drop(store);
    let (store, host) = open(dir.path(), anchored);
    assert_eq!(records(&store, &host, &ev), complete(anchored), "{point:?}");
    // Bans come only from blocks that include the evidence (docs/protocol.md): none includes it
    // yet, so both blocks at 4 stand and the tip stays at 4.
    assert_eq!(host.chains()[0].height.0, 4, "{point:?}");
}

/// Sends the twin again: accepted (a known header, answered from memory).
fn resubmit(host: &mut ChainHost, _anchored: bool) {
    if let Err(e) = submit(host, &fixture().twin) {
        panic!("re-sent twin: {e}");
    }
}

#[test]
fn a_crash_between_the_writes_of_a_header_loses_and_duplicates_nothing() {
    for restart in [true, false] {
        for point in [
            FaultPoint::AfterHeaderLogged,
            FaultPoint::AfterHeaderQueued,
            FaultPoint::AfterDetector,
            FaultPoint::AfterEvidenceQueued,
            FaultPoint::AfterCommit,
        ] {
            crash_while_submitting_twin(point, true, restart);
        }
        for point in [
            FaultPoint::AfterHeaderLogged,
            FaultPoint::AfterDetector,
            FaultPoint::AfterCommit,
        ] {
            crash_while_submitting_twin(point, false, restart);
        }
    }
}

#[test]
fn a_crash_between_the_writes_of_posted_evidence_loses_and_duplicates_nothing() {
    let ev = evidence();
    for restart in [true, false] {
        for point in [
            FaultPoint::AfterEvidenceStored,
            FaultPoint::AfterEvidenceQueued,
            FaultPoint::AfterCommit,
        ] {
            let dir = tempfile::tempdir().unwrap();
            let (mut store, mut host) = open(dir.path(), true);
            for h in &fixture().chain {
                submit(&mut host, h).unwrap();
            }
            host.arm_fault(Some(point));
            let e = host.submit_evidence(&ev.encode()).unwrap_err();
            assert!(matches!(e, HostError::Fault(p) if p == point), "{e}");
            if restart {
                drop(host);
                drop(store);
                (store, host) = open(dir.path(), true);
            }
            let got = records(&store, &host, &ev);
            let stored = point == FaultPoint::AfterCommit;
            assert_eq!(
                (got.evidence, got.evidence_queued, got.handed_out),
                (usize::from(stored), stored, usize::from(stored)),
                "{point:?} restart={restart}: all or nothing"
            );
            let reply = host.submit_evidence(&ev.encode()).unwrap();
            assert_eq!(reply.new, !stored, "{point:?}");
            assert!(!host.submit_evidence(&ev.encode()).unwrap().new);
            let got = records(&store, &host, &ev);
            assert_eq!(
                (
                    got.evidence,
                    got.evidence_queued,
                    got.handed_out,
                    got.queued_items
                ),
                (1, true, 1, 5),
                "{point:?} restart={restart}"
            );
        }
    }
}

/// A block that includes evidence: its header and body are written together or not at all, so
/// after a crash either the ban holds (the block is there with its body) or neither is, and once
/// the farmer re-sends the block the ban holds, across restarts too.
#[test]
fn a_crash_while_logging_a_block_with_evidence_keeps_header_body_and_ban_together() {
    let f = fixture();
    let chain = f.spec.chain_id;
    for anchored in [true, false] {
        for restart in [true, false] {
            for point in [
                FaultPoint::AfterHeaderLogged,
                FaultPoint::AfterHeaderQueued,
                FaultPoint::AfterDetector,
                FaultPoint::AfterCommit,
            ] {
                if !anchored && point == FaultPoint::AfterHeaderQueued {
                    continue;
                }
                let dir = tempfile::tempdir().unwrap();
                let (mut store, mut host) = open(dir.path(), anchored);
                for h in f.chain.iter().chain([&f.twin]) {
                    submit(&mut host, h).unwrap();
                }
                assert_eq!(host.work(&chain, 0).unwrap().evidence.len(), 1);
                host.arm_fault(Some(point));
                let e = host.submit_block(&chain, &f.including, 0).unwrap_err();
                assert!(matches!(e, HostError::Fault(p) if p == point), "{e}");
                if restart {
                    drop(host);
                    drop(store);
                    (store, host) = open(dir.path(), anchored);
                }
                let stored = point == FaultPoint::AfterCommit;
                let body = HostLog::on(store.clone())
                    .unwrap()
                    .body(&f.including.hash())
                    .unwrap();
                assert_eq!(
                    body,
                    stored.then(|| f.including.body.encode()),
                    "{point:?} anchored={anchored} restart={restart}"
                );
                let after = submit(&mut host, &f.after);
                if stored {
                    let e = after.unwrap_err();
                    assert_eq!(e.code(), "banned_key", "{point:?}: {e}");
                } else {
                    // Without the including block, its child has no parent here.
                    let e = after.unwrap_err();
                    assert_eq!(e.code(), "unknown_parent", "{point:?}: {e}");
                }
                // The farmer re-sends the block: once, with its body, and the ban holds.
                host.submit_block(&chain, &f.including, 0).unwrap();
                host.submit_block(&chain, &f.including, 0).unwrap();
                assert!(host.work(&chain, 0).unwrap().evidence.is_empty());
                drop(host);
                drop(store);
                let (store, mut host) = open(dir.path(), anchored);
                let log = HostLog::on(store.clone()).unwrap();
                assert_eq!(log.blocks().unwrap().len(), 6, "{point:?}");
                assert_eq!(
                    log.body(&f.including.hash()).unwrap(),
                    Some(f.including.body.encode())
                );
                let e = submit(&mut host, &f.after).unwrap_err();
                assert_eq!(e.code(), "banned_key", "{point:?} anchored={anchored}");
                assert!(host.work(&chain, 0).unwrap().evidence.is_empty());
            }
        }
    }
}

/// What is worth anchoring (`host/anchor_pick.rs`): best-chain headers and evidence go into
/// the next batch; the header on the side branch waits in the queue, in its place.
#[test]
fn only_the_best_chain_and_evidence_are_sealed_and_a_side_branch_waits_queued() {
    use masspoc_node_bridge::anchor::Pick;
    let dir = tempfile::tempdir().unwrap();
    let (_store, mut host) = open(dir.path(), true);
    let f = fixture();
    for h in &f.chain {
        submit(&mut host, h).unwrap();
    }
    submit(&mut host, &f.twin).unwrap();
    let header = |h: &Header| Item {
        kind: ItemKind::Header,
        hash: h.hash().0,
    };
    let best4 = host.chains()[0].tip_hash;
    let (on_best, side) = if best4 == f.twin.hash() {
        (f.twin, f.chain[3])
    } else {
        (f.chain[3], f.twin)
    };
    for h in f.chain[..3].iter().chain([&on_best]) {
        assert_eq!(host.anchor_pick(&header(h)), Pick::Anchor);
    }
    assert_eq!(host.anchor_pick(&header(&side)), Pick::Wait);
    let ev = Item {
        kind: ItemKind::Evidence,
        hash: evidence().id().0,
    };
    assert_eq!(host.anchor_pick(&ev), Pick::Anchor);
    // An item no hosted chain knows (queued by hand) is anchored.
    let unknown = Item {
        kind: ItemKind::Header,
        hash: [7; 32],
    };
    assert_eq!(host.anchor_pick(&unknown), Pick::Anchor);
    // Sealed as the anchorer seals: all but the side header, which stays queued.
    let outbox = host.outbox().unwrap();
    let batch = outbox
        .seal_picked(64, &|i| host.anchor_pick(i), Some(1))
        .unwrap()
        .unwrap();
    assert_eq!(batch.items.len(), 5, "4 best headers and the evidence");
    assert_eq!(outbox.pending_len().unwrap(), 1);
    assert_eq!(outbox.pending_items().unwrap(), vec![header(&side)]);
    assert_eq!(outbox.last_seal_ms().unwrap(), Some(1));
    // Dropped as the anchorer drops a side header at or below finality (`Pick::Drop`): gone
    // from the queue and the index, once; the sealed items are untouched.
    let leaf = header(&side).leaf_data().to_vec();
    let sealed = header(&f.chain[0]).leaf_data().to_vec();
    let both = std::collections::HashSet::from([leaf.clone(), sealed]);
    assert_eq!(outbox.drop_pending(&both).unwrap(), 1);
    assert_eq!(outbox.pending_len().unwrap(), 0);
    assert_eq!(outbox.batch_of(&header(&side)).unwrap(), None);
    assert_eq!(
        outbox.batch_of(&header(&f.chain[0])).unwrap(),
        Some(Some(batch.seq))
    );
    assert_eq!(
        outbox
            .drop_pending(&std::collections::HashSet::from([leaf]))
            .unwrap(),
        0
    );
}
