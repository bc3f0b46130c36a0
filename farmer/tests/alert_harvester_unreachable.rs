//! `harvester_unreachable` from real state: a paired harvester that does not run is alerted
//! once; once a real harvester runs at its address the farm connects and the alert clears; when
//! it stops, it is alerted again.

use crate::common;

use common::bridge::{fast_params, MockBridge};
use common::farm::{of_kind, AlertFarm};
use common::plot_for_key;
use masspoc_farmer::harvester::service::handler;
use masspoc_farmer::harvester::Harvester;
use masspoc_farmer::keys::FarmerKey;
use masspoc_net::harvest::{self, HarvestServer};
use masspoc_net::{Keypair, Multiaddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A real harvester serving `harvester`'s plots to `farmer` on `listen`.
fn serve(
    key: &Keypair,
    listen: &Multiaddr,
    farmer: &Keypair,
    harvester: &Arc<Harvester>,
) -> HarvestServer {
    harvest::serve(
        key.clone(),
        std::slice::from_ref(listen),
        &[farmer.public().to_peer_id()],
        handler(Arc::clone(harvester)),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_harvester_that_is_not_connected_is_alerted_once_per_episode() {
    let tmp = tempfile::tempdir().unwrap();
    let key = FarmerKey::from_seed(&[25; 32]);
    plot_for_key(&tmp.path().join("disk1"), key.public_key(), 16, 1);
    plot_for_key(&tmp.path().join("remote"), key.public_key(), 16, 2);
    // The farmer's link identity, made before the farm starts so the harvester can list it.
    let farmer_link = masspoc_net::identity::load_or_create(&tmp.path().join("link")).unwrap();
    let harvester_key = Keypair::generate_ed25519();
    let hid = harvester_key.public().to_peer_id().to_string();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen: Multiaddr = format!("/ip4/127.0.0.1/tcp/{port}").parse().unwrap();
    let (_bridge, url) = MockBridge::start(vec![fast_params("alpha", 7, 2)]).await;
    let body = format!(
        "plot_dirs = ['disk1']\nharvester_identity_dir = 'link'\n\
         harvesters = ['{listen}/p2p/{hid}']\n[[chain]]\nname = 'alpha'\nbridge = '{url}'\n"
    );
    let farm = AlertFarm::start(tmp.path(), &key, &body, None).await;

    // Nothing runs there: alerted once, named by its peer id.
    let first = farm.expect("harvester_unreachable", Duration::from_secs(15));
    assert_eq!(first.subject, hid);
    let later = farm.collect(Duration::from_secs(3));
    assert!(
        of_kind(&later, "harvester_unreachable", None).is_empty(),
        "{later:?}"
    );
    assert!(!farm.status().harvesters[0].connected);

    // A real harvester starts there: the farm connects, the alert clears.
    let harvester = Harvester::new(&[tmp.path().join("remote")]);
    harvester.record_scan(&harvester.plots().rescan_blocking());
    let server = serve(&harvester_key, &listen, &farmer_link, &harvester);
    let end = Instant::now() + Duration::from_secs(60);
    loop {
        let status = farm.status();
        if status.harvesters[0].connected
            && status
                .alerts
                .iter()
                .all(|a| a.kind != "harvester_unreachable")
        {
            break;
        }
        assert!(Instant::now() < end, "never connected: {status:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let connected = farm.collect(Duration::from_secs(2));
    assert!(
        of_kind(&connected, "harvester_unreachable", None).is_empty(),
        "{connected:?}"
    );

    // It stops: alerted again.
    drop(server);
    let again = farm.expect("harvester_unreachable", Duration::from_secs(30));
    assert_eq!(again.subject, hid);
    assert!(again.at_ms > first.at_ms);
    farm.stop().await;
}
