//! The plot set: hot-plugged plots are picked up, removed ones dropped, a vanished directory
//! comes back, and bad plots are skipped with a reason, never fatal.

use crate::common;

use common::{farmer_pk, plot_into};
use masspoc_farmer::plots::{PlotSet, ReaderOpener};
use std::sync::Arc;

fn opener() -> Arc<ReaderOpener> {
    Arc::new(ReaderOpener {
        farmer_pk: Some(farmer_pk(1)),
    })
}

fn reason_for(report: &masspoc_farmer::plots::ScanReport, name_part: &str) -> String {
    report
        .skipped
        .iter()
        .find(|(p, _)| p.to_string_lossy().contains(name_part))
        .map(|(_, r)| r.clone())
        .unwrap_or_else(|| panic!("no skip reported for {name_part}: {:?}", report.skipped))
}

#[test]
fn hot_plugged_plots_are_picked_up_and_removed_ones_dropped() {
    let tmp = tempfile::tempdir().unwrap();
    let disk = tmp.path().join("disk1");
    let plots = disk.join("plots");
    let a = plot_into(&plots, 1, 16, 1);
    let set = PlotSet::new(std::slice::from_ref(&plots), opener());
    let r = set.rescan_blocking();
    assert_eq!((r.plots, r.added.len()), (1, 1));

    // A second plot appears: picked up; the first is kept, not reopened.
    let b = plot_into(&plots, 1, 16, 2);
    let r = set.rescan_blocking();
    assert_eq!(r.plots, 2);
    assert_eq!(r.added, vec![b.clone()]);

    // One is removed.
    std::fs::remove_file(&a).unwrap();
    let r = set.rescan_blocking();
    assert_eq!(r.plots, 1);
    assert_eq!(r.removed, vec![a]);

    // The disk vanishes (its directory goes away): its plots are dropped, the scan goes on.
    let away = tmp.path().join("unmounted");
    std::fs::rename(&disk, &away).unwrap();
    let r = set.rescan_blocking();
    assert_eq!(r.plots, 0);
    assert_eq!(r.unavailable.len(), 1, "{r:?}");
    // Reported once, not on every rescan.
    assert!(set.rescan_blocking().unavailable.is_empty());

    // ... and comes back.
    std::fs::rename(&away, &disk).unwrap();
    let r = set.rescan_blocking();
    assert_eq!(r.plots, 1);
    assert_eq!(set.snapshot()[0].path, b);
}

#[test]
fn bad_plots_are_skipped_with_a_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("plots");
    let good = plot_into(&dir, 1, 16, 1);
    // Garbage with a plot's name.
    std::fs::write(dir.join("garbage.plot"), vec![0x5a; 4096]).unwrap();
    // A truncated plot.
    let trunc = dir.join("truncated.plot");
    std::fs::copy(&good, &trunc).unwrap();
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(&trunc)
        .unwrap();
    f.set_len(f.metadata().unwrap().len() / 2).unwrap();
    // A plot of another farmer.
    let other = tmp.path().join("other");
    let foreign = plot_into(&other, 2, 16, 1);
    std::fs::rename(&foreign, dir.join("foreign.plot")).unwrap();
    // A duplicate of the good plot under another name in a second directory.
    let dir2 = tmp.path().join("plots2");
    std::fs::create_dir_all(&dir2).unwrap();
    std::fs::copy(&good, dir2.join("copy.plot")).unwrap();
    // A FIFO named like a plot: must be skipped without blocking the scan.
    let fifo = dir.join("fifo.plot");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: plain mkfifo(3) on a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    // Files that are not plots at all are not even looked at.
    std::fs::write(dir.join("notes.txt"), b"hello").unwrap();
    std::fs::write(dir.join("x.plot.tmp"), b"unfinished").unwrap();

    let set = PlotSet::new(&[dir.clone(), dir2], opener());
    let r = set.rescan_blocking();
    assert_eq!(r.plots, 1, "{r:?}");
    assert_eq!(set.snapshot()[0].path, good);
    assert!(reason_for(&r, "garbage").contains("bad header"), "{r:?}");
    assert!(reason_for(&r, "truncated").contains("truncated"), "{r:?}");
    assert!(reason_for(&r, "foreign").contains("farmer key"), "{r:?}");
    assert!(reason_for(&r, "copy").contains("duplicate"), "{r:?}");
    assert!(
        reason_for(&r, "fifo").contains("not a regular file"),
        "{r:?}"
    );
    assert_eq!(r.skipped.len(), 5, "{r:?}");
    // Reported once; a repaired file is tried again.
    assert!(set.rescan_blocking().skipped.is_empty());
    std::fs::copy(&good, &trunc).unwrap();
    let r = set.rescan_blocking();
    // The repaired copy is a duplicate of the good plot now: skipped for that reason instead.
    assert!(reason_for(&r, "truncated").contains("duplicate"), "{r:?}");
}
