//! Rounds over fake plots: threads share a directory's plots (a stuck or late thread does not
//! hold up the others), a panicking lookup or a dropped round ends cleanly, a new snapshot gets
//! its own plan, and proofs come best first in a fixed order.

use super::*;
use crate::plots::{OpenError, PlotInfo, PlotLookup, PlotOpener, PlotSet, ReadError};
use masspoc_proof::{FarmerPublicKey, PlotId, PlotSeed, Proof, Quality, Score, K};
use std::path::Path;
use std::sync::atomic::AtomicUsize;

/// How a fake plot answers.
#[derive(Clone, Copy)]
enum Answer {
    /// At once, passing, no proof.
    Now,
    /// After sleeping this long.
    After(Duration),
    /// By panicking.
    Panic,
}

struct Fake {
    id: u8,
    answer: Answer,
    calls: Arc<AtomicUsize>,
}

impl PlotLookup for Fake {
    fn info(&self) -> PlotInfo {
        PlotInfo {
            plot_id: PlotId([self.id; 32]),
            k: K::new(16).expect("k"),
            farmer_pk: FarmerPublicKey([1; 32]),
        }
    }

    fn prove(
        &self,
        _: &Challenge,
        _: FilterBits,
        _: ProbeBits,
    ) -> Result<Option<Vec<FoundProof>>, ReadError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        match self.answer {
            Answer::Now => {}
            Answer::After(d) => std::thread::sleep(d),
            Answer::Panic => panic!("fake plot {} panics", self.id),
        }
        Ok(Some(Vec::new()))
    }

    fn reads_per_lookup(&self) -> u32 {
        3
    }
}

/// Opens `<id>.fake` files as fakes; `answer(id)` says how each answers.
struct FakeOpener {
    answer: fn(u8) -> Answer,
    calls: Arc<AtomicUsize>,
}

impl PlotOpener for FakeOpener {
    fn open(&self, path: &Path) -> Result<Arc<dyn PlotLookup>, OpenError> {
        let id: u8 = path
            .file_stem()
            .and_then(|s| s.to_str())
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| ReadError::Io {
                path: path.to_path_buf(),
                source: std::io::Error::other("not a fake"),
            })?;
        Ok(Arc::new(Fake {
            id,
            answer: (self.answer)(id),
            calls: Arc::clone(&self.calls),
        }))
    }

    fn is_plot_name(&self, file_name: &str) -> bool {
        file_name.ends_with(".fake")
    }
}

