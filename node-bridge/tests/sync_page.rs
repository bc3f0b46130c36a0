//! Sync pages through the chain host's page path (`ChainHost::submit_page`, what the network
//! hands a sync or ancestors answer to, `docs/network.md` "Sync"): the state-free checks of the
//! whole page on all cores, the stateful rules in order, one store commit. Real hosts on real
//! stores (anchored, so the outbox is written too), compared with the same page offered block by
//! block (`masspoc_net::accept_each`, what every page went through before).

use crate::common;

use common::blocks::next_block;
use masspoc_net::{accept_each, ChainSink, Verdict};
use masspoc_node_bridge::fault::FaultPoint;
use masspoc_node_bridge::host::http::Shared;
use masspoc_node_bridge::host::log::HostLog;
use masspoc_node_bridge::host::peer::PeerSeam;
use masspoc_node_bridge::host::ChainHost;
use masspoc_node_bridge::store::Store;
use masspoc_verifier::testkit::{grow_chain, TestFarmer};
use masspoc_verifier::{Block, Body, ChainSpec, ChainState, Evidence, HeaderHash};
use std::sync::Arc;

fn spec() -> ChainSpec {
    common::spec::weak_spec("pages", &"5d".repeat(32))
}

/// A chain host on its own store in `dir`, anchored, as the network sees it.
struct Node {
    seam: PeerSeam,
    store: Arc<Store>,
}

impl Node {
    fn open(dir: &std::path::Path) -> Node {
        let store = Store::open_data_dir(dir).unwrap();
        let mut host = ChainHost::open(&store, vec![spec()], true).unwrap();
        host.set_check_clock(false);
        Node {
            seam: PeerSeam(Shared::new(host)),
            store,
        }
    }

    fn host(&self) -> &ChainHost {
        &self.seam.0.host
    }

    /// Best tip, the best branch's bans, the final block.
    fn view(&self) -> (HeaderHash, Vec<String>, HeaderHash) {
        self.host()
            .with_state(&spec().chain_id, |s| {
                let mut bans: Vec<String> = s
                    .best()
                    .branch
                    .bans()
                    .map(|(f, h)| format!("{f} from {}", h.0))
                    .collect();
                bans.sort();
                (s.best().hash, bans, s.final_block().hash)
            })
            .unwrap()
    }

    /// The blocks the store holds, in log order.
    fn logged(&self) -> Vec<Block> {
        HostLog::on(self.store.clone())
            .unwrap()
            .blocks()
            .unwrap()
            .into_iter()
            .map(|l| l.block)
            .collect()
    }
}

fn honest_chain(n: usize) -> Vec<Block> {
    let spec = spec();
    let state = ChainState::new(spec.clone());
    grow_chain(
        &state,
        &[TestFarmer::new([1; 32], &[16])],
        spec.genesis.hash,
        n,
    )
    .into_iter()
    .map(Block::empty)
    .collect()
}

/// A 40-block page whose 18th block has a broken signature (found only by the parallel checks):
/// exactly the 17 blocks before it are accepted and stored, the 18th is invalid
/// (`bad_signature`) and ends the page, nothing after it is offered; the same page offered block
/// by block gives the same verdicts and the same store.
#[test]
fn a_page_with_an_invalid_block_accepts_exactly_the_prefix_before_it() {
    let mut page = honest_chain(40);
    page[17].header.signature[5] ^= 0x40;
    let chain = spec().chain_id;
    let dir = tempfile::tempdir().unwrap();
    let node = Node::open(dir.path());
    let verdicts = node.seam.accept_page(&chain, &page);
    assert_eq!(verdicts.len(), 18, "{verdicts:?}");
    assert!(verdicts[..17]
        .iter()
        .all(|v| matches!(v, Verdict::New { best: true })));
    assert!(
        matches!(&verdicts[17], Verdict::Invalid(why) if why.starts_with("bad_signature")),
        "{:?}",
        verdicts[17]
    );
    assert_eq!(node.view().0, page[16].hash());
    assert_eq!(node.logged(), page[..17].to_vec());

    let one_by_one = Node::open(&dir.path().join("b"));
    assert_eq!(accept_each(&one_by_one.seam, &chain, &page), verdicts);
    assert_eq!(one_by_one.logged(), node.logged());

    // Restarted from its store: the same 17 blocks.
    let again = node.store.clone();
    drop(node);
    let host = ChainHost::open(&again, vec![spec()], true).unwrap();
    let tip = host.with_state(&chain, |s| (s.best().height.0, s.best().hash));
    assert_eq!(tip, Some((17, page[16].hash())));
}

