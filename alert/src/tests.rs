//! Episodes and delivery against a real local HTTP receiver and real commands.

use super::receiver::Receiver;
use super::*;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum K {
    A,
    B,
}

impl Kind for K {
    fn name(self) -> &'static str {
        match self {
            K::A => "a",
            K::B => "b",
        }
    }
}

fn cond(kind: K, subject: &str) -> Condition<K> {
    Condition {
        kind,
        subject: subject.into(),
        what: format!("{subject} happened"),
        todo: "do something".into(),
    }
}

#[test]
fn an_episode_is_returned_once_and_the_rate_limit_holds_per_kind() {
    let e = Episodes::new(60_000);
    assert_eq!(e.observe(1_000, vec![cond(K::A, "x")], true).len(), 1);
    // Still there: no new episode.
    assert!(e.observe(2_000, vec![cond(K::A, "x")], true).is_empty());
    // Another subject of the same kind within the minute: an episode, but not delivered.
    assert!(e
        .observe(3_000, vec![cond(K::A, "x"), cond(K::A, "y")], true)
        .is_empty());
    assert_eq!(e.active().len(), 2);
    // Another kind is not held back.
    let b = e.observe(4_000, vec![cond(K::B, "z")], true);
    assert_eq!(b, vec![cond(K::B, "z")]);
    assert_eq!(e.active().len(), 1, "x and y ended");
    assert_eq!(e.active()[0].since_ms, 4_000);
    // Past the minute, back again: delivered.
    assert_eq!(e.observe(61_500, vec![cond(K::A, "x")], true).len(), 1);
    // With nothing to deliver to, nothing is returned (the episode still opens).
    let quiet = Episodes::new(0);
    assert!(quiet.observe(1, vec![cond(K::A, "x")], false).is_empty());
    assert_eq!(quiet.active().len(), 1);
}

#[test]
fn the_webhook_and_the_command_get_the_json() {
    let r = Receiver::start();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("got.txt");
    let to = Delivery {
        webhook: Some(r.url.clone()),
        command: Some(vec![
            "sh".into(),
            "-c".into(),
            format!(
                "{{ cat; echo \" $MASSPOC_ALERT_KIND $MASSPOC_ALERT_SUBJECT\"; }} >> {}",
                file.display()
            ),
        ]),
        command_timeout: COMMAND_TIMEOUT,
    };
    let msg = AlertMessage {
        node: Some("http://127.0.0.1:8737".into()),
        ..AlertMessage::new("masspoc-node-alert", &cond(K::B, "wallet"), 42)
    };
    deliver(&to, &msg);
    assert_eq!(r.drain(Duration::from_millis(300)), vec![msg.clone()]);
    let text = std::fs::read_to_string(&file).unwrap();
    let json = text
        .strip_suffix(" b wallet\n")
        .unwrap_or_else(|| panic!("no kind and subject in the environment: {text}"));
    let back: AlertMessage = serde_json::from_str(json).unwrap();
    assert_eq!(back, msg);
    assert!(!text.contains("farmer_pk"), "{text}");
}

/// `/proc/PID/stat`'s state letter, or `None` when the process is gone.
fn state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(") ")?.1.chars().next()
}

#[test]
fn a_hung_command_is_killed_with_what_it_started_and_reaped() {
    let dir = tempfile::tempdir().unwrap();
    let pids = dir.path().join("pids");
    let to = Delivery {
        webhook: None,
        // The shell and a child of its own, both hanging.
        command: Some(vec![
            "sh".into(),
            "-c".into(),
            format!("sleep 300 & echo $$ $! > {}; wait", pids.display()),
        ]),
        command_timeout: Duration::from_millis(500),
    };
    let started = Instant::now();
    deliver(&to, &AlertMessage::new("t", &cond(K::A, "x"), 1));
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(500), "{took:?}");
    assert!(took < Duration::from_secs(3), "{took:?}");
    let text = std::fs::read_to_string(&pids).unwrap();
    let ids: Vec<u32> = text
        .split_whitespace()
        .map(|p| p.parse().unwrap())
        .collect();
    assert_eq!(ids.len(), 2, "{text}");
    // The shell is reaped (gone, not a zombie); its sleep was killed (gone, or a zombie
    // waiting for init to reap it).
    assert_eq!(state(ids[0]), None, "the command was not reaped");
    let deadline = Instant::now() + Duration::from_secs(2);
    while !matches!(state(ids[1]), None | Some('Z')) {
        assert!(Instant::now() < deadline, "the command's child still runs");
        std::thread::sleep(Duration::from_millis(20));
    }
}
