//! The pure functions against vectors derived independently by `tests/vectors/derive.py`
//! (a Python re-implementation of DESIGN.md section 1 on the PyPI `blake3` package).

use masspoc_proof::{
    derive_plot_id, f_many, f_value, neg_log2_q32, p_fill, p_value, probe, quality, score,
    Challenge, FarmerPublicKey, FilterBits, PlotSeed, ProbeBits, Proof, ProofError, Quality, K,
};
use serde_json::Value;

fn vectors() -> Value {
    serde_json::from_str(include_str!("vectors/proof_vectors.json")).expect("vector file parses")
}

fn hex32(v: &Value) -> [u8; 32] {
    let mut out = [0u8; 32];
    hex::decode_to_slice(v.as_str().expect("hex string"), &mut out).expect("32 hex bytes");
    out
}

fn num(v: &Value) -> u64 {
    v.as_u64().expect("integer")
}

#[test]
fn plot_ids_p_f_probe_and_quality() {
    let v = vectors();
    for plot in v["plots"].as_array().unwrap() {
        let k = K::new(num(&plot["k"]) as u8).unwrap();
        let pk = FarmerPublicKey(hex32(&plot["farmer_pk"]));
        let seed = PlotSeed(hex32(&plot["plot_seed"]));
        let pid = derive_plot_id(&pk, k, &seed);
        assert_eq!(pid.0, hex32(&plot["plot_id"]), "plot id, k={k}");

        let mut scratch = Vec::new();
        for row in plot["p"].as_array().unwrap() {
            let (x, expected) = (num(&row[0]), num(&row[1]));
            assert_eq!(p_value(&pid, k, x), expected, "P({x}), k={k}");
            let mut one = [0u64; 1];
            p_fill(&pid, k, x, &mut one, &mut scratch);
            assert_eq!(one[0], expected, "p_fill at {x}");
        }
        let mut pairs = Vec::new();
        let mut expected_f = Vec::new();
        for row in plot["f"].as_array().unwrap() {
            let (x, xp, f) = (num(&row[0]), num(&row[1]), num(&row[2]));
            assert_eq!(f_value(&pid, k, x, xp), f, "F({x},{xp}), k={k}");
            pairs.push((x, xp));
            expected_f.push(f);
        }
        let mut got = vec![0u64; pairs.len()];
        f_many(&pid, k, &pairs, &mut got);
        assert_eq!(got, expected_f, "f_many, k={k}");

        for row in plot["probe"].as_array().unwrap() {
            let p = probe(&pid, k, &Challenge(hex32(&row[0])));
            assert_eq!(u64::from(p.filter_word), num(&row[1]));
            assert_eq!(p.z, num(&row[2]));
        }
        for row in plot["quality"].as_array().unwrap() {
            let q = quality(&pid, &Challenge(hex32(&row[0])), num(&row[1]), num(&row[2]));
            assert_eq!(q.0, hex32(&row[3]));
        }
    }
}

#[test]
fn a_real_proof_verifies_with_the_derived_quality_and_score() {
    let v = vectors();
    let plot = &v["plots"][0];
    let vp = &plot["valid_proof"];
    let encoded = hex::decode(vp["encoded"].as_str().unwrap()).unwrap();
    let proof = Proof::decode(&encoded).unwrap();
    assert_eq!(proof.encode().as_slice(), encoded.as_slice());
    assert_eq!(
        (proof.x, proof.x_prime),
        (num(&vp["x"]), num(&vp["x_prime"]))
    );
    let challenge = Challenge(hex32(&vp["challenge"]));
    let verified = proof
        .verify(&challenge, FilterBits::NONE, ProbeBits::NONE)
        .expect("the derived proof is valid");
    assert_eq!(verified.z, num(&vp["z"]));
    assert_eq!(verified.quality.0, hex32(&vp["quality"]));
    assert_eq!(neg_log2_q32(&verified.quality), num(&vp["neg_log2_q32"]));
    let expected_score: u128 = vp["score"].as_str().unwrap().parse().unwrap();
    assert_eq!(verified.score.0, expected_score);
    assert_eq!(score(&verified.quality, proof.k).0, expected_score);

    // The filter: passes at 0 bits, and at f bits exactly when the low f bits of the word are 0.
    let word = num(&vp["filter_word"]) as u32;
    for bits in 1..=32u32 {
        let passes = word.trailing_zeros() >= bits;
        match proof.verify(&challenge, FilterBits::new(bits).unwrap(), ProbeBits::NONE) {
            Ok(_) => assert!(passes, "filter {bits} should fail"),
            Err(ProofError::Filter) => assert!(!passes, "filter {bits} should pass"),
            Err(e) => panic!("unexpected {e}"),
        }
    }
}

