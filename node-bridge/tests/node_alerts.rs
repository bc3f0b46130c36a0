//! The chain node's alerts (`masspoc_node_bridge::alerts`) on a real regtest litecoind and a real
//! anchorer, delivered to a real local webhook receiver: a fee budget of 0 raises
//! `fee_budget_exhausted`, a balance under the threshold `wallet_low` (with the wallet's real
//! balance in it), anchors held with nobody mining `anchoring_stalled` once `stalled_secs` have
//! passed — each once per episode; mined blocks end the stall.

use crate::common;

use common::{anchorer, quick};
use masspoc_alert::receiver::Receiver;
use masspoc_alert::{Delivery, COMMAND_TIMEOUT};
use masspoc_node_bridge::alerts::{NodeAlerts, NodeAlertsConfig, PassState};
use masspoc_node_bridge::anchor::{AnchorConfig, Anchorer, FeeBudget, Item, ItemKind};
use masspoc_node_bridge::regtest::{RegtestNode, WALLET};
use std::time::Duration;

const NODE: &str = "http://127.0.0.1:8737";
const T0: u64 = 1_767_225_600_000;

fn item(i: u8) -> Item {
    Item {
        kind: ItemKind::Evidence,
        hash: [i; 32],
    }
}

fn alerts(r: &Receiver, stalled_secs: u64, wallet_low_litoshi: u64) -> NodeAlerts {
    NodeAlerts::new(
        NodeAlertsConfig {
            delivery: Delivery {
                webhook: Some(r.url.clone()),
                command: None,
                command_timeout: COMMAND_TIMEOUT,
            },
            min_interval_secs: 0,
            stalled_secs,
            wallet_low_litoshi,
        },
        NODE.into(),
        WALLET.into(),
    )
}

fn pass(a: &Anchorer) -> PassState {
    PassState {
        anchor: a.status().clone(),
        anchor_error: None,
    }
}

#[test]
fn a_used_up_fee_budget_and_a_low_wallet_alert_once_each() {
    let mut node = RegtestNode::start().unwrap();
    node.fund_wallet().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut a = anchorer(
        &node,
        dir.path(),
        AnchorConfig {
            budget: FeeBudget {
                per_hour: 0,
                per_day: 0,
            },
            ..quick()
        },
    );
    a.outbox.enqueue(&[item(1)]).unwrap();
    a.tick().unwrap();
    assert!(a.status().hold.is_some(), "{:?}", a.status());
    let r = Receiver::start();
    // Every real balance is below u64::MAX litoshi.
    let mut n = alerts(&r, 600, u64::MAX);
    let sent = n.after_pass(T0, &pass(&a), &node.wallet());
    let mut got = r.drain(Duration::from_millis(500));
    got.sort_by(|x, y| x.kind.cmp(&y.kind));
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(sent.len(), 2);
    let (budget, wallet) = (&got[0], &got[1]);
    assert_eq!(budget.kind, "fee_budget_exhausted");
    assert_eq!(budget.source, "masspoc-node-alert");
    assert_eq!(budget.node.as_deref(), Some(NODE));
    assert_eq!(budget.farmer_pk, None);
    assert_eq!(budget.at_ms, T0);
    assert_eq!(budget.subject, "anchoring fee budget per day");
    assert!(budget.what.contains("exhausted"), "{}", budget.what);
    assert!(
        budget.todo.contains("fee_budget_per_day"),
        "{}",
        budget.todo
    );
    assert!(
        budget.todo.contains("1 item(s) stay queued"),
        "{}",
        budget.todo
    );
    assert_eq!(wallet.kind, "wallet_low");
    assert_eq!(wallet.subject, format!("wallet {WALLET}"));
    let trusted = node
        .wallet()
        .call_value("getbalances", serde_json::json!([]))
        .unwrap()["mine"]["trusted"]
        .clone();
    let litoshi = masspoc_node_bridge::anchor::budget::litoshi_of(&trusted).unwrap();
    assert!(litoshi > 0);
    assert!(
        wallet.what.contains(&format!("holds {litoshi} litoshi")),
        "{} vs {litoshi}",
        wallet.what
    );
    // The same conditions at the next passes: the episodes go on, nothing is sent again.
    a.tick().unwrap();
    assert!(n
        .after_pass(T0 + 1_000, &pass(&a), &node.wallet())
        .is_empty());
    assert!(r.drain(Duration::from_millis(300)).is_empty());
    assert_eq!(n.active().len(), 2);
}

#[test]
fn anchors_held_with_nobody_mining_alert_after_stalled_secs_and_clear_when_mined() {
    let mut node = RegtestNode::start().unwrap();
    node.fund_wallet().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut a = anchorer(
        &node,
        dir.path(),
        AnchorConfig {
            max_unconfirmed: 1,
            confirmations: 1,
            ..quick()
        },
    );
    let r = Receiver::start();
    let mut n = alerts(&r, 60, 0);
    a.outbox.enqueue(&[item(1)]).unwrap();
    a.tick().unwrap();
    a.outbox.enqueue(&[item(2)]).unwrap();
    a.tick().unwrap();
    assert!(a.status().hold.is_some(), "held: {:?}", a.status());
    // Held, but not for 60 s yet.
    assert!(n.after_pass(T0, &pass(&a), &node.wallet()).is_empty());
    assert!(n
        .after_pass(T0 + 59_000, &pass(&a), &node.wallet())
        .is_empty());
    let sent = n.after_pass(T0 + 61_000, &pass(&a), &node.wallet());
    assert_eq!(sent.len(), 1, "{sent:?}");
    let got = r.drain(Duration::from_millis(500));
    assert_eq!(got, sent);
    assert_eq!(got[0].kind, "anchoring_stalled");
    assert!(
        got[0].what.contains("no anchor has gone out for 61 s"),
        "{}",
        got[0].what
    );
    assert!(
        got[0].what.contains("is anybody mining?"),
        "{}",
        got[0].what
    );
    // Blocks come: the hold ends, so does the episode.
    node.mine(1).unwrap();
    a.tick().unwrap();
    node.mine(1).unwrap();
    a.tick().unwrap();
    assert!(a.status().hold.is_none(), "{:?}", a.status());
    assert!(n
        .after_pass(T0 + 62_000, &pass(&a), &node.wallet())
        .is_empty());
    assert!(n.active().is_empty());
    // Failing passes count as a stall too.
    let failing = PassState {
        anchor: a.status().clone(),
        anchor_error: Some("node refused".into()),
    };
    assert!(n
        .after_pass(T0 + 63_000, &failing, &node.wallet())
        .is_empty());
    let sent = n.after_pass(T0 + 123_000, &failing, &node.wallet());
    assert_eq!(sent.len(), 1);
    assert!(
        sent[0].what.contains("anchoring passes fail: node refused"),
        "{}",
        sent[0].what
    );
}
