//! `over_budget` from real state: the farm's lookups of a plot on a disk that hangs (a fault
//! injector: its reads wait on a gate) overrun the lookup budget; the round is counted and
//! alerted once; with the disk answering again nothing more is sent; hung again, alerted again.

use crate::common;

use common::bridge::{fast_params, MockBridge};
use common::farm::{of_kind, AlertFarm};
use common::{plot_for_key, Gate, StallingOpener};
use masspoc_farmer::keys::FarmerKey;
use masspoc_farmer::plots::ReaderOpener;
use std::sync::Arc;
use std::time::Duration;

/// Opens the gate when dropped, also when an assertion fails: a read left blocked would hold the
/// runtime's blocking pool, and the failing test would hang instead of failing.
struct OpenOnDrop(Arc<Gate>);

impl Drop for OpenOnDrop {
    fn drop(&mut self) {
        self.0.open();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rounds_over_the_lookup_budget_are_alerted_once_per_episode() {
    let tmp = tempfile::tempdir().unwrap();
    let key = FarmerKey::from_seed(&[24; 32]);
    plot_for_key(&tmp.path().join("disk-good"), key.public_key(), 16, 1);
    plot_for_key(&tmp.path().join("disk-stall"), key.public_key(), 16, 2);
    let gate = Arc::new(Gate::default());
    let _open_at_end = OpenOnDrop(Arc::clone(&gate));
    let opener = Arc::new(StallingOpener {
        inner: ReaderOpener {
            farmer_pk: Some(key.public_key()),
        },
        gate: Arc::clone(&gate),
    });
    let (_bridge, url) = MockBridge::start(vec![fast_params("alpha", 6, 2)]).await;
    let body = format!(
        "plot_dirs = ['disk-good', 'disk-stall']\nlookup_budget_ms = 300\n\
         [[chain]]\nname = 'alpha'\nbridge = '{url}'\n"
    );
    let farm = AlertFarm::start(tmp.path(), &key, &body, Some(opener)).await;

    // Both disks answer: rounds within budget, nothing sent.
    let calm = farm.collect(Duration::from_secs(3));
    assert!(of_kind(&calm, "over_budget", None).is_empty(), "{calm:?}");
    assert!(
        farm.status().chains[0].totals.rounds > 0,
        "the farm looks up"
    );
    assert_eq!(farm.status().chains[0].totals.over_budget, 0);

    gate.close();
    let first = farm.expect("over_budget", Duration::from_secs(15));
    assert_eq!(first.subject, "alpha");
    assert!(first.what.contains("300 ms"), "{}", first.what);
    let status = farm.status();
    assert!(status.chains[0].totals.over_budget >= 1);
    assert_eq!(status.disks[1].stalled_lookups, 1, "{:?}", status.disks[1]);
    // The stalled plot is skipped until its lookup returns: no more overruns, nothing more sent.
    let later = farm.collect(Duration::from_secs(3));
    assert!(of_kind(&later, "over_budget", None).is_empty(), "{later:?}");

    // The disk answers again: the lookup returns, rounds are within budget again.
    gate.open();
    let answered = farm.collect(Duration::from_secs(3));
    assert!(
        of_kind(&answered, "over_budget", None).is_empty(),
        "{answered:?}"
    );
    assert_eq!(farm.status().disks[1].stalled_lookups, 0);

    // Hung again: a new episode.
    gate.close();
    let again = farm.expect("over_budget", Duration::from_secs(15));
    assert!(again.at_ms > first.at_ms);
    gate.open();
    farm.stop().await;
}
