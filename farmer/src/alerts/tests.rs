//! Alerts against a real local HTTP receiver and a real command: one delivery per episode, the
//! rate limit per kind, the JSON both get.

use super::*;
use masspoc_alert::receiver::Receiver;
use std::net::TcpListener;
use std::time::Duration;

fn cond(kind: AlertKind, subject: &str) -> Condition {
    Condition {
        kind,
        subject: subject.into(),
        what: format!("{subject} happened"),
        todo: "do something".into(),
    }
}

fn config(url: &str, file: Option<&std::path::Path>, min_interval_secs: u64) -> AlertsConfig {
    AlertsConfig {
        webhook: Some(url.into()),
        command: file.map(|f| {
            vec![
                "sh".into(),
                "-c".into(),
                format!(
                    "{{ cat; echo \" $MASSPOC_ALERT_KIND\"; }} >> {}",
                    f.display()
                ),
            ]
        }),
        min_interval_secs,
        missed_wins: 5,
    }
}

fn got(r: &Receiver) -> Vec<AlertMessage> {
    r.drain(Duration::from_millis(300))
}

#[tokio::test]
async fn each_condition_is_sent_once_per_episode_to_the_webhook_and_the_command() {
    let r = Receiver::start();
    let url = r.url.clone();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("alerts.txt");
    let a = Alerts::new(config(&url, Some(&file), 0), "ab".repeat(32));
    let kinds = [
        AlertKind::PlotMissing,
        AlertKind::PlotBad,
        AlertKind::DiskUnavailable,
        AlertKind::OverBudget,
        AlertKind::NoWins,
        AlertKind::NodeUnreachable,
        AlertKind::HarvesterUnreachable,
        AlertKind::OwnEvidence,
    ];
    let all: Vec<Condition> = kinds.iter().map(|&k| cond(k, k.name())).collect();
    // Three samples in a row with every condition: one episode each, sent once.
    for t in [1000, 2000, 3000] {
        a.observe(t, all.clone()).await;
    }
    let sent = got(&r);
    assert_eq!(sent.len(), kinds.len(), "{sent:?}");
    for (k, m) in kinds.iter().zip(&sent) {
        assert_eq!(m.kind, k.name());
        assert_eq!(m.subject, k.name());
        assert_eq!(m.what, format!("{} happened", k.name()));
        assert_eq!(m.todo, "do something");
        assert_eq!(m.at_ms, 1000);
        assert_eq!(m.farmer_pk, Some("ab".repeat(32)));
        assert_eq!(m.source, "masspoc-farmer-alert");
    }
    assert_eq!(a.active().len(), kinds.len());
    let lines = std::fs::read_to_string(&file).unwrap();
    assert_eq!(lines.lines().count(), kinds.len(), "{lines}");
    assert!(lines.contains("\"kind\":\"own_evidence\"") && lines.contains(" own_evidence"));
    // The episodes end; one condition comes back: a new episode, sent again.
    a.observe(4000, vec![]).await;
    assert!(a.active().is_empty());
    a.observe(5000, vec![cond(AlertKind::PlotMissing, "plot_missing")])
        .await;
    let again = got(&r);
    assert_eq!(again.len(), 1);
    assert_eq!(
        (again[0].kind.as_str(), again[0].at_ms),
        ("plot_missing", 5000)
    );
}

#[tokio::test]
async fn the_rate_limit_holds_per_kind() {
    let r = Receiver::start();
    let url = r.url.clone();
    let a = Alerts::new(config(&url, None, 60), "cd".repeat(32));
    // Two plots go missing one after the other, within the minute: one message.
    a.observe(1_000, vec![cond(AlertKind::PlotMissing, "a.plot")])
        .await;
    a.observe(2_000, vec![cond(AlertKind::PlotMissing, "b.plot")])
        .await;
    // Another kind is not held back by it.
    a.observe(3_000, vec![cond(AlertKind::NodeUnreachable, "alpha")])
        .await;
    let sent = got(&r);
    let subjects: Vec<&str> = sent.iter().map(|m| m.subject.as_str()).collect();
    assert_eq!(subjects, ["a.plot", "alpha"]);
    // Past the minute, the kind is sent again.
    a.observe(61_500, vec![cond(AlertKind::PlotMissing, "c.plot")])
        .await;
    let later = got(&r);
    assert_eq!(later.len(), 1);
    assert_eq!(later[0].subject, "c.plot");
}

#[tokio::test]
async fn a_dead_webhook_or_command_does_not_stop_the_alerts() {
    // Nothing listens on this port (bound, then closed).
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let a = Alerts::new(
        AlertsConfig {
            webhook: Some(format!("http://127.0.0.1:{port}/")),
            command: Some(vec!["/nonexistent/masspoc-alert-hook".into()]),
            min_interval_secs: 0,
            missed_wins: 5,
        },
        "ef".repeat(32),
    );
    let sent = a
        .observe(1, vec![cond(AlertKind::OverBudget, "alpha")])
        .await;
    assert_eq!(sent.len(), 1, "attempted once");
    assert_eq!(a.active()[0].kind, "over_budget");
}
