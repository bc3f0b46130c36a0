//! `plot_bad` from real state: a real k=16 plot whose header bytes are corrupted (its header
//! checksum fails) is skipped by the farm's rescans and alerted once; repaired, it is farmed
//! again; corrupted again, it is alerted again.

use crate::common;

use common::bridge::{fast_params, MockBridge};
use common::farm::{of_kind, AlertFarm};
use common::plot_for_key;
use masspoc_farmer::keys::FarmerKey;
use std::path::Path;
use std::time::Duration;

/// Puts `bytes` at `path` the way a copy tool does: written aside, then renamed over it.
fn replace_with(path: &Path, bytes: &[u8]) {
    let aside = path.with_file_name(".replacing");
    std::fs::write(&aside, bytes).unwrap();
    std::fs::rename(&aside, path).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plot_with_a_bad_checksum_is_alerted_once_per_episode() {
    let tmp = tempfile::tempdir().unwrap();
    let key = FarmerKey::from_seed(&[21; 32]);
    let disk = tmp.path().join("disk1");
    plot_for_key(&disk, key.public_key(), 16, 1);
    let bad = plot_for_key(&disk, key.public_key(), 16, 2);
    let good = std::fs::read(&bad).unwrap();
    let mut corrupt = good.clone();
    corrupt[60] ^= 0xff; // a plot seed byte: the header's checksum no longer matches
    replace_with(&bad, &corrupt);
    let (_bridge, url) = MockBridge::start(vec![fast_params("alpha", 3, 2)]).await;
    let body = format!("plot_dirs = ['disk1']\n[[chain]]\nname = 'alpha'\nbridge = '{url}'\n");
    let farm = AlertFarm::start(tmp.path(), &key, &body, None).await;
    let subject = bad.display().to_string();

    let first = farm.expect("plot_bad", Duration::from_secs(15));
    assert_eq!(first.subject, subject);
    assert!(first.what.contains("checksum"), "{}", first.what);
    let status = farm.status();
    let skipped: Vec<&str> = status.disks[0]
        .skipped
        .iter()
        .map(|s| s.path.as_str())
        .collect();
    assert_eq!(skipped, [subject.as_str()]);
    assert_eq!(status.local.plots, 1, "only the good plot is farmed");
    // Still bad over several rescans and samples: not sent again.
    let later = farm.collect(Duration::from_secs(4));
    assert!(of_kind(&later, "plot_bad", None).is_empty(), "{later:?}");

    // Repaired: farmed again, nothing sent.
    replace_with(&bad, &good);
    let repaired = farm.collect(Duration::from_secs(3));
    assert!(
        of_kind(&repaired, "plot_bad", None).is_empty(),
        "{repaired:?}"
    );
    let status = farm.status();
    assert_eq!(status.local.plots, 2);
    assert!(status.disks[0].skipped.is_empty(), "{:?}", status.disks[0]);

    // Corrupted again: a new episode, sent again.
    replace_with(&bad, &corrupt);
    let again = farm.expect("plot_bad", Duration::from_secs(15));
    assert_eq!(again.subject, subject);
    assert!(again.at_ms > first.at_ms);
    farm.stop().await;
}
