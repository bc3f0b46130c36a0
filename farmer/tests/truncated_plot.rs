//! A plot truncated in place while it is being farmed: the process survives (the memory map is
//! guarded against SIGBUS), rounds keep answering from the other plots, the bad plot is reported
//! with its path, and the next rescan drops it — or, if its file looks unchanged again, opens it
//! afresh instead of keeping the unreadable map.

use crate::common;

use common::{farmer_pk, plot_into};
use masspoc_farmer::lookup::{run_round, RoundOutcome};
use masspoc_farmer::plots::{PlotSet, PlotSnapshot, ReaderOpener};
use masspoc_proof::{Challenge, FilterBits, ProbeBits};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

const BUDGET: Duration = Duration::from_secs(10);

fn challenge(round: u64) -> Challenge {
    Challenge(*blake3::hash(&round.to_le_bytes()).as_bytes())
}

/// Four k=16 plots of farmer 1 in one directory; returns the set (scanned) and the plot paths.
fn farm_of_four(dir: &Path) -> (Arc<PlotSet>, Vec<PathBuf>) {
    let paths: Vec<PathBuf> = (1..=4).map(|seed| plot_into(dir, 1, 16, seed)).collect();
    let set = PlotSet::new(
        &[dir.to_path_buf()],
        Arc::new(ReaderOpener {
            farmer_pk: Some(farmer_pk(1)),
        }),
    );
    assert_eq!(set.rescan_blocking().plots, 4);
    (set, paths)
}

/// Truncates `path` in place to a third of its length (whole pages), leaving open maps as they
/// are.
fn truncate_in_place(path: &Path) {
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as u64;
    let f = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    let len = f.metadata().unwrap().len();
    f.set_len(len / 3 / page * page).unwrap();
}

/// Checks one round over `snap` (filter 0: every plot is looked up): every plot but `bad`
/// answered exactly what it holds, and `bad` either answered or failed with an error naming it.
fn check_round(r: &RoundOutcome, snap: &PlotSnapshot, ch: &Challenge, bad: &Path) {
    assert!(!r.over_budget, "{r:?}");
    assert_eq!(r.passing + r.errors.len(), snap.len(), "{r:?}");
    for (path, e) in &r.errors {
        assert_eq!(path, bad, "{r:?}");
        assert!(e.contains(&bad.display().to_string()), "{e}");
        assert!(e.contains("SIGBUS"), "{e}");
        assert!(e.contains("shrank or its device failed"), "{e}");
    }
    for entry in snap.iter().filter(|e| e.path != bad) {
        let direct = entry
            .plot
            .prove(ch, FilterBits::NONE, ProbeBits::NONE)
            .unwrap()
            .expect("filter 0 passes");
        let got = r.all.iter().filter(|p| p.path == entry.path).count();
        assert_eq!(got, direct.len(), "{}", entry.path.display());
    }
    if let Some(best) = &r.best {
        best.found
            .proof
            .verify(ch, FilterBits::NONE, ProbeBits::NONE)
            .expect("the best proof verifies");
    }
}

