//! `masspoc plot --fill` on a real, small file system: a tmpfs sized for three k=16 plots plus the
//! plotter's 64 MiB safety margin must end up holding exactly three complete plots.
//! (Mounting needs root, which every machine of this project, CI's included, runs as.)

mod common;

use common::{masspoc_with, Run};
use masspoc_plot::expected_plot_len;
use masspoc_proof::K;
use std::path::Path;
use std::process::Command;

struct Tmpfs<'a>(&'a Path);

impl Drop for Tmpfs<'_> {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.0).status();
    }
}

#[test]
fn fill_plots_until_the_disk_is_full() {
    let dir = common::scratch();
    let mnt = dir.path().join("disk");
    std::fs::create_dir(&mnt).unwrap();
    let plot_len = expected_plot_len(K::new(16).unwrap());
    let size = (64 << 20) + 3 * plot_len + plot_len / 2;
    let status = Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={size}")])
        .arg("tmpfs")
        .arg(&mnt)
        .status()
        .expect("runs mount");
    assert!(status.success(), "mounting a tmpfs needs root ({status})");
    let _mounted = Tmpfs(&mnt);

    let pk = "11".repeat(32);
    let made = masspoc_with([
        "plot",
        "--farmer-pk",
        &pk,
        "--k",
        "16",
        "--fill",
        "--json",
        "--out",
    ])
    .arg(&mnt)
    .ok()
    .json();
    assert_eq!(made["plots"].as_array().unwrap().len(), 3, "{made}");

    let listed = masspoc_with(["plots", "list", "--json"])
        .arg(&mnt)
        .ok()
        .json();
    let plots = listed["plots"].as_array().unwrap();
    assert_eq!(plots.len(), 3, "{listed}");
    assert!(plots.iter().all(|p| p["status"] == "ok"), "{listed}");
    // Nothing else was left on the disk (no temporary or run files).
    let names: Vec<String> = std::fs::read_dir(&mnt)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| n.ends_with(".plot")), "{names:?}");
}
