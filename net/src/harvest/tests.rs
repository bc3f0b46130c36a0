//! Loopback tests of the link: a paired farmer gets answers, an unpaired one is refused.

use super::*;
use libp2p::Multiaddr;
use std::time::{Duration, Instant};

fn handler() -> Handler {
    Arc::new(|_peer, request| {
        Box::pin(async move {
            match request {
                HarvestRequest::Status => HarvestResponse::Status(PlotReport {
                    plots: 7,
                    ..PlotReport::default()
                }),
                HarvestRequest::Lookup(r) => HarvestResponse::Refused {
                    reason: format!("filter_bits {}", r.filter_bits),
                },
            }
        })
    })
}

async fn until_connected(c: &HarvestClient, peer: &PeerId, within: Duration) -> bool {
    let end = Instant::now() + within;
    while Instant::now() < end {
        if c.is_connected(peer) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paired_farmer_is_answered_and_unpaired_is_refused() {
    let farmer = Keypair::generate_ed25519();
    let stranger = Keypair::generate_ed25519();
    let harvester = Keypair::generate_ed25519();
    let listen: Multiaddr = "/ip4/127.0.0.1/tcp/0".parse().unwrap();
    let mut server = serve(
        harvester,
        &[listen],
        &[farmer.public().to_peer_id()],
        handler(),
    )
    .unwrap();
    let addr = server.listening().await.remove(0);
    let hid = server.peer_id();
    assert_eq!(client::peer_of(&addr), Some(hid));

    let good = connect(farmer, std::slice::from_ref(&addr)).unwrap();
    assert!(until_connected(&good, &hid, Duration::from_secs(10)).await);
    let answer = good.request(hid, HarvestRequest::Status).await.unwrap();
    assert!(matches!(
        answer,
        HarvestResponse::Status(PlotReport { plots: 7, .. })
    ));

    let bad = connect(stranger, std::slice::from_ref(&addr)).unwrap();
    // The stranger's connection may stand for an instant before the harvester closes it (the
    // allowlist is applied once the peer id is known): wait for the refusal, not for absence.
    let end = Instant::now() + Duration::from_secs(10);
    while server.refused() == 0 && Instant::now() < end {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Refused either before the request (never connected) or while it is sent (the harvester
    // closes the stranger's connection at once): never answered.
    let refused = bad.request(hid, HarvestRequest::Status).await;
    assert!(
        matches!(
            refused,
            Err(HarvestRequestError::NotConnected | HarvestRequestError::Failed(_))
        ),
        "{refused:?}"
    );
    assert!(
        server.refused() >= 1,
        "the stranger's connection is counted as refused"
    );

    // A harvester address without its peer id cannot be paired.
    let bare: Multiaddr = "/ip4/127.0.0.1/tcp/1".parse().unwrap();
    assert!(connect(Keypair::generate_ed25519(), &[bare]).is_err());
}
