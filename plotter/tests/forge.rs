//! The forger of `bench forge` recomputes exactly the stored plot: the same pairs in every window
//! (so the same best proof), found without reading the plot.

use masspoc_plot::reading::{read_candidates, PairIndex};
use masspoc_plot::PlotReader;
use masspoc_plotter::forge::Forger;
use masspoc_plotter::forge_bench::{bench_forge, ForgeBenchOptions};
use masspoc_plotter::{plot, NoProgress, PlotRequest};
use masspoc_proof::{Challenge, FarmerPublicKey, FilterBits, PlotSeed, ProbeBits, K};

#[test]
fn forged_windows_are_the_stored_windows() {
    let dir = tempfile::tempdir().unwrap();
    let k = K::new(16).unwrap();
    let req = PlotRequest::new(FarmerPublicKey([3; 32]), k, PlotSeed([4; 32]), dir.path());
    let summary = plot(&req, &NoProgress).unwrap();
    let reader = PlotReader::open(&summary.path).unwrap();
    let id = *reader.identity();
    let forger = Forger::new(id.plot_id, k);
    let mut found = 0;
    for (i, b) in [0u32, 3, 6, 10].into_iter().enumerate() {
        let bits = ProbeBits::new(b).unwrap();
        let c = Challenge([i as u8 + 1; 32]);
        let stored = read_candidates(&reader, &id, &c, FilterBits::NONE, bits).unwrap();
        let forged = read_candidates(&forger, &id, &c, FilterBits::NONE, bits).unwrap();
        assert_eq!(stored, forged, "b = {b}");
        found += forged.map_or(0, |f| f.len());
        assert_eq!(
            forger.last_times().pairs,
            summary.pairs,
            "every pair recomputed"
        );
    }
    assert!(found > 0, "some window held pairs");
    // A direct window as wide as 2^10 indexes: the same pairs, in the stored order.
    let w = ProbeBits::new(10).unwrap().window(k, 0x1234).unwrap();
    let (mut a, mut b) = (Vec::new(), Vec::new());
    reader.window_pairs(w, &mut a).unwrap();
    forger.window_pairs(w, &mut b).unwrap();
    assert_eq!(a, b);
    assert!(a.len() > 300, "{} pairs in 2^10 indexes", a.len());

    let opts = ForgeBenchOptions {
        forge_challenges: 2,
        lookup_challenges: 20,
        probe_bits: ProbeBits::new(6).unwrap(),
        filter_bits: FilterBits::NONE,
        target_interval_ms: 10_000,
    };
    let r = bench_forge(&req, &opts, &NoProgress).unwrap();
    assert!(r.answers_match && r.forge_s > 0.0 && r.lookup_s > 0.0);
    assert_eq!((r.k, r.pairs), (16, summary.pairs));
    assert!(r.forge_s > r.lookup_s, "recomputing is dearer than reading");
}
