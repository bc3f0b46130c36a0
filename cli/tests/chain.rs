//! End-to-end: `verify-header`, `verify-chain`, `slashing verify` and `simulate` on files made
//! by honest test farmers, with exit codes and `--json` fields scripts rely on.

use masspoc_proof::vrf::{self, proof_to_hash, VrfSecretKey};
use masspoc_verifier::evidence::EvidenceJson;
use masspoc_verifier::testkit::{grow_chain, TestFarmer};
use masspoc_verifier::{
    derive_challenge, Beacon, ChainParams, ChainSpec, ChainState, Evidence, HeaderJson,
};
use serde_json::Value;
use std::path::Path;

use crate::common;
use common::{masspoc_with, Run};

fn masspoc(args: &[&str]) -> (i32, Value, String) {
    masspoc_with(args).run().parts()
}

fn params() -> ChainParams {
    ChainParams {
        initial_difficulty: 5_000,
        retarget_window: 8,
        ..masspoc_verifier::testkit::weak_params("cli test", Beacon([3; 32]))
    }
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

#[test]
fn verify_chain_header_and_evidence() {
    let dir = common::scratch();
    let params_path = write(
        dir.path(),
        "params.json",
        &serde_json::to_string(&params()).unwrap(),
    );
    let farmers: Vec<TestFarmer> = (1u8..=2)
        .map(|i| TestFarmer::new([i; 32], &[16; 3]))
        .collect();
    let state = ChainState::new(ChainSpec::new(params()).unwrap());
    let chain = grow_chain(&state, &farmers, state.best().hash, 12);
    let lines: Vec<String> = chain
        .iter()
        .enumerate()
        .map(|(i, h)| {
            if i % 2 == 0 {
                serde_json::to_string(&HeaderJson::from(h)).unwrap()
            } else {
                h.to_hex()
            }
        })
        .collect();
    let file = write(dir.path(), "chain.jsonl", &lines.join("\n"));
    let (code, j, out) = masspoc(&["verify-chain", &file, "--params", &params_path, "--json"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(j["valid"], true);
    assert_eq!(j["best"]["height"], 12);
    assert!(j["headers_per_s"].as_f64().unwrap() > 0.0);

    // One tampered line: rejected with its reason, exit 1.
    let mut bad = chain.clone();
    bad[5].timestamp_ms -= 1;
    let tampered: Vec<String> = bad.iter().map(|h| h.to_hex()).collect();
    let file = write(dir.path(), "bad.jsonl", &tampered.join("\n"));
    let (code, j, _) = masspoc(&["verify-chain", &file, "--params", &params_path, "--json"]);
    assert_eq!(code, 1);
    let reasons: Vec<&str> = j["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reason"].as_str().unwrap())
        .collect();
    assert!(
        reasons[0] == "deadline_not_met" || reasons[0] == "bad_signature",
        "{reasons:?}"
    );

    // verify-header: height 1 against genesis, height 5 with its parent.
    let (code, j, out) = masspoc(&[
        "verify-header",
        &chain[0].to_hex(),
        "--params",
        &params_path,
        "--json",
        "--no-clock",
    ]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(j["valid"], true);
    let parent = write(dir.path(), "parent.hex", &chain[3].to_hex());
    let (code, j, _) = masspoc(&[
        "verify-header",
        &chain[4].to_hex(),
        "--params",
        &params_path,
        "--parent",
        &parent,
        "--json",
        "--no-clock",
    ]);
    assert_eq!(code, 0);
    assert!(j["deadline_ms"].is_u64());
    let mut forged = chain[0];
    forged.signature[0] ^= 1;
    let (code, j, _) = masspoc(&[
        "verify-header",
        &forged.to_hex(),
        "--params",
        &params_path,
        "--json",
        "--no-clock",
    ]);
    assert_eq!(code, 1);
    assert_eq!(j["reason"], "bad_signature");

    // The grinding attack of issue 11: the same proof and timestamp with two freely chosen VRF
    // keys (each with a valid VRF proof, re-signed) are refused for their VRF key, at height 1
    // and deeper, with parameters or without.
    let parent4 = write(dir.path(), "parent4.hex", &chain[3].to_hex());
    for (h, parent_beta, parent_file) in [
        (chain[0], state.best().beta, None),
        (
            chain[4],
            proof_to_hash(&chain[3].vrf_proof).unwrap(),
            Some(&parent4),
        ),
    ] {
        let farmer = farmers
            .iter()
            .find(|f| f.farmer_pk() == h.farmer())
            .unwrap();
        for free_seed in [91u8, 92] {
            let free = VrfSecretKey::from_seed(&[free_seed; 32]);
            let c = derive_challenge(&h.chain_id, h.height, h.slot, &parent_beta);
            let mut forged = h;
            forged.vrf_pk = free.public();
            forged.vrf_proof = vrf::prove(&free, c.as_bytes());
            farmer.sign(&mut forged);
            let hex = forged.to_hex();
            let bare = ["verify-header", hex.as_str(), "--json", "--no-clock"];
            let (code, j, out) = masspoc(&bare);
            assert_eq!(code, 1, "{out}");
            assert_eq!(
                j["reason"], "vrf_key_not_bound",
                "without parameters: {out}"
            );
            let mut full = bare.to_vec();
            full.extend(["--params", params_path.as_str()]);
            if let Some(p) = parent_file {
                full.extend(["--parent", p.as_str()]);
            }
            let (code, j, out) = masspoc(&full);
            assert_eq!(code, 1, "{out}");
            assert_eq!(j["valid"], false);
            assert_eq!(
                j["reason"], "vrf_key_not_bound",
                "height {}: {out}",
                h.height
            );
        }
    }

    // Without parameters: encoding, binding and signature only.
    let (code, j, _) = masspoc(&["verify-header", &chain[7].to_hex(), "--json"]);
    assert_eq!(code, 0);
    assert!(j["scope"].as_str().unwrap().contains("signature only"));

    // slashing verify: two headers by one farmer at one height.
    let g = state.best().hash;
    let info = state.parent_info(&g).unwrap();
    let d = state.next_difficulty(&g).unwrap();
    let c = farmers[0].candidate(state.spec(), &info, d, 64).unwrap();
    let a = farmers[0].header(
        state.spec(),
        &info,
        d,
        &c,
        masspoc_verifier::PayloadRoot([1; 32]),
    );
    let b = farmers[0].header(
        state.spec(),
        &info,
        d,
        &c,
        masspoc_verifier::PayloadRoot([2; 32]),
    );
    let ev = Evidence::new(a, b).unwrap();
    let ev_file = write(
        dir.path(),
        "ev.json",
        &serde_json::to_string(&EvidenceJson::from(&ev)).unwrap(),
    );
    let (code, j, _) = masspoc(&["slashing", "verify", &ev_file, "--json"]);
    assert_eq!(code, 0);
    assert_eq!(j["valid"], true);
    let mut enc = ev.encode();
    enc[10] ^= 1;
    let (code, j, _) = masspoc(&["slashing", "verify", &hex::encode(enc), "--json"]);
    assert_eq!(code, 1);
    assert_eq!(j["valid"], false);
}

#[test]
fn simulate_json_fields() {
    let (code, j, out) = masspoc(&[
        "simulate",
        "--heights",
        "400",
        "--farmers",
        "16:10,18:5",
        "--seed",
        "4",
        "--json",
    ]);
    assert_eq!(code, 0, "{out}");
    let farmers = j["farmers"].as_array().unwrap();
    assert_eq!(farmers.len(), 2);
    for f in farmers {
        assert!(f["name"].is_string() && f["weight_share"].is_f64() && f["block_share"].is_f64());
    }
    assert!(j["mean_interval_s"].is_f64());
    assert_eq!(j["target_interval_s"], 10.0);
    assert!(j["reorgs"].is_u64());
    let (code, _, _) = masspoc(&["simulate", "--heights", "10", "--farmers", "16:0"]);
    assert_eq!(code, 2);
}

/// `bridge run --chains` refuses a chain on which one core fakes more than 1 GiB per target
/// interval (docs/protocol.md, "What faking space costs") unless `--allow-weak-params`; the
/// recommended production parameters pass. No node is running: a chain file that passes the check
/// fails later, at the node.
#[test]
fn bridge_run_refuses_weak_chain_parameters() {
    let dir = common::scratch();
    let chain = |target_ms: u64, min_k: u8| {
        let mut p = params();
        p.target_interval_ms = target_ms;
        p.slot_ms = 6 * target_ms;
        p.min_k = min_k;
        p.probe_bits = masspoc_proof::ProbeBits::new(6).unwrap();
        p
    };
    #[derive(serde::Serialize)]
    struct File {
        chain: Vec<ChainParams>,
    }
    let weak = chain(10_000, 16);
    assert!(weak.is_weak());
    let strong = chain(1_000, 28);
    assert!(!strong.is_weak());
    let file = |name: &str, p: ChainParams| {
        write(
            dir.path(),
            name,
            &toml::to_string(&File { chain: vec![p] }).unwrap(),
        )
    };
    let (weak_file, strong_file) = (file("weak.toml", weak), file("strong.toml", strong));
    let data = dir.path().join("bridge").display().to_string();
    let run = |chains: &str, extra: &[&str]| {
        let mut args = vec![
            "bridge",
            "run",
            "--network",
            "regtest",
            "--data",
            &data,
            "--chains",
            chains,
            "--rpc-url",
            "http://127.0.0.1:9",
            "--rpc-user",
            "u",
            "--rpc-password",
            "p",
            "--rpc-retry-secs",
            "0",
            "--once",
        ];
        args.extend_from_slice(extra);
        masspoc(&args)
    };
    let (code, _, out) = run(&weak_file, &[]);
    assert_ne!(code, 0);
    assert!(
        out.contains("pass --allow-weak-params") && out.contains("6556 MiB"),
        "{out}"
    );
    for (f, extra) in [
        (&weak_file, &["--allow-weak-params"][..]),
        (&strong_file, &[][..]),
    ] {
        let (code, _, out) = run(f, extra);
        assert_ne!(code, 0, "no node is running");
        assert!(!out.contains("pass --allow-weak-params"), "{out}");
    }
}
