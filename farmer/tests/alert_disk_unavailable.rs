//! `disk_unavailable` from real state: a plot directory that goes away (renamed, as when its
//! disk is unmounted) is alerted once while it stays away, shows as unavailable on the status,
//! clears when it comes back, and is alerted again when it goes away again.

use crate::common;

use common::bridge::{fast_params, MockBridge};
use common::farm::{of_kind, AlertFarm};
use common::plot_for_key;
use masspoc_farmer::keys::FarmerKey;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vanished_plot_directory_is_alerted_once_per_episode() {
    let tmp = tempfile::tempdir().unwrap();
    let key = FarmerKey::from_seed(&[22; 32]);
    let (disk1, disk2) = (tmp.path().join("disk1"), tmp.path().join("disk2"));
    plot_for_key(&disk1, key.public_key(), 16, 1);
    plot_for_key(&disk2, key.public_key(), 16, 2);
    let (_bridge, url) = MockBridge::start(vec![fast_params("alpha", 4, 2)]).await;
    let body =
        format!("plot_dirs = ['disk1', 'disk2']\n[[chain]]\nname = 'alpha'\nbridge = '{url}'\n");
    let farm = AlertFarm::start(tmp.path(), &key, &body, None).await;
    let subject = disk2.display().to_string();
    let gone = tmp.path().join("disk2.unmounted");
    // Both disks are there: no disk alert.
    let calm = farm.collect(Duration::from_secs(3));
    assert!(
        of_kind(&calm, "disk_unavailable", None).is_empty(),
        "{calm:?}"
    );
    assert_eq!(farm.status().local.plots, 2);

    std::fs::rename(&disk2, &gone).unwrap();
    let first = farm.expect("disk_unavailable", Duration::from_secs(15));
    assert_eq!(first.subject, subject);
    let later = farm.collect(Duration::from_secs(3));
    assert!(
        of_kind(&later, "disk_unavailable", None).is_empty(),
        "sent once while it stays away: {later:?}"
    );
    let status = farm.status();
    assert!(!status.disks[1].available && status.disks[0].available);
    assert_eq!(status.local.plots, 1);
    assert!(
        status
            .alerts
            .iter()
            .any(|a| a.kind == "disk_unavailable" && a.subject == subject),
        "{:?}",
        status.alerts
    );

    // Back: available, its plot farmed, the alert no longer active.
    std::fs::rename(&gone, &disk2).unwrap();
    let back = farm.collect(Duration::from_secs(3));
    assert!(
        of_kind(&back, "disk_unavailable", None).is_empty(),
        "{back:?}"
    );
    let status = farm.status();
    assert!(status.disks[1].available);
    assert_eq!(status.local.plots, 2);
    assert!(
        status.alerts.iter().all(|a| a.kind != "disk_unavailable"),
        "{:?}",
        status.alerts
    );

    // Away again: a new episode.
    std::fs::rename(&disk2, &gone).unwrap();
    let again = farm.expect("disk_unavailable", Duration::from_secs(15));
    assert_eq!(again.subject, subject);
    assert!(again.at_ms > first.at_ms);
    farm.stop().await;
}