/// Runs rounds until the bad plot's lookup fails (some lookup must touch a page past its new
/// end); returns the round number after the first failure.
async fn farm_until_it_fails(set: &Arc<PlotSet>, bad: &Path, from: u64) -> u64 {
    let snap = set.snapshot();
    for round in from..from + 256 {
        let ch = challenge(round);
        let r = run_round(
            &snap,
            set.dirs(),
            ch,
            FilterBits::NONE,
            ProbeBits::NONE,
            BUDGET,
        )
        .await;
        check_round(&r, &snap, &ch, bad);
        if !r.errors.is_empty() {
            return round + 1;
        }
    }
    panic!("256 rounds and no lookup of the truncated plot failed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plot_truncated_while_farming_is_reported_and_dropped_at_the_next_rescan() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("plots");
    let (set, paths) = farm_of_four(&dir);
    let bad = paths[1].clone();
    let snap = set.snapshot();
    let r = run_round(
        &snap,
        set.dirs(),
        challenge(0),
        FilterBits::NONE,
        ProbeBits::NONE,
        BUDGET,
    )
    .await;
    assert_eq!((r.passing, r.errors.len()), (4, 0), "{r:?}");
    assert!(!set.request_rescan_if_broken(), "nothing is broken yet");

    truncate_in_place(&bad);
    let next = farm_until_it_fails(&set, &bad, 1).await;
    let broken = snap.iter().find(|e| e.path == bad).unwrap();
    assert!(broken.plot.is_broken());
    // The farm's rescan loop is woken at once (the request is kept until someone waits).
    assert!(set.request_rescan_if_broken());
    tokio::time::timeout(Duration::from_secs(5), set.rescan_requested())
        .await
        .expect("the rescan request wakes the waiting rescan loop");
    // Until the rescan, every round still answers from the three others and names the bad plot.
    for round in next..next + 8 {
        let ch = challenge(round);
        let r = run_round(
            &snap,
            set.dirs(),
            ch,
            FilterBits::NONE,
            ProbeBits::NONE,
            BUDGET,
        )
        .await;
        check_round(&r, &snap, &ch, &bad);
        assert_eq!(r.passing, 3, "{r:?}");
        assert_eq!(r.errors.len(), 1, "{r:?}");
    }

    // The rescan drops it, saying why.
    let report = set.rescan_blocking();
    assert_eq!(report.plots, 3, "{report:?}");
    assert_eq!(report.removed, vec![bad.clone()], "{report:?}");
    assert_eq!(report.broken, vec![bad.clone()], "{report:?}");
    let (skipped, why) = &report.skipped[0];
    assert_eq!((skipped, report.skipped.len()), (&bad, 1), "{report:?}");
    assert!(why.contains("truncated"), "{why}");

    let snap = set.snapshot();
    assert!(snap.iter().all(|e| e.path != bad));
    for round in 1000..1008 {
        let ch = challenge(round);
        let r = run_round(
            &snap,
            set.dirs(),
            ch,
            FilterBits::NONE,
            ProbeBits::NONE,
            BUDGET,
        )
        .await;
        assert_eq!((r.plots, r.passing, r.errors.len()), (3, 3, 0), "{r:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_plot_whose_file_looks_unchanged_is_opened_again() {
    // What a disk that failed reads (EIO under the map) and then recovered looks like: the map
    // is poisoned but the file's identity (device, inode, length, mtime) is what it was. The
    // rescan must not keep the poisoned map forever.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("plots");
    let (set, paths) = farm_of_four(&dir);
    let bad = paths[2].clone();
    let original = std::fs::read(&bad).unwrap();
    let mtime = std::fs::metadata(&bad).unwrap().modified().unwrap();

    truncate_in_place(&bad);
    farm_until_it_fails(&set, &bad, 0).await;

    // Put the bytes and the modification time back.
    let f = std::fs::OpenOptions::new().write(true).open(&bad).unwrap();
    f.write_all_at(&original, 0).unwrap();
    f.set_modified(mtime).unwrap();
    drop(f);

    let report = set.rescan_blocking();
    assert_eq!(report.plots, 4, "{report:?}");
    assert_eq!(report.broken, vec![bad.clone()], "{report:?}");
    assert_eq!(report.added, vec![bad.clone()], "{report:?}");
    assert!(
        report.removed.is_empty() && report.skipped.is_empty(),
        "{report:?}"
    );

    let snap = set.snapshot();
    assert!(snap.iter().all(|e| !e.plot.is_broken()));
    for round in 2000..2008 {
        let ch = challenge(round);
        let r = run_round(
            &snap,
            set.dirs(),
            ch,
            FilterBits::NONE,
            ProbeBits::NONE,
            BUDGET,
        )
        .await;
        assert_eq!((r.plots, r.passing, r.errors.len()), (4, 4, 0), "{r:?}");
        check_round(&r, &snap, &ch, Path::new("/none"));
    }
    // A later rescan keeps the healthy new map.
    let report = set.rescan_blocking();
    assert!(
        report.added.is_empty() && report.broken.is_empty(),
        "{report:?}"
    );
}
