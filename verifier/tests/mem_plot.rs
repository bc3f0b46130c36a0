//! The testkit's in-memory plot answers through the plot crate's reading seam: for every probe
//! window of the independent derivation (`proof/tests/vectors/derive.py`), its best proof is the
//! best-scoring pair the derivation lists in that window.

use masspoc_proof::{
    quality, score, Challenge, FarmerPublicKey, FilterBits, PlotSeed, ProbeBits, Proof, K,
};
use masspoc_verifier::testkit::MemPlot;
use serde_json::Value;

fn hex32(v: &Value) -> [u8; 32] {
    let mut out = [0u8; 32];
    hex::decode_to_slice(v.as_str().expect("hex string"), &mut out).expect("32 hex bytes");
    out
}

fn num(v: &Value) -> u64 {
    v.as_u64().expect("integer")
}

#[test]
fn the_best_proof_of_each_window_is_the_derived_best() {
    let v: Value =
        serde_json::from_str(include_str!("../../proof/tests/vectors/proof_vectors.json"))
            .expect("vector file parses");
    let mut windows = 0;
    for entry in v["plots"].as_array().unwrap() {
        let k = K::new(num(&entry["k"]) as u8).unwrap();
        let pk = FarmerPublicKey(hex32(&entry["farmer_pk"]));
        let seed = PlotSeed(hex32(&entry["plot_seed"]));
        let plot = MemPlot::generate(pk, k, seed);
        let template = Proof {
            farmer_pk: pk,
            k,
            plot_seed: seed,
            x: 0,
            x_prime: 0,
        };
        let pid = template.plot_id();
        for w in entry["windows"].as_array().unwrap() {
            let c = Challenge(hex32(&w["challenge"]));
            let b = ProbeBits::new(num(&w["probe_bits"]) as u32).unwrap();
            let want = w["pairs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    let (x, x_prime) = (num(&p[1]), num(&p[2]));
                    let proof = Proof {
                        x,
                        x_prime,
                        ..template
                    };
                    (proof, score(&quality(&pid, &c, x, x_prime), k))
                })
                .min_by_key(|(_, s)| *s);
            assert_eq!(plot.prove(&c, FilterBits::NONE, b), want, "k {k} b {b}");
            windows += 1;
        }
    }
    assert_eq!(windows, 19);
}
