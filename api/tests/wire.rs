//! Every API type against the wire format of `docs/bridge-api.md`: a JSON text written by hand
//! from the doc (`tests/data/*.json`) parses into the expected typed values and serialises back
//! to the same JSON (no field lost, renamed or retyped), and values built by the constructors
//! round-trip (serialise → deserialise → equal).

use masspoc_api::routes::{HeadersQuery, WorkQuery, DEFAULT_HEADERS_LIMIT, WORK_SLOTS};
use masspoc_api::{
    AnchorBatch, AnchorList, BodyReply, ChainFinality, ChainInfo, ChainList, ErrorBody,
    EvidenceList, EvidenceReply, EvidenceRow, HeaderList, Health, HexBytes, SlotChallenge,
    SubmitEvidence, SubmitHeader, SubmitReply, Work,
};
use masspoc_proof::vrf::VrfOutput;
use masspoc_proof::Challenge;
use masspoc_verifier::testkit::{bench_params, grow_chain, TestFarmer};
use masspoc_verifier::{
    derive_challenge, Block, Body, ChainId, ChainSpec, ChainState, Evidence, EvidenceId, Header,
    HeaderHash, Height, PayloadRoot, Slot,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use std::fmt::Debug;
use std::sync::OnceLock;

/// Parses the fixed text `tests/data/{name}`, checks that it serialises back to the same JSON,
/// and returns the typed value.
fn fixed<T: Serialize + DeserializeOwned + PartialEq + Debug>(name: &str) -> T {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    let typed: T = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    let want: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(serde_json::to_value(&typed).unwrap(), want, "{name}");
    round_trip(&typed);
    typed
}

/// Serialise → deserialise → equal.
fn round_trip<T: Serialize + DeserializeOwned + PartialEq + Debug>(v: &T) {
    let text = serde_json::to_string(v).unwrap();
    let back: T = serde_json::from_str(&text).unwrap();
    assert_eq!(&back, v, "{text}");
}

fn b32(b: u8) -> [u8; 32] {
    [b; 32]
}

/// A chain of three headers, and evidence of the farmer signing a second header at height 3.
fn chain() -> &'static (ChainState, Vec<Header>, Evidence) {
    static C: OnceLock<(ChainState, Vec<Header>, Evidence)> = OnceLock::new();
    C.get_or_init(|| {
        let farmer = TestFarmer::new([3; 32], &[16]);
        let mut state = ChainState::new(ChainSpec::new(bench_params()).unwrap());
        let headers = grow_chain(&state, std::slice::from_ref(&farmer), state.best().hash, 3);
        for h in &headers {
            state.accept_header(h, None).unwrap();
        }
        let mut twin = headers[2];
        twin.payload_root = PayloadRoot([0xee; 32]);
        farmer.sign(&mut twin);
        let evidence = Evidence::new(headers[2], twin).unwrap();
        (state, headers, evidence)
    })
}

#[test]
fn chain_list() {
    let list: ChainList = fixed("chain_list.json");
    let c = &list.chains[0];
    assert_eq!(c.chain_id, ChainId(b32(0xa1)));
    assert_eq!(c.name, "alpha");
    assert_eq!(c.height, Height(412));
    assert_eq!(c.tip_hash, HeaderHash(b32(0xb2)));
    assert_eq!(c.cumulative_difficulty, u128::MAX);
    assert_eq!(
        (
            c.difficulty,
            c.filter_bits.get(),
            c.target_interval_ms,
            c.slot_ms
        ),
        (123_456, 4, 20_000, 20_000)
    );
    assert_eq!(c.probe_bits.get(), 6);
    // A bridge that predates the probe window omits `probe_bits`: the single index.
    let mut old: Value = serde_json::to_value(c).unwrap();
    old.as_object_mut().unwrap().remove("probe_bits");
    let old: ChainInfo = serde_json::from_value(old).unwrap();
    assert_eq!(old.probe_bits, masspoc_proof::ProbeBits::NONE);
    assert_eq!(c.final_height, Height(380));
    assert_eq!(c.final_hash, Some(HeaderHash(b32(0xd4))));
    // A bridge that predates finality omits both: nothing final.
    let mut old: Value = serde_json::to_value(c).unwrap();
    old.as_object_mut().unwrap().remove("final_height");
    old.as_object_mut().unwrap().remove("final_hash");
    let old: ChainInfo = serde_json::from_value(old).unwrap();
    assert_eq!((old.final_height, old.final_hash), (Height(0), None));

    let (state, headers, _) = chain();
    let info = ChainInfo::of(state);
    assert_eq!(info.height, Height(3));
    assert_eq!(info.tip_hash, headers[2].hash());
    assert_eq!(info.cumulative_difficulty, state.best().cumulative);
    // No anchors fed: genesis is the final block.
    assert_eq!(info.final_height, Height(0));
    assert_eq!(info.final_hash, Some(state.spec().genesis.hash));
    round_trip(&ChainList::new(vec![info]));
}