/// Blocks of an equivocation, a ban and a fork, built on `state` (every block accepted into it
/// except the banned one): `m1, s1, m2, m2 again, m3 (includes the evidence of m1 and s1), s2,
/// m4, m5 (by the banned farmer), m6`.
fn eventful_page() -> Vec<Block> {
    let spec = spec();
    let mut state = ChainState::new(spec.clone());
    let honest = TestFarmer::new([1; 32], &[16]);
    let cheat = TestFarmer::new([2; 32], &[16]);
    let g = spec.genesis.hash;
    let mut add = |farmer: &TestFarmer, parent: &HeaderHash, body: Body| {
        let b = next_block(&state, farmer, parent, body);
        state.accept_block(&b, None).unwrap();
        b
    };
    let m1 = add(&cheat, &g, Body::EMPTY);
    // The cheat's second block at height 1 (another payload, so another header): evidence.
    let s1 = add(&cheat, &g, Body::new(vec![], vec![7]).unwrap());
    let m2 = add(&honest, &m1.hash(), Body::EMPTY);
    let evidence = Evidence::new(m1.header, s1.header).unwrap();
    let m3 = add(
        &honest,
        &m2.hash(),
        Body::new(vec![evidence], vec![]).unwrap(),
    );
    let s2 = add(&honest, &s1.hash(), Body::EMPTY);
    let m4 = add(&honest, &m3.hash(), Body::EMPTY);
    let m5 = next_block(&state, &cheat, &m4.hash(), Body::EMPTY);
    assert_eq!(
        state.accept_block(&m5, None).unwrap_err().code(),
        "banned_key"
    );
    let m6 = Block::empty(m5.header);
    vec![m1, s1, m2.clone(), m2, m3, s2, m4, m5, m6]
}

/// A page with an equivocation (its evidence found by the detector), a known block, a block
/// that includes the evidence and bans the cheat, a side branch, then a block of the banned
/// farmer: through the page path and block by block, the same verdicts (the banned block is
/// invalid and ends the page), the same best tip, bans and final block, the same evidence
/// pool and the same stored blocks.
#[test]
fn a_page_ends_as_block_by_block_acceptance_does() {
    let page = eventful_page();
    let chain = spec().chain_id;
    let dir = tempfile::tempdir().unwrap();
    let paged = Node::open(&dir.path().join("a"));
    let each = Node::open(&dir.path().join("b"));
    let verdicts = paged.seam.accept_page(&chain, &page);
    assert_eq!(verdicts, accept_each(&each.seam, &chain, &page));
    assert_eq!(verdicts.len(), 8, "m6 is not offered: {verdicts:?}");
    assert_eq!(verdicts[3], Verdict::Known);
    assert!(
        matches!(&verdicts[7], Verdict::Invalid(why) if why.starts_with("banned_key")),
        "{verdicts:?}"
    );
    assert!(verdicts
        .iter()
        .enumerate()
        .all(|(i, v)| i == 3 || i == 7 || matches!(v, Verdict::New { .. })));
    let view = paged.view();
    assert_eq!(view, each.view());
    assert_eq!(view.0, page[6].hash(), "m4 is the best tip");
    assert_eq!(view.1.len(), 1, "the cheat is banned: {:?}", view.1);
    assert_eq!(paged.logged(), each.logged());
    assert_eq!(paged.logged().len(), 6);
    let evidence = |n: &Node| n.host().work(&chain, 0).unwrap().evidence;
    assert_eq!(evidence(&paged), evidence(&each));
}

/// A page whose writes fail at its fourth block (the equivocation's evidence, after three new
/// blocks were written in the same transaction) leaves the store and memory as they were before
/// the page: no block of it, no part of one; the four blocks answer `Later` (not the peer's
/// fault). Offered again, the page is accepted whole.
#[test]
fn a_page_that_fails_mid_write_stores_none_of_it() {
    let page = eventful_page();
    let chain = spec().chain_id;
    let dir = tempfile::tempdir().unwrap();
    let node = Node::open(dir.path());
    // m1, m2, m3 would be new before s1; put s1 fourth.
    let reordered = vec![
        page[0].clone(),
        page[2].clone(),
        page[4].clone(),
        page[1].clone(),
    ];
    let genesis = node.view();
    node.host().arm_fault(Some(FaultPoint::AfterEvidenceQueued));
    let verdicts = node.seam.accept_page(&chain, &reordered);
    assert_eq!(verdicts.len(), 4, "{verdicts:?}");
    assert!(
        verdicts.iter().all(|v| matches!(v, Verdict::Later(_))),
        "{verdicts:?}"
    );
    assert_eq!(node.view(), genesis);
    assert!(node.logged().is_empty());

    let verdicts = node.seam.accept_page(&chain, &reordered);
    assert!(
        verdicts.iter().all(|v| matches!(v, Verdict::New { .. })),
        "{verdicts:?}"
    );
    assert_eq!(node.logged(), reordered);
    assert_eq!(node.view().0, page[4].hash());
}