/// A plot set of `n` fakes (ids 0..n, in one directory), scanned.
fn fakes(dir: &Path, n: u8, answer: fn(u8) -> Answer) -> (Arc<PlotSet>, Arc<AtomicUsize>) {
    for id in 0..n {
        std::fs::write(dir.join(format!("{id:03}.fake")), b"").expect("write");
    }
    let calls = Arc::new(AtomicUsize::new(0));
    let set = PlotSet::new(
        &[dir.to_path_buf()],
        Arc::new(FakeOpener {
            answer,
            calls: Arc::clone(&calls),
        }),
    );
    assert_eq!(set.rescan_blocking().plots, usize::from(n));
    (set, calls)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stuck_plot_holds_up_only_itself_not_the_plots_behind_it() {
    let tmp = tempfile::tempdir().expect("tempdir");
    // Plot 0 (first in the snapshot) takes 400 ms; the 31 others answer at once.
    let (set, _) = fakes(tmp.path(), 32, |id| {
        if id == 0 {
            Answer::After(Duration::from_millis(400))
        } else {
            Answer::Now
        }
    });
    let snap = set.snapshot();
    let r = run_round(
        &snap,
        set.dirs(),
        Challenge([1; 32]),
        FilterBits::NONE,
        ProbeBits::NONE,
        Duration::from_millis(150),
    )
    .await;
    assert!(r.over_budget, "{r:?}");
    assert_eq!(r.stalled, vec![snap[0].path.clone()]);
    if plan::cores() >= 2 {
        // Two threads share the directory: the one not stuck answers every other plot.
        assert_eq!(r.passing, 31, "{r:?}");
    }
    // The stuck plot comes back once its read returns.
    let deadline = Instant::now() + Duration::from_secs(5);
    while snap[0].stalled.load(Ordering::Acquire) {
        assert!(Instant::now() < deadline, "stalled plot never came back");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let r = run_round(
        &snap,
        set.dirs(),
        Challenge([2; 32]),
        FilterBits::NONE,
        ProbeBits::NONE,
        Duration::from_secs(5),
    )
    .await;
    assert_eq!((r.passing, r.over_budget), (32, false), "{r:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_lookup_ends_the_round_without_waiting_for_the_budget() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (set, _) = fakes(tmp.path(), 40, |id| {
        if id == 7 {
            Answer::Panic
        } else {
            Answer::Now
        }
    });
    let snap = set.snapshot();
    let started = Instant::now();
    let r = run_round(
        &snap,
        set.dirs(),
        Challenge([1; 32]),
        FilterBits::NONE,
        ProbeBits::NONE,
        Duration::from_secs(30),
    )
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert!(!r.over_budget, "{r:?}");
    // The panicking plot is missing; with two threads the one left answers every other plot.
    if plan::cores() >= 2 {
        assert_eq!(r.passing, 39, "{r:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_round_stops_its_threads() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (set, calls) = fakes(tmp.path(), 64, |_| Answer::After(Duration::from_millis(5)));
    let snap = set.snapshot();
    let round = run_round(
        &snap,
        set.dirs(),
        Challenge([1; 32]),
        FilterBits::NONE,
        ProbeBits::NONE,
        Duration::from_secs(30),
    );
    assert!(tokio::time::timeout(Duration::from_millis(30), round)
        .await
        .is_err());
    // The threads finish the plot they are reading, then take no more.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let after_drop = calls.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(calls.load(Ordering::SeqCst), after_drop);
    assert!(
        after_drop < 64,
        "{after_drop} lookups after the round was dropped"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_snapshot_gets_its_own_plan() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (set, _) = fakes(tmp.path(), 20, |_| Answer::Now);
    let snap = set.snapshot();
    for c in 0..3 {
        let r = run_round(
            &snap,
            set.dirs(),
            Challenge([c; 32]),
            FilterBits::NONE,
            ProbeBits::NONE,
            Duration::from_secs(5),
        )
        .await;
        assert_eq!(r.passing, 20);
    }
    std::fs::write(tmp.path().join("200.fake"), b"").expect("write");
    assert_eq!(set.rescan_blocking().plots, 21);
    let r = run_round(
        &set.snapshot(),
        set.dirs(),
        Challenge([9; 32]),
        FilterBits::NONE,
        ProbeBits::NONE,
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(r.passing, 21);
    // The old snapshot still answers from its own plots.
    let r = run_round(
        &snap,
        set.dirs(),
        Challenge([9; 32]),
        FilterBits::NONE,
        ProbeBits::NONE,
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(r.passing, 20);
}

#[test]
fn proofs_come_best_first_then_in_snapshot_order() {
    let proof = |plot: usize, score: u128, x: u64| {
        (
            plot,
            BestProof {
                found: FoundProof {
                    proof: Proof {
                        farmer_pk: FarmerPublicKey([1; 32]),
                        k: K::new(16).expect("k"),
                        plot_seed: PlotSeed([plot as u8; 32]),
                        x,
                        x_prime: x + 1,
                    },
                    quality: Quality([0; 32]),
                    score: Score(score),
                },
                path: PathBuf::from(format!("{plot}.plot")),
            },
        )
    };
    // Plots out of order, a tie between plots 5 and 2, and two proofs of plot 2 with the same
    // score (kept in the plot's order).
    let found = [
        proof(5, 10, 1),
        proof(9, 3, 1),
        proof(0, 50, 1),
        proof(2, 10, 7),
        proof(2, 10, 4),
    ];
    // As two threads hand them in: one finished and sorted its own, one was cut short.
    let mut first = found[..2].to_vec();
    job::sort_best_first(&mut first);
    let lists = vec![first, found[2..].to_vec()];
    let got: Vec<(u128, String, u64)> = merge_best_first(lists)
        .into_iter()
        .map(|b| {
            (
                b.found.score.0,
                b.path.display().to_string(),
                b.found.proof.x,
            )
        })
        .collect();
    let want = [
        (3, "9.plot", 1),
        (10, "2.plot", 7),
        (10, "2.plot", 4),
        (10, "5.plot", 1),
        (50, "0.plot", 1),
    ];
    let want: Vec<(u128, String, u64)> = want
        .iter()
        .map(|&(s, p, x)| (s, p.to_string(), x))
        .collect();
    assert_eq!(got, want);
}