#[test]
fn work() {
    let w: Work = fixed("work.json");
    assert_eq!(w.chain_id, ChainId(b32(0xa1)));
    assert_eq!(w.tip(), (Height(413), HeaderHash(b32(0xb2))));
    assert_eq!(w.parent_timestamp_ms, 1_767_225_600_000);
    assert_eq!(w.parent_vrf_output, VrfOutput([0xc3; 64]));
    assert_eq!(
        (
            w.difficulty,
            w.filter_bits.get(),
            w.probe_bits.get(),
            w.slot_ms
        ),
        (123_456, 4, 6, 20_000)
    );
    assert_eq!(
        w.challenges,
        vec![
            SlotChallenge::new(Slot(0), Challenge(b32(0xd4))),
            SlotChallenge::new(Slot(1), Challenge(b32(0xe5)))
        ]
    );
    assert_eq!(w.now_ms, 1_767_225_601_234);

    let (state, headers, _) = chain();
    let w = Work::at_best(state, WORK_SLOTS, 42);
    assert_eq!(w.tip(), (Height(4), headers[2].hash()));
    assert_eq!(w.now_ms, 42);
    assert_eq!(w.challenges.len(), WORK_SLOTS as usize);
    let beta = state.best().beta;
    for (i, c) in w.challenges.iter().enumerate() {
        let slot = Slot(u32::try_from(i).unwrap());
        assert_eq!(c.slot, slot);
        assert_eq!(
            c.challenge,
            derive_challenge(&w.chain_id, Height(4), slot, &beta)
        );
    }
    round_trip(&w);
    // Work on a block that is not the tip, and on one the state does not know.
    assert!(w.evidence.is_empty(), "no evidence handed out: no field");
    assert!(serde_json::to_value(&w).unwrap().get("evidence").is_none());
    let w1 = Work::extending(state, &headers[0].hash(), 1, 0).unwrap();
    assert_eq!(w1.tip(), (Height(2), headers[0].hash()));
    assert!(Work::extending(state, &HeaderHash([9; 32]), 1, 0).is_none());
}

#[test]
fn work_hands_out_evidence() {
    let w: Work = fixed("work_evidence.json");
    assert_eq!(w.evidence, vec![HexBytes(vec![1, 2])]);
    assert!(w.decode_evidence().is_err(), "two bytes are not evidence");
    let (state, _, e) = chain();
    let w = Work::at_best(state, 1, 0).with_evidence(std::slice::from_ref(e));
    assert_eq!(w.evidence, vec![HexBytes(e.encode())]);
    assert_eq!(w.decode_evidence().unwrap(), vec![*e]);
    round_trip(&w);
}

