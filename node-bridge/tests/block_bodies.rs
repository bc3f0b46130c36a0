//! Blocks carry bodies through the chain host over HTTP on loopback (no anchoring): bodies are
//! served beside headers and by hash, a body that does not match its header's root is refused
//! (`body_mismatch`) with nothing stored, an equivocation's evidence is handed out in `Work`, a
//! block that includes it bans the offender on its branch (`banned_key`), the evidence is not
//! handed out again, and a restart rebuilds the same from the stored bodies.

use crate::common;

use common::blocks::next_block;
use common::host_server::HostServer as Server;
use masspoc_api::{BodyReply, HeaderList, SubmitHeader, Work};
use masspoc_node_bridge::host::log::HostLog;
use masspoc_node_bridge::host::ChainHost;
use masspoc_node_bridge::store::Store;
use masspoc_verifier::testkit::{grow_chain, TestFarmer};
use masspoc_verifier::{Block, Body, ChainSpec, ChainState, Evidence};
use serde_json::Value;
use std::time::Duration;

fn spec() -> ChainSpec {
    common::spec::weak_spec("bodies", &"5c".repeat(32))
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(20)))
        .build()
        .into()
}

fn get(url: &str) -> (u16, Value) {
    let mut r = agent().get(url).call().unwrap();
    let status = r.status().as_u16();
    (
        status,
        serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap(),
    )
}

fn post(base: &str, chain: &str, s: &SubmitHeader) -> (u16, Value) {
    let mut r = agent()
        .post(&format!("{base}/v1/chains/{chain}/headers"))
        .header("content-type", "application/json")
        .send(serde_json::to_string(s).unwrap().as_bytes())
        .unwrap();
    let status = r.status().as_u16();
    (
        status,
        serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap(),
    )
}

fn work(base: &str, chain: &str) -> Work {
    let (status, v) = get(&format!("{base}/v1/chains/{chain}/challenge"));
    assert_eq!(status, 200, "{v}");
    serde_json::from_value(v).unwrap()
}

