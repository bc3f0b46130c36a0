//! `masspoc bench farm --harvesters`: the benchmark across harvester processes finds the same
//! best proofs as the local rounds.

use crate::common;

use common::{masspoc, Run};

/// `masspoc bench farm --harvesters 2` runs the same rounds across harvester processes and
/// locally, and both ways find the same best proof every round (timings are not asserted).
#[test]
fn bench_farm_across_harvesters_finds_the_local_best_proofs() {
    let tmp = common::scratch();
    let report = masspoc()
        .args([
            "bench",
            "farm",
            "--harvesters",
            "2",
            "--plots",
            "4",
            "--k",
            "16",
        ])
        .args(["--rounds", "20", "--json", "--dir"])
        .arg(tmp.path())
        .ok()
        .json();
    assert_eq!(report["harvesters"], 2, "{report}");
    assert_eq!(report["plots"], 4, "{report}");
    assert_eq!(report["rounds"], 20, "{report}");
    assert_eq!(report["best_mismatches"], 0, "{report}");
    assert!(
        report["rounds_with_proof"].as_u64().unwrap() > 0,
        "{report}"
    );
    assert!(
        report["remote"]["p99_us"].as_f64().unwrap() > 0.0,
        "{report}"
    );
}