#[test]
fn neg_log2_matches_the_documented_algorithm() {
    let v = vectors();
    for row in v["neg_log2_q32"].as_array().unwrap() {
        assert_eq!(
            neg_log2_q32(&Quality(hex32(&row[0]))),
            num(&row[1]),
            "{}",
            row[0]
        );
    }
}

/// The plot of a vector entry: its proof template and k.
fn plot_of(plot: &Value) -> (Proof, K) {
    let k = K::new(num(&plot["k"]) as u8).unwrap();
    let template = Proof {
        farmer_pk: FarmerPublicKey(hex32(&plot["farmer_pk"])),
        k,
        plot_seed: PlotSeed(hex32(&plot["plot_seed"])),
        x: 0,
        x_prime: 0,
    };
    (template, k)
}

#[test]
fn probe_windows_accept_exactly_the_derived_pairs() {
    let v = vectors();
    let mut checked = 0;
    for plot in v["plots"].as_array().unwrap() {
        let (template, k) = plot_of(plot);
        let pid = template.plot_id();
        for w in plot["windows"].as_array().unwrap() {
            let challenge = Challenge(hex32(&w["challenge"]));
            let b = ProbeBits::new(num(&w["probe_bits"]) as u32).unwrap();
            let p = probe(&pid, k, &challenge);
            assert_eq!(
                (u64::from(p.filter_word), p.z),
                (num(&w["filter_word"]), num(&w["z"]))
            );
            let window = b.window(k, p.z).unwrap();
            assert_eq!(
                (window.first(), window.last()),
                (num(&w["first"]), num(&w["last"]))
            );
            for row in w["pairs"].as_array().unwrap() {
                let (f, x, x_prime) = (num(&row[0]), num(&row[1]), num(&row[2]));
                let proof = Proof {
                    x,
                    x_prime,
                    ..template
                };
                let ok = proof
                    .verify(&challenge, FilterBits::NONE, b)
                    .expect("a pair of the window is a proof");
                assert_eq!((ok.z, ok.f), (p.z, f));
                assert_eq!(ok.quality, quality(&pid, &challenge, x, x_prime));
                // The single index accepts it only when F is z itself.
                let single = proof.verify(&challenge, FilterBits::NONE, ProbeBits::NONE);
                match single {
                    Ok(_) => assert_eq!(f, p.z),
                    Err(ProofError::WrongIndex { f: got, z, .. }) => {
                        assert_eq!((got, z), (f, p.z));
                        assert_ne!(f, p.z);
                    }
                    Err(e) => panic!("unexpected {e}"),
                }
                checked += 1;
            }
            for row in w["outside"].as_array().unwrap() {
                let proof = Proof {
                    x: num(&row[1]),
                    x_prime: num(&row[2]),
                    ..template
                };
                assert_eq!(
                    proof.verify(&challenge, FilterBits::NONE, b),
                    Err(ProofError::WrongIndex {
                        f: num(&row[0]),
                        z: p.z,
                        probe_bits: b.get()
                    }),
                    "the nearest pair outside the window is refused"
                );
            }
        }
    }
    assert!(checked > 400, "{checked} window pairs checked");
}

#[test]
fn a_window_as_wide_as_the_plot_is_refused() {
    let v = vectors();
    let vp = &v["plots"][0]["valid_proof"];
    let proof = Proof::decode(&hex::decode(vp["encoded"].as_str().unwrap()).unwrap()).unwrap();
    assert_eq!(proof.k.get(), 16);
    let challenge = Challenge(hex32(&vp["challenge"]));
    for b in 0..16 {
        let b = ProbeBits::new(b).unwrap();
        assert!(
            proof.verify(&challenge, FilterBits::NONE, b).is_ok(),
            "b {b}"
        );
    }
    assert_eq!(
        proof.verify(&challenge, FilterBits::NONE, ProbeBits::new(16).unwrap()),
        Err(ProofError::ProbeBitsNotBelowK {
            probe_bits: 16,
            k: 16
        })
    );
}