#[test]
fn block_submission_bodies_and_pages() {
    // The body `000002000000abcd` is, by docs/protocol.md "Block body": no evidence (u16le 0), a
    // payload of u32le 2 bytes, `ab cd`.
    let s: SubmitHeader = fixed("submit_block.json");
    let payload_only = Body::new(vec![], vec![0xab, 0xcd]).unwrap();
    assert_eq!(s.body, Some(HexBytes(payload_only.encode())));
    assert_eq!(s.decode_block().unwrap_err().code(), "bad_encoding");
    let r: BodyReply = fixed("body_reply.json");
    assert_eq!(r.hash, HeaderHash(b32(0xf6)));
    assert_eq!(r.decode().unwrap(), payload_only);
    let l: HeaderList = fixed("block_list.json");
    assert_eq!(l.bodies.len(), 2);
    assert_eq!(l.decode_blocks().unwrap_err().0, 0, "short headers");

    let (_, headers, e) = chain();
    // A submission without a body is the empty body; one with a body carries it.
    let s = SubmitHeader::new(&headers[1]);
    assert_eq!(s.decode_block().unwrap(), Block::empty(headers[1]));
    let block = Block {
        header: headers[1],
        body: Body::new(vec![*e], vec![7]).unwrap(),
    };
    let s = SubmitHeader::block(&block);
    round_trip(&s);
    assert_eq!(s.decode_block().unwrap(), block);
    let mut bad = s.clone();
    bad.body = Some(HexBytes(vec![0; 5]));
    assert_eq!(bad.decode_block().unwrap_err().code(), "bad_body");
    // Pages with bodies; without them every body is empty; a length mismatch is refused.
    let blocks = vec![Block::empty(headers[0]), block.clone()];
    let l = HeaderList::of_blocks(&blocks);
    round_trip(&l);
    assert_eq!(l.decode_blocks().unwrap(), blocks);
    assert_eq!(
        HeaderList::of(headers).decode_blocks().unwrap(),
        headers
            .iter()
            .copied()
            .map(Block::empty)
            .collect::<Vec<_>>()
    );
    let mut short = l.clone();
    short.bodies.pop();
    assert_eq!(short.decode_blocks().unwrap_err().0, 1);
    let r = BodyReply::new(block.hash(), &block.body);
    round_trip(&r);
    assert_eq!(r.decode().unwrap(), block.body);
}

#[test]
fn header_submission_and_pages() {
    let s: SubmitHeader = fixed("submit_header.json");
    assert_eq!(s.header.as_slice()[..2], [0x01, 0xa1]);
    assert_eq!(
        s.decode().unwrap_err().code(),
        "bad_encoding",
        "a short header is the rules' refusal"
    );
    let r: SubmitReply = fixed("submit_reply.json");
    assert_eq!(r, SubmitReply::accepted(HeaderHash(b32(0xf6)), true));
    let l: HeaderList = fixed("header_list.json");
    assert_eq!(l.headers.len(), 2);
    assert_eq!(l.decode().unwrap_err().0, 0);

    let (_, headers, _) = chain();
    let s = SubmitHeader::new(&headers[1]);
    round_trip(&s);
    assert_eq!(s.decode().unwrap(), headers[1]);
    let l = HeaderList::of(headers);
    round_trip(&l);
    assert_eq!(&l.decode().unwrap(), headers);
    round_trip(&SubmitReply::accepted(headers[0].hash(), false));
}

#[test]
fn evidence() {
    let s: SubmitEvidence = fixed("submit_evidence.json");
    assert_eq!(s.evidence.as_slice()[0], 0x01);
    let r: EvidenceReply = fixed("evidence_reply.json");
    assert_eq!(r, EvidenceReply::accepted(EvidenceId(b32(0x07)), false));
    let l: EvidenceList = fixed("evidence_list.json");
    assert_eq!(l.evidence[0].hash, EvidenceId(b32(0x07)));
    assert!(l.evidence[0].anchored);

    let (_, _, e) = chain();
    let s = SubmitEvidence::new(e);
    round_trip(&s);
    assert_eq!(Evidence::decode(s.evidence.as_slice()).unwrap(), *e);
    let row = EvidenceRow::new(e, false);
    assert_eq!(row.hash, e.id());
    round_trip(&EvidenceList::new(vec![row]));
    round_trip(&EvidenceReply::accepted(e.id(), true));
}

