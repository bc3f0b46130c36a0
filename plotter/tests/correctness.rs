//! The plot holds exactly the brute-force set of valid pairs, and every lookup and proof verifies.

use crate::common;

use common::{brute_pairs, plot_bytes, request};
use masspoc_plot::PlotReader;
use masspoc_proof::{probe, Challenge, FilterBits, ProbeBits};
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
        let proofs = reader.prove(&c, FilterBits::NONE, ProbeBits::NONE).unwrap();
        let got: Vec<(u64, u64)> = proofs
            .iter()
            .map(|p| (p.proof.x, p.proof.x_prime))
            .collect();
        assert_eq!(got, by_z.get(&z).cloned().unwrap_or_default());
        for p in &proofs {
            let v = p
                .proof
                .verify(&c, FilterBits::NONE, ProbeBits::NONE)
                .unwrap();
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

/// The path of large k (128-bit P items, round outputs indexed per bin of 4 superblocks),
/// forced at small k, writes the same bytes: in memory, with run files, and resumed after a
/// stop in either phase; and those bytes hold exactly the brute-force pairs.
#[test]
fn the_large_k_path_gives_the_same_plot() {
    use masspoc_plotter::{plot, NoProgress, PlotError, StopAt};
    let narrow = {
        let dir = tempfile::tempdir().unwrap();
        plot_bytes(&request(19, 6, dir.path())).1
    };
    let small = masspoc_plotter::plan::OVERHEAD + (1 << 20); // run files, 16 rounds
    for (memory, stop) in [
        (1u64 << 34, None),
        (small, None),
        (small, Some(StopAt::Round(2))),
        (small, Some(StopAt::Superblocks(4))),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut req = request(19, 6, dir.path());
        req.hooks.large_k_path = true;
        req.memory = memory;
        req.checkpoint_bytes = 0;
        req.threads = 1;
        if stop.is_some() {
            req.hooks.stop_at = stop;
            assert!(matches!(
                plot(&req, &NoProgress),
                Err(PlotError::Interrupted(_))
            ));
            req.hooks.stop_at = None;
            req.threads = 2;
        }
        let (summary, bytes) = plot_bytes(&req);
        assert!(
            bytes == narrow,
            "memory={memory} stop={stop:?} plan={:?}",
            summary.plan
        );
        assert_eq!(summary.resumed, stop.is_some());
    }
    let dir = tempfile::tempdir().unwrap();
    let req = request(19, 6, dir.path());
    let reader = PlotReader::open(&plot_bytes(&req).0.path).unwrap();
    assert_eq!(
        reader.header().pair_count,
        brute_pairs(&req.plot_id(), req.k).len() as u64
    );
}

/// k = 33..40 are accepted and planned within the memory bound (not plotted: k = 33 alone
/// would take hours here).
#[test]
fn k33_to_40_are_planned() {
    use masspoc_plotter::plan::{bin_bits, records_bytes, round_peak, wide_items, OVERHEAD};
    let dir = tempfile::tempdir().unwrap();
    for kk in 33..=40u8 {
        for memory in [1u64 << 30, 16 << 30] {
            let mut req = request(kk, 1, dir.path());
            req.memory = memory;
            let p = req.plan();
            let k = req.k;
            let held =
                u64::from(p.memory_rounds.saturating_sub(1)) * (records_bytes(k) >> p.rounds_log2);
            assert!(
                OVERHEAD + round_peak(k, p.rounds_log2) + held <= memory,
                "k={kk} memory={memory} {p:?}"
            );
            assert!(p.runs_on_disk);
            // Larger k than 32 is where bins of several superblocks and 128-bit items appear.
            let _ = (bin_bits(k, p.rounds_log2), wide_items(k, p.rounds_log2));
        }
    }
}
