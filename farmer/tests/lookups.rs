//! Lookups: a stalled plot does not block other chains; many chains served from the same plots
//! get correct, independent proofs.

use crate::common;

use common::{farmer_pk, plot_into, Gate, StallingOpener};
use masspoc_farmer::lookup::run_round;
use masspoc_farmer::plots::{PlotSet, ReaderOpener};
use masspoc_proof::{Challenge, FilterBits, ProbeBits};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn challenge(chain: u8, round: u64) -> Challenge {
    let mut m = vec![chain];
    m.extend_from_slice(&round.to_le_bytes());
    Challenge(*blake3::hash(&m).as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_plot_does_not_block_other_chains() {
    let tmp = tempfile::tempdir().unwrap();
    let good_dir = tmp.path().join("disk-good");
    let stall_dir = tmp.path().join("disk-stall");
    for seed in 1..=3 {
        plot_into(&good_dir, 1, 16, seed);
    }
    let stalled = plot_into(&stall_dir, 1, 16, 9);
    let gate = Arc::new(Gate::default());
    let opener = Arc::new(StallingOpener {
        inner: ReaderOpener {
            farmer_pk: Some(farmer_pk(1)),
        },
        gate: Arc::clone(&gate),
    });
    let set = PlotSet::new(&[good_dir, stall_dir], opener);
    assert_eq!(set.rescan_blocking().plots, 4);
    gate.close();

    let budget = Duration::from_millis(300);
    let snap = set.snapshot();
    // Two chains at once, every plot passing (filter 0): both rounds end at the budget, both
    // report the stalled plot by path, and both still get the three good plots' answers.
    let started = Instant::now();
    let (a, b) = tokio::join!(
        run_round(
            &snap,
            set.dirs(),
            challenge(1, 0),
            FilterBits::NONE,
            ProbeBits::NONE,
            budget
        ),
        run_round(
            &snap,
            set.dirs(),
            challenge(2, 0),
            FilterBits::NONE,
            ProbeBits::NONE,
            budget
        ),
    );
    let took = started.elapsed();
    assert!(
        took < budget + Duration::from_millis(700),
        "rounds took {took:?}"
    );
    for r in [&a, &b] {
        assert!(r.over_budget);
        assert_eq!(r.passing, 3, "{r:?}");
    }
    // The stalled plot is named once (the first round to see it stuck owns it).
    let named: Vec<_> = a.stalled.iter().chain(&b.stalled).collect();
    assert!(named.iter().all(|p| **p == stalled), "{named:?}");
    assert!(!named.is_empty());

    // The next rounds skip it at once (no wait for the budget), for every chain.
    let started = Instant::now();
    let c = run_round(
        &snap,
        set.dirs(),
        challenge(3, 0),
        FilterBits::NONE,
        ProbeBits::NONE,
        budget,
    )
    .await;
    assert!(
        started.elapsed() < Duration::from_millis(250),
        "{:?}",
        started.elapsed()
    );
    assert!(!c.over_budget);
    assert_eq!(c.skipped, vec![stalled.clone()]);
    assert_eq!(c.passing, 3);

    // The disk wakes up: the plot answers again and is back in the rounds.
    gate.open();
    let deadline = Instant::now() + Duration::from_secs(5);
    while snap
        .iter()
        .any(|e| e.stalled.load(std::sync::atomic::Ordering::Acquire))
    {
        assert!(Instant::now() < deadline, "stalled plot never came back");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let d = run_round(
        &snap,
        set.dirs(),
        challenge(4, 0),
        FilterBits::NONE,
        ProbeBits::NONE,
        budget,
    )
    .await;
    assert!(d.skipped.is_empty() && d.stalled.is_empty());
    assert_eq!(d.passing, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_chains_from_one_plot_get_correct_independent_proofs() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("plots");
    plot_into(&dir, 1, 16, 1);
    let set = PlotSet::new(&[dir], Arc::new(ReaderOpener { farmer_pk: None }));
    assert_eq!(set.rescan_blocking().plots, 1);
    let snap = set.snapshot();
    let plot = Arc::clone(&snap[0].plot);

    let chains = 16u8;
    let mut found = 0;
    for round in 0..8u64 {
        let rounds = (0..chains).map(|c| {
            let snap = Arc::clone(&snap);
            let set = Arc::clone(&set);
            tokio::spawn(async move {
                let ch = challenge(c, round);
                (
                    ch,
                    run_round(
                        &snap,
                        set.dirs(),
                        ch,
                        FilterBits::NONE,
                        ProbeBits::NONE,
                        Duration::from_secs(5),
                    )
                    .await,
                )
            })
        });
        let results = futures_join(rounds.collect()).await;
        for (ch, r) in results {
            assert_eq!(r.passing, 1);
            // Each chain's answer is exactly what the plot holds for its own challenge.
            let direct = plot
                .prove(&ch, FilterBits::NONE, ProbeBits::NONE)
                .unwrap()
                .expect("filter 0 passes");
            assert_eq!(r.proofs, direct.len());
            for p in &r.all {
                let v = p
                    .found
                    .proof
                    .verify(&ch, FilterBits::NONE, ProbeBits::NONE)
                    .expect("a valid proof");
                assert_eq!(v.score, p.found.score);
                assert_eq!(v.quality, p.found.quality);
            }
            if let Some(best) = &r.best {
                assert_eq!(Some(best.found.score), direct.iter().map(|f| f.score).min());
                found += 1;
            }
        }
    }
    // About 39% of indexes hold a pair: 128 challenges find some.
    assert!(found > 20, "only {found} of 128 challenges found a proof");
}

async fn futures_join<T: Send + 'static>(hs: Vec<tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::with_capacity(hs.len());
    for h in hs {
        out.push(h.await.unwrap());
    }
    out
}
