//! Same key, k and seed give the same bytes whatever the thread count and memory bound, and an
//! interrupted run resumes to the same bytes.

mod common;

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
        req.stop_at = Some(stop);
        match plot(&req, &NoProgress) {
            Err(PlotError::Interrupted(_)) => {}
            other => panic!("{stop:?}: expected an interruption, got {other:?}"),
        }
        assert!(req.tmp_path().exists() && req.journal_path().exists());
        assert!(!req.final_path().exists());
        req.stop_at = None;
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
