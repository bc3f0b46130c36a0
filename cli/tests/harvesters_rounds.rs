//! Rounds across harvester processes (`docs/harvesters.md`): three `masspoc harvester`
//! processes serving a farmer's link (the farmer's own `remote::farm_round` and `Harvesters`, the
//! code `masspoc farm` runs) find exactly the proofs a local round over the same plots finds.

use crate::common;

use common::harvesters::{
    challenges_with_proofs, farmer_of, local, local_round, plot_dirs, proofs, round,
    three_harvesters, BUDGET,
};
use masspoc_net::Keypair;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_harvesters_find_exactly_the_proofs_of_a_local_farm() {
    let tmp = common::scratch();
    let key = Keypair::generate_ed25519();
    let procs = three_harvesters(tmp.path(), &key, [None, None, None]);
    let all = local(&plot_dirs(&procs.iter().collect::<Vec<_>>()));
    let (farmer, none) = farmer_of(key, &procs).await;
    let mut compared = 0;
    for c in challenges_with_proofs(&all, 12).await {
        let want = local_round(&all, c).await;
        let got = round(&farmer, &none, c).await;
        assert!(got.errors.is_empty(), "{:?}", got.errors);
        assert_eq!(proofs(&got), proofs(&want));
        assert_eq!(
            got.best.as_ref().map(|b| b.found.score),
            want.best.as_ref().map(|b| b.found.score)
        );
        assert!(got.elapsed < BUDGET, "{:?}", got.elapsed);
        compared += want.all.len();
    }
    assert!(compared >= 12);
    // Each harvester's plots were counted, and every proof is credited to one of them.
    let views = farmer.views();
    assert_eq!(
        views.iter().map(|v| v.proofs).sum::<u64>(),
        compared as u64,
        "{views:?}"
    );
    assert!(
        views.iter().all(|v| v.lookups >= 12 && v.timeouts == 0),
        "{views:?}"
    );
}