#[test]
fn health_and_errors() {
    let h: Health = fixed("health.json");
    let finality = vec![
        ChainFinality::new(
            ChainId(b32(0xa1)),
            "alpha".into(),
            Some((Height(380), HeaderHash(b32(0xd4)))),
        ),
        ChainFinality::new(ChainId(b32(0xb1)), "beta".into(), None),
    ];
    assert_eq!(
        h,
        Health::ok(1234, "08".repeat(32), 2).with_finality(finality)
    );
    // A bridge that predates finality: no `finality`, read as empty.
    let old: Health =
        serde_json::from_str(r#"{"status": "ok", "pow_height": 1, "pow_best": "", "chains": 0}"#)
            .unwrap();
    assert!(old.finality.is_empty());
    let e: ErrorBody = fixed("error.json");
    assert_eq!(e.error.code, "deadline_not_met");
    assert_eq!(
        e,
        ErrorBody::new(
            "deadline_not_met",
            "the timestamp is 120 ms before the proof's deadline"
        )
    );
}

#[test]
fn anchor_list() {
    let l: AnchorList = fixed("anchor_list.json");
    let h = |b: u8| hex::encode([b; 32]);
    let want = AnchorList::new(
        3,
        vec![
            AnchorBatch::new(0, "final".into(), 2, h(1), Some(h(2)), Some((h(3), 120, 6))),
            AnchorBatch::new(1, "sealed".into(), 1, h(4), None, None),
        ],
    );
    assert_eq!(l, want);
}

#[test]
fn queries() {
    // The server reads these from the query string (all values are strings there).
    let q: WorkQuery = serde_json::from_str(r#"{"wait_ms": 20000}"#).unwrap();
    assert_eq!(q.wait_ms, 20_000);
    assert_eq!(serde_json::from_str::<WorkQuery>("{}").unwrap().wait_ms, 0);
    assert_eq!(serde_json::from_str::<WorkQuery>("{}").unwrap().tip, None);
    let q: WorkQuery = serde_json::from_str(&format!(
        r#"{{"wait_ms": 1, "tip": "{}"}}"#,
        "ab".repeat(32)
    ))
    .unwrap();
    assert_eq!(q.tip, Some(HeaderHash([0xab; 32])));
    let q: HeadersQuery = serde_json::from_str(r#"{"from": 5}"#).unwrap();
    assert_eq!((q.from, q.limit), (Height(5), DEFAULT_HEADERS_LIMIT));
    assert_eq!(HeadersQuery::default().limit, DEFAULT_HEADERS_LIMIT);
}

#[test]
fn additive_changes_are_tolerated() {
    // A newer bridge's reply with fields this version does not know still parses.
    let mut v: Value = serde_json::from_str(include_str!("data/work.json")).unwrap();
    v["finality"] = serde_json::json!(["00"]);
    v["nodes"] = serde_json::json!(["http://127.0.0.1:8737"]);
    let w: Work = serde_json::from_value(v).unwrap();
    assert_eq!(w.height, Height(413));
    // A missing field that is not optional is refused, naming it.
    let mut v: Value = serde_json::from_str(include_str!("data/work.json")).unwrap();
    v.as_object_mut().unwrap().remove("now_ms");
    let e = serde_json::from_value::<Work>(v).unwrap_err();
    assert!(e.to_string().contains("now_ms"), "{e}");
    // Typed fields refuse what is not theirs.
    let mut v: Value = serde_json::from_str(include_str!("data/submit_reply.json")).unwrap();
    v["hash"] = Value::from("abcd");
    assert!(serde_json::from_value::<SubmitReply>(v).is_err());
    assert_eq!(
        serde_json::to_string(&HexBytes(vec![1, 2])).unwrap(),
        "\"0102\""
    );
}
