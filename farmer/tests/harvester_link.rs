//! The harvester over the link on loopback: a paired farmer gets exactly the proofs a local round
//! over the same plots finds (best first, every one checked), the plot report counts the plots,
//! and plots of another farmer key are not answered.

use crate::common;

use common::{farmer_pk, plot_into};
use masspoc_farmer::harvester::service::handler;
use masspoc_farmer::harvester::Harvester;
use masspoc_farmer::lookup::run_round;
use masspoc_farmer::plots::{PlotSet, ReaderOpener};
use masspoc_net::harvest::{self, HarvestRequest, HarvestResponse, LookupRequest};
use masspoc_net::{Keypair, Multiaddr};
use masspoc_proof::{Challenge, FilterBits, ProbeBits, Proof};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn challenge(i: u64) -> Challenge {
    Challenge(*blake3::hash(&i.to_le_bytes()).as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paired_farmer_gets_the_proofs_of_a_local_round() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("disk");
    for seed in 1..=4 {
        plot_into(&dir, 1, 16, seed);
    }
    plot_into(&dir, 2, 16, 9); // another farmer's plot: never in farmer 1's answers
    let harvester = Harvester::new(std::slice::from_ref(&dir));
    let report = harvester.plots().rescan_blocking();
    assert_eq!(report.plots, 5);
    harvester.record_scan(&report);

    let farmer_key = Keypair::generate_ed25519();
    let listen: Multiaddr = "/ip4/127.0.0.1/tcp/0".parse().unwrap();
    let mut server = harvest::serve(
        Keypair::generate_ed25519(),
        &[listen],
        &[farmer_key.public().to_peer_id()],
        handler(Arc::clone(&harvester)),
    )
    .unwrap();
    let addr = server.listening().await.remove(0);
    let client = harvest::connect(farmer_key, &[addr]).unwrap();
    let hid = server.peer_id();
    let end = Instant::now() + Duration::from_secs(10);
    while !client.is_connected(&hid) {
        assert!(Instant::now() < end, "harvester never connected");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let local = PlotSet::new(
        std::slice::from_ref(&dir),
        Arc::new(ReaderOpener {
            farmer_pk: Some(farmer_pk(1)),
        }),
    );
    assert_eq!(local.rescan_blocking().plots, 4);
    let probe = ProbeBits::new(4).unwrap();
    let mut compared = 0;
    for i in 0..20 {
        let c = challenge(i);
        let want = run_round(
            &local.snapshot(),
            local.dirs(),
            c,
            FilterBits::NONE,
            probe,
            Duration::from_secs(5),
        )
        .await;
        let want: Vec<Proof> = want.all.iter().map(|p| p.found.proof).collect();
        let answer = client
            .request(
                hid,
                HarvestRequest::Lookup(LookupRequest {
                    farmer_pk: farmer_pk(1),
                    challenge: c,
                    filter_bits: 0,
                    probe_bits: 4,
                    max_proofs: 1024,
                    budget_ms: 5000,
                }),
            )
            .await
            .unwrap();
        let HarvestResponse::Lookup(reply) = answer else {
            panic!("not a lookup answer: {answer:?}")
        };
        assert_eq!(reply.plots, 4);
        assert_eq!(reply.errors, 0);
        assert_eq!(reply.found as usize, want.len());
        let got = reply.decode_proofs().unwrap();
        assert_eq!(got, want, "challenge {i}");
        for p in &got {
            assert_eq!(p.farmer_pk, farmer_pk(1));
            p.verify(&c, FilterBits::NONE, probe).unwrap();
        }
        compared += got.len();
    }
    assert!(
        compared > 20,
        "the windows held proofs to compare ({compared})"
    );

    // max_proofs keeps the best ones.
    let answer = client
        .request(
            hid,
            HarvestRequest::Lookup(LookupRequest {
                farmer_pk: farmer_pk(1),
                challenge: challenge(0),
                filter_bits: 0,
                probe_bits: 4,
                max_proofs: 1,
                budget_ms: 5000,
            }),
        )
        .await
        .unwrap();
    let HarvestResponse::Lookup(one) = answer else {
        panic!("{answer:?}")
    };
    assert!(one.proofs.len() <= 1 && one.found >= one.proofs.len() as u64);

    // Bad parameters are refused; the status counts the plots and their bytes.
    let answer = client
        .request(
            hid,
            HarvestRequest::Lookup(LookupRequest {
                farmer_pk: farmer_pk(1),
                challenge: challenge(0),
                filter_bits: 99,
                probe_bits: 0,
                max_proofs: 1,
                budget_ms: 5000,
            }),
        )
        .await
        .unwrap();
    assert!(
        matches!(answer, HarvestResponse::Refused { .. }),
        "{answer:?}"
    );
    let HarvestResponse::Status(status) =
        client.request(hid, HarvestRequest::Status).await.unwrap()
    else {
        panic!("not a status")
    };
    assert_eq!(status.plots, 5);
    let on_disk: u64 = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum();
    assert_eq!(status.bytes, on_disk);
    assert_eq!(
        status.lookups, 21,
        "20 + 1 lookups; the refused one is not counted"
    );
}