#[test]
fn bodies_are_stored_served_checked_and_carry_the_bans() {
    let spec = spec();
    let chain = hex::encode(spec.chain_id.as_bytes());
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_data_dir(dir.path()).unwrap();
    let mut host = ChainHost::open(&store, vec![spec.clone()], false).unwrap();
    host.set_check_clock(false);
    let server = Server::start(host);
    let base = server.url.clone();

    let honest = TestFarmer::new([1; 32], &[16]);
    let cheat = TestFarmer::new([2; 32], &[16]);
    let mut state = ChainState::new(spec.clone());
    // Heights 1..=2 by the cheat, then one honest block (so the cheat has blocks on the chain).
    let mut headers = grow_chain(&state, std::slice::from_ref(&cheat), spec.genesis.hash, 2);
    for h in &headers {
        state.accept_header(h, None).unwrap();
    }
    let b3 = next_block(
        &state,
        &honest,
        &headers[1].hash(),
        Body::new(vec![], vec![9, 9]).unwrap(),
    );
    state.accept_block(&b3, None).unwrap();
    headers.push(b3.header);
    for h in &headers[..2] {
        let (status, v) = post(&base, &chain, &SubmitHeader::new(h));
        assert_eq!(status, 200, "{v}");
    }

    // A payload body that does not match the root, and a header whose root is not the empty
    // body's sent without a body: body_mismatch, nothing stored.
    let mut wrong = SubmitHeader::block(&b3);
    wrong.body = Some(masspoc_api::HexBytes(
        Body::new(vec![], vec![9]).unwrap().encode(),
    ));
    let (status, v) = post(&base, &chain, &wrong);
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (422, Some("body_mismatch")),
        "{v}"
    );
    let (status, v) = post(&base, &chain, &SubmitHeader::new(&b3.header));
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (422, Some("body_mismatch")),
        "{v}"
    );
    let mut garbage = SubmitHeader::block(&b3);
    garbage.body = Some(masspoc_api::HexBytes(vec![1, 2, 3]));
    let (status, v) = post(&base, &chain, &garbage);
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (422, Some("bad_body")),
        "{v}"
    );
    let (status, v) = get(&format!("{base}/v1/chains/{chain}/bodies/{}", b3.hash()));
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (404, Some("unknown_block")),
        "{v}"
    );
    // With its body: accepted, served by hash and in the headers page.
    let (status, v) = post(&base, &chain, &SubmitHeader::block(&b3));
    assert_eq!((status, v["best"].as_bool()), (200, Some(true)), "{v}");
    let (status, v) = get(&format!("{base}/v1/chains/{chain}/bodies/{}", b3.hash()));
    assert_eq!(status, 200, "{v}");
    let reply: BodyReply = serde_json::from_value(v).unwrap();
    assert_eq!(reply.decode().unwrap(), b3.body);
    let (status, v) = get(&format!(
        "{base}/v1/chains/{chain}/bodies/{}",
        headers[0].hash()
    ));
    assert_eq!(
        (status, v["body"].as_str()),
        (200, Some("000000000000")),
        "{v}"
    );
    let (status, v) = get(&format!("{base}/v1/chains/{chain}/bodies/xyz"));
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (400, Some("bad_request")),
        "{v}"
    );
    let (_, v) = get(&format!("{base}/v1/chains/{chain}/headers?from=1"));
    let page: HeaderList = serde_json::from_value(v).unwrap();
    let blocks = page.decode_blocks().unwrap();
    assert_eq!(blocks.len(), 3);
    assert_eq!(blocks[2], b3);
    assert_eq!(blocks[0], Block::empty(headers[0]));
    assert!(work(&base, &chain).evidence.is_empty());

    // The cheat signs a second header at height 2: evidence, handed out in Work.
    let mut twin = headers[1];
    twin.timestamp_ms += 1;
    cheat.sign(&mut twin);
    let (status, v) = post(&base, &chain, &SubmitHeader::new(&twin));
    assert_eq!(status, 200, "{v}");
    let evidence = Evidence::new(headers[1], twin).unwrap();
    let w = work(&base, &chain);
    assert_eq!(w.decode_evidence().unwrap(), vec![evidence]);
    // The honest farmer includes it at height 4: the cheat is banned on that branch from 4.
    let b4 = next_block(
        &state,
        &honest,
        &b3.hash(),
        Body::new(vec![evidence], vec![]).unwrap(),
    );
    state.accept_block(&b4, None).unwrap();
    let (status, v) = post(&base, &chain, &SubmitHeader::block(&b4));
    assert_eq!((status, v["best"].as_bool()), (200, Some(true)), "{v}");
    assert!(
        work(&base, &chain).evidence.is_empty(),
        "included: not handed out again"
    );
    let b5 = next_block(&state, &cheat, &b4.hash(), Body::EMPTY);
    let (status, v) = post(&base, &chain, &SubmitHeader::new(&b5.header));
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (422, Some("banned_key")),
        "{v}"
    );
    let chains = |base: &str| get(&format!("{base}/v1/chains")).1;
    let before = chains(&base);
    drop(server);

    // Restart: the stored bodies rebuild the same tip and the same ban.
    let mut host = ChainHost::open(&store, vec![spec.clone()], false).unwrap();
    host.set_check_clock(false);
    let log = HostLog::on(store.clone()).unwrap();
    assert_eq!(
        log.blocks().unwrap().len(),
        5,
        "2 + b3 + twin + b4, nothing of the refused"
    );
    let server = Server::start(host);
    assert_eq!(chains(&server.url), before);
    let (status, v) = post(&server.url, &chain, &SubmitHeader::new(&b5.header));
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (422, Some("banned_key")),
        "{v}"
    );
    assert!(work(&server.url, &chain).evidence.is_empty());
    let (_, v) = get(&format!(
        "{}/v1/chains/{chain}/bodies/{}",
        server.url,
        b4.hash()
    ));
    let reply: BodyReply = serde_json::from_value(v).unwrap();
    assert_eq!(reply.decode().unwrap().evidence, vec![evidence]);
}
