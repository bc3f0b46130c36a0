//! Same key, k and seed give the same bytes whatever the thread count and memory bound, and an
//! interrupted run resumes to the same bytes.

use crate::common;

use common::{plot_bytes, request};
use masspoc_plotter::{plot, NoProgress, PlotError, StopAt};

#[test]
fn same_bytes_across_threads_and_memory_bounds() {
    let reference = {
        let dir = tempfile::tempdir().unwrap();
        let mut req = request(20, 5, dir.path());
        req.threads = 1;
        let (s, bytes) = plot_bytes(&req);
        assert!(!s.plan.runs_on_disk);
        bytes
    };
    // 2 threads unbounded; then bounds that force 4, 8 and 32 rounds with run files.
    let o = masspoc_plotter::plan::OVERHEAD;
    for (threads, memory) in [
        (2, 1 << 34),
        (3, 1 << 34), // not a power of two: every x is still in exactly one chunk
        (3, o + (3 << 20)),
        (2, o + (5 << 20)),
        (1, o + (3 << 20)),
        (2, o + (600 << 10)),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut req = request(20, 5, dir.path());
        req.threads = threads;
        req.memory = memory;
        req.tmp_dir = dir.path().join("tmp");
        let (s, bytes) = plot_bytes(&req);
        assert!(
            bytes == reference,
            "threads={threads} memory={memory} plan={:?}",
            s.plan
        );
        if memory < (1 << 30) {
            assert!(s.plan.runs_on_disk, "memory={memory} plan={:?}", s.plan);
        }
        // No temporary file is left behind.
        let left: Vec<_> = std::fs::read_dir(dir.path().join("tmp")).unwrap().collect();
        assert!(left.is_empty(), "{left:?}");
    }
}

#[test]
fn interrupted_runs_resume_to_the_same_bytes() {
    let reference = {
        let dir = tempfile::tempdir().unwrap();
        plot_bytes(&request(19, 9, dir.path())).1
    };
    // Stop points: after rounds 1 and 3 (run files), after superblocks 2 and 6; then resume,
    // possibly with another thread count and memory bound.
    // The last case keeps its rounds in memory, so its resume recomputes them and continues
    // writing after the journaled superblocks.
    let small = masspoc_plotter::plan::OVERHEAD + (1 << 20); // run files, 16 rounds
    let stops = [
        (StopAt::Round(1), 1usize, small),
        (StopAt::Round(3), 2, small),
        (StopAt::Superblocks(2), 1, small),
        (StopAt::Superblocks(6), 2, small),
        (StopAt::Superblocks(4), 2, 1 << 34),
    ];
    for (stop, resume_threads, memory) in stops {
        let dir = tempfile::tempdir().unwrap();
        let mut req = request(19, 9, dir.path());
        req.memory = memory;
        req.checkpoint_bytes = 0; // checkpoint after every batch of superblocks
        req.threads = 1;
        req.hooks.stop_at = Some(stop);
        match plot(&req, &NoProgress) {
            Err(PlotError::Interrupted(_)) => {}
            other => panic!("{stop:?}: expected an interruption, got {other:?}"),
        }
        assert!(req.tmp_path().exists() && req.journal_path().exists());
        assert!(!req.final_path().exists());
        req.hooks.stop_at = None;
        req.threads = resume_threads;
        let s = plot(&req, &NoProgress).unwrap();
        assert!(s.resumed, "{stop:?}");
        assert!(std::fs::read(&s.path).unwrap() == reference, "{stop:?}");
        assert!(!req.tmp_path().exists() && !req.journal_path().exists());
    }
}

#[test]
fn a_finished_plot_is_found_again() {
    let dir = tempfile::tempdir().unwrap();
    let req = request(16, 3, dir.path());
    let (first, bytes) = plot_bytes(&req);
    let again = plot(&req, &NoProgress).unwrap();
    assert_eq!(again.path, first.path);
    assert_eq!(std::fs::read(&again.path).unwrap(), bytes);
}

#[test]
fn a_journal_of_another_format_restarts_the_plot() {
    let dir = tempfile::tempdir().unwrap();
    let mut req = request(18, 4, dir.path());
    req.memory = masspoc_plotter::plan::OVERHEAD + (1 << 20); // run files
    req.checkpoint_bytes = 0;
    req.threads = 1;
    let reference = {
        let d = tempfile::tempdir().unwrap();
        plot_bytes(&request(18, 4, d.path())).1
    };
    req.hooks.stop_at = Some(StopAt::Superblocks(2));
    assert!(matches!(
        plot(&req, &NoProgress),
        Err(PlotError::Interrupted(_))
    ));
    // Rewrite the journal as format 1 (whose run files had 16-byte records) claiming progress.
    let text = std::fs::read_to_string(req.journal_path()).unwrap();
    let mut j: serde_json::Value = serde_json::from_str(&text).unwrap();
    j["format"] = 1.into();
    std::fs::write(req.journal_path(), j.to_string()).unwrap();
    // Listings still know whose plot it is, and say it will restart.
    let unfinished = masspoc_plot::scan::unfinished(dir.path());
    assert_eq!(unfinished.len(), 1);
    assert_eq!(unfinished[0].1.as_ref().unwrap().plot_seed, req.plot_seed);
    let listing = masspoc_plot::scan::scan_dir(dir.path()).unwrap();
    assert!(listing[0]
        .detail
        .as_ref()
        .unwrap()
        .contains("journal format 1"));
    req.hooks.stop_at = None;
    let s = plot(&req, &NoProgress).unwrap();
    assert!(!s.resumed, "an old journal is not resumed");
    assert!(std::fs::read(&s.path).unwrap() == reference);
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(left.len(), 1, "{left:?}");
}

#[test]
fn a_damaged_run_file_is_recomputed_on_resume() {
    let reference = {
        let dir = tempfile::tempdir().unwrap();
        plot_bytes(&request(19, 9, dir.path())).1
    };
    let dir = tempfile::tempdir().unwrap();
    let mut req = request(19, 9, dir.path());
    req.memory = masspoc_plotter::plan::OVERHEAD + (1 << 20); // run files, 16 rounds
    req.threads = 1;
    req.hooks.stop_at = Some(StopAt::Round(3));
    assert!(matches!(
        plot(&req, &NoProgress),
        Err(PlotError::Interrupted(_))
    ));
    // The journal counts rounds 0..3 as durable; cut one of their files short.
    let run1 = req.run_path(1);
    let len = std::fs::metadata(&run1).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&run1)
        .unwrap()
        .set_len(len - 5)
        .unwrap();
    req.hooks.stop_at = None;
    let s = plot(&req, &NoProgress).unwrap();
    assert!(s.resumed);
    assert!(std::fs::read(&s.path).unwrap() == reference);
}
