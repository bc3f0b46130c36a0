//! Faulty harvester processes (`docs/harvesters.md`): one SIGKILLed mid-round, one that hangs
//! (SIGSTOP) and one that lies (the harvester's fault hook) each cost a round at most its budget,
//! the others' proofs still arrive, the liar is reported and ignored, the metrics show each
//! harvester's state, and a restarted harvester rejoins by itself.

use crate::common;

use common::harvesters::{
    challenges_with_proofs, farmer_addr_of, farmer_of, local, local_round, plot_dirs, proofs,
    rendered_metrics, round, three_harvesters, until_connected, Proc, BUDGET, SLACK,
};
use masspoc_net::Keypair;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_harvester_costs_at_most_the_budget_and_rejoins_when_restarted() {
    let tmp = common::scratch();
    let key = Keypair::generate_ed25519();
    let mut procs = three_harvesters(tmp.path(), &key, [None, None, None]);
    let all = local(&plot_dirs(&procs.iter().collect::<Vec<_>>()));
    let others = local(&plot_dirs(&[&procs[1], &procs[2]]));
    let (farmer, none) = farmer_of(key, &procs).await;
    let cs = challenges_with_proofs(&all, 6).await;

    // SIGKILL in the middle of a round.
    let (f2, n2, c0) = (farmer.clone(), none.clone(), cs[0]);
    let started = Instant::now();
    let pending = tokio::spawn(async move { round(&f2, &n2, c0).await });
    procs[0].kill();
    let got = pending.await.unwrap();
    assert!(
        started.elapsed() < BUDGET + SLACK,
        "{:?}",
        started.elapsed()
    );
    // The round kept the others' proofs (the killed one's answer may have come first).
    let want_others = proofs(&local_round(&others, c0).await);
    let got = proofs(&got);
    assert!(
        want_others.iter().all(|p| got.contains(p)),
        "lost a live harvester's proofs"
    );

    until_connected(&farmer, &[0], false).await;
    let metrics = rendered_metrics(&farmer);
    let id0 = farmer.views()[0].id.clone();
    assert!(
        metrics.contains(&format!(
            "masspoc_farmer_harvester_connected{{harvester=\"{id0}\"}} 0"
        )),
        "{metrics}"
    );
    for c in &cs[1..3] {
        let t = Instant::now();
        let got = round(&farmer, &none, *c).await;
        assert!(t.elapsed() < BUDGET + SLACK, "{:?}", t.elapsed());
        assert_eq!(proofs(&got), proofs(&local_round(&others, *c).await));
    }

    // Restarted with the same identity and address: the farmer redials it by itself.
    let (dir, config) = (procs[0].dir.clone(), procs[0].config.clone());
    procs[0] = Proc::start(&dir, &config, None);
    assert_eq!(procs[0].addr, farmer_addr_of(&farmer, 0, &procs[0]));
    until_connected(&farmer, &[0, 1, 2], true).await;
    for c in &cs[3..] {
        let got = round(&farmer, &none, *c).await;
        assert_eq!(proofs(&got), proofs(&local_round(&all, *c).await));
    }
    let metrics = rendered_metrics(&farmer);
    assert!(
        metrics.contains(&format!(
            "masspoc_farmer_harvester_connected{{harvester=\"{id0}\"}} 1"
        )),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_harvester_is_bounded_by_the_budget_and_a_liar_is_reported_and_ignored() {
    let tmp = common::scratch();
    let key = Keypair::generate_ed25519();
    let procs = three_harvesters(tmp.path(), &key, [None, None, Some("invalid-proofs")]);
    let honest = local(&plot_dirs(&[&procs[0], &procs[1]]));
    let all = local(&plot_dirs(&procs.iter().collect::<Vec<_>>()));
    let (farmer, none) = farmer_of(key, &procs).await;
    let liar = farmer.views()[2].id.clone();
    let cs = challenges_with_proofs(&all, 6).await;

    // The liar: its answers are refused and reported, the honest proofs are all there.
    for c in &cs[..2] {
        let got = round(&farmer, &none, *c).await;
        assert_eq!(proofs(&got), proofs(&local_round(&honest, *c).await));
    }
    let views = farmer.views();
    assert!(views[2].invalid >= 1, "{views:?}");
    assert_eq!(views[2].proofs, 0, "{views:?}");
    assert_eq!(views[0].invalid + views[1].invalid, 0, "{views:?}");
    let metrics = rendered_metrics(&farmer);
    assert!(
        metrics.contains(&format!(
            "masspoc_farmer_harvester_invalid_answers_total{{harvester=\"{liar}\"}} {}",
            views[2].invalid
        )),
        "{metrics}"
    );

    // Harvester 0 hangs: rounds still end within the budget with harvester 1's proofs.
    procs[0].signal(libc::SIGSTOP);
    let only_1 = local(&plot_dirs(&[&procs[1]]));
    for c in &cs[2..5] {
        let t = Instant::now();
        let got = round(&farmer, &none, *c).await;
        assert!(t.elapsed() < BUDGET + SLACK, "{:?}", t.elapsed());
        assert_eq!(proofs(&got), proofs(&local_round(&only_1, *c).await));
    }
    let views = farmer.views();
    assert!(views[0].timeouts >= 2, "{views:?}");
    // After two missed budgets rounds stop waiting for it at all.
    let t = Instant::now();
    let _ = round(&farmer, &none, cs[5]).await;
    assert!(t.elapsed() < BUDGET / 2, "{:?}", t.elapsed());

    // Woken up, it answers again and rounds wait for it again.
    procs[0].signal(libc::SIGCONT);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let got = round(&farmer, &none, cs[5]).await;
        if proofs(&got) == proofs(&local_round(&honest, cs[5]).await) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the woken harvester never answered again"
        );
    }
}
