//! `masspoc plot --fill` on a real, small file system (a tmpfs): it fills the disk up to the
//! reserve (64 MiB by default, `--reserve` to change it) and says why it stopped, also when it
//! plotted nothing. (Mounting needs root, which every machine of this project, CI's included,
//! runs as.)

use crate::common;

use common::{masspoc_with, Ran, Run};
use masspoc_plot::expected_plot_len;
use masspoc_proof::K;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const MIB: u64 = 1 << 20;

/// A mounted tmpfs of a given size, unmounted when dropped.
struct Tmpfs {
    mnt: PathBuf,
    _dir: tempfile::TempDir,
}

impl Tmpfs {
    fn of(size: u64) -> Tmpfs {
        let dir = common::scratch();
        let mnt = dir.path().join("disk");
        std::fs::create_dir(&mnt).unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}")])
            .arg("tmpfs")
            .arg(&mnt)
            .status()
            .expect("runs mount");
        assert!(status.success(), "mounting a tmpfs needs root ({status})");
        Tmpfs { mnt, _dir: dir }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.mnt).status();
    }
}

fn plot_len() -> u64 {
    expected_plot_len(K::new(16).unwrap())
}

fn fill(mnt: &Path, extra: &[&str]) -> Ran {
    let pk = "11".repeat(32);
    masspoc_with(["plot", "--farmer-pk", &pk, "--k", "16", "--fill", "--json"])
        .args(extra)
        .arg("--out")
        .arg(mnt)
        .ok()
}

fn plots_of(made: &Value) -> usize {
    made["plots"].as_array().unwrap().len()
}

#[test]
fn fill_plots_until_the_disk_is_full() {
    let disk = Tmpfs::of(64 * MIB + 3 * plot_len() + plot_len() / 2);
    let ran = fill(&disk.mnt, &[]);
    let made = ran.json();
    assert_eq!(plots_of(&made), 3, "{made}");
    let why = made["fill_stopped"].as_str().unwrap();
    assert!(
        why.starts_with("--fill: stopped filling") && why.contains("--reserve keeps 64 MiB"),
        "{why}"
    );
    assert!(ran.stderr.contains(why), "{}", ran.stderr);

    let listed = masspoc_with(["plots", "list", "--json"])
        .arg(&disk.mnt)
        .ok()
        .json();
    let plots = listed["plots"].as_array().unwrap();
    assert_eq!(plots.len(), 3, "{listed}");
    assert!(plots.iter().all(|p| p["status"] == "ok"), "{listed}");
    // Nothing else was left on the disk (no temporary or run files).
    let names: Vec<String> = std::fs::read_dir(&disk.mnt)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| n.ends_with(".plot")), "{names:?}");
}

#[test]
fn a_larger_reserve_leaves_more_free() {
    // Room for three plots above 64 MiB; a reserve of 64 MiB plus one plot leaves room for two.
    let disk = Tmpfs::of(64 * MIB + 3 * plot_len() + plot_len() / 2);
    let reserve = (64 * MIB + plot_len()).to_string();
    let made = fill(&disk.mnt, &["--reserve", &reserve]).json();
    assert_eq!(plots_of(&made), 2, "{made}");
}

#[test]
fn a_disk_too_small_for_one_plot_says_so() {
    let disk = Tmpfs::of(64 * MIB + plot_len() / 2);
    let ran = fill(&disk.mnt, &[]);
    let made = ran.json();
    assert_eq!(plots_of(&made), 0, "{made}");
    let why = made["fill_stopped"].as_str().unwrap();
    assert!(
        why.starts_with("--fill: nothing plotted in")
            && why.contains(&disk.mnt.display().to_string())
            && why.contains("a k=16 plot needs"),
        "{why}"
    );
    assert!(ran.stderr.contains(why), "{}", ran.stderr);
}
