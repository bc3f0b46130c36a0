//! The plot holds exactly the brute-force set of valid pairs, and every lookup and proof verifies.

mod common;

use common::{brute_pairs, plot_bytes, request};
use masspoc_plotter::PlotReader;
use masspoc_proof::{probe, Challenge};
use std::collections::BTreeMap;

#[test]
fn k16_lookups_are_exactly_the_brute_force_set() {
    let dir = tempfile::tempdir().unwrap();
    let req = request(16, 1, dir.path());
    let (summary, _) = plot_bytes(&req);
    let plot_id = req.plot_id();
    let expected = brute_pairs(&plot_id, req.k);
    assert_eq!(summary.pairs, expected.len() as u64);
    let mut by_z: BTreeMap<u64, Vec<(u64, u64)>> = BTreeMap::new();
    for &(z, x, xp) in &expected {
        by_z.entry(z).or_default().push((x, xp));
    }
    let reader = PlotReader::open(&summary.path).unwrap();
    // Every z: the lookup returns exactly the brute-force pairs, in (x, x') order.
    for z in 0..req.k.domain() {
        let got = reader.lookup(z).unwrap();
        let want = by_z.get(&z).cloned().unwrap_or_default();
        assert_eq!(got, want, "z = {z}");
    }
    // Random challenges: the proofs are exactly the brute-force pairs of the challenge's z.
    let mut answered = 0;
    for i in 0u64..2000 {
        let c = Challenge(*blake3::hash(&i.to_le_bytes()).as_bytes());
        let z = probe(&plot_id, req.k, &c).z;
        let proofs = reader.prove(&c, 0).unwrap();
        let got: Vec<(u64, u64)> = proofs
            .iter()
            .map(|p| (p.proof.x, p.proof.x_prime))
            .collect();
        assert_eq!(got, by_z.get(&z).cloned().unwrap_or_default());
        for p in &proofs {
            let v = p.proof.verify(&c, 0).unwrap();
            assert_eq!((v.quality, v.score), (p.quality, p.score));
        }
        answered += usize::from(!proofs.is_empty());
    }
    // About 1 - e^(-1/2) = 39% of challenges have a proof.
    assert!(
        (700..900).contains(&answered),
        "answered {answered} of 2000"
    );
}

#[test]
fn every_stored_pair_verifies_k18() {
    let dir = tempfile::tempdir().unwrap();
    let req = request(18, 2, dir.path());
    let (summary, _) = plot_bytes(&req);
    let reader = PlotReader::open(&summary.path).unwrap();
    let mut n = 0u64;
    for z in 0..req.k.domain() {
        for (x, xp) in reader.lookup(z).unwrap() {
            masspoc_proof::check_pair(&req.plot_id(), req.k, x, xp).unwrap();
            n += 1;
        }
    }
    assert_eq!(n, summary.pairs);
    assert_eq!(n, brute_pairs(&req.plot_id(), req.k).len() as u64);
}
