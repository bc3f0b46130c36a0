//! Across processes: a second process is refused while the history is open, and a process
//! SIGKILLed between the durable record and the signature leaves a history that still refuses a
//! different header at that height (and allows the same one).
//!
//! The child is this test binary run again on [`child_main`] with `MASSPOC_TEST_CHILD` set.

use super::tests_support::header;
use super::*;
use crate::error::{HistoryError, SigningError};
use crate::keys::FarmerKey;
use masspoc_verifier::{ChainId, Header, Height};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const CHAIN: u8 = 1;
const HEIGHT: u64 = 5;
const FIRST: u8 = 0xaa;
const OTHER: u8 = 0xbb;

fn key() -> FarmerKey {
    FarmerKey::from_seed(&[0x42; 32])
}

/// The header of `variant` at `height` of the test chain, by the test key.
fn at(height: u64, variant: u8) -> Header {
    header(key().public_key(), CHAIN, height, variant)
}

/// The child's body; a no-op when run as an ordinary test.
#[test]
fn child_main() {
    let Ok(mode) = std::env::var("MASSPOC_TEST_CHILD") else {
        return;
    };
    let path = std::env::var("MASSPOC_TEST_CHILD_PATH").expect("child path");
    let announce = |word: &str| {
        let mut out = std::io::stdout();
        writeln!(out, "{word}").expect("stdout");
        out.flush().expect("flush");
    };
    match mode.as_str() {
        "hold" => {
            let _history = SigningHistory::open(Path::new(&path), &key().public_key()).unwrap();
            announce("CHILD-READY");
            std::thread::sleep(Duration::from_secs(60));
        }
        "crash" => {
            let mut guard = SigningGuard::open(key(), Path::new(&path)).unwrap();
            guard.after_record = Some(Box::new(move || {
                announce("CHILD-RECORDED");
                // Wait to be SIGKILLed before the signature exists.
                std::thread::sleep(Duration::from_secs(60));
            }));
            let _ = guard.sign(&at(HEIGHT, FIRST));
            announce("CHILD-SIGNED");
        }
        other => panic!("unknown child mode {other}"),
    }
}

fn spawn_child(mode: &str, path: &Path) -> Child {
    Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "signing_history::tests_processes::child_main",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("MASSPOC_TEST_CHILD", mode)
        .env("MASSPOC_TEST_CHILD_PATH", path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn child")
}

/// Reads the child's stdout until `word` (fails if the child exits first).
fn wait_for(child: &mut Child, word: &str) {
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();
    loop {
        match lines.next() {
            // libtest may print "test … ... " on the same line first.
            Some(Ok(line)) if line.trim_end().ends_with(word) => return,
            Some(Ok(line)) => assert!(!line.contains("CHILD-SIGNED"), "child signed"),
            _ => panic!("child exited before printing {word}"),
        }
    }
}

#[test]
fn a_second_process_is_refused_while_the_history_is_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("farmer.key.history");
    let mut child = spawn_child("hold", &path);
    wait_for(&mut child, "CHILD-READY");
    let err = SigningHistory::open(&path, &key().public_key()).err();
    assert!(
        matches!(err, Some(HistoryError::AlreadyOpen { .. })),
        "second process must be refused, got {err:?}"
    );
    let msg = err.map(|e| e.to_string()).unwrap_or_default();
    assert!(msg.contains("already open in another process"), "{msg}");
    child.kill().unwrap();
    child.wait().unwrap();
    // The lock dies with the process.
    assert!(SigningHistory::open(&path, &key().public_key()).is_ok());
}

#[test]
fn kill_9_between_record_and_signature_keeps_the_record() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("farmer.key.history");
    let mut child = spawn_child("crash", &path);
    wait_for(&mut child, "CHILD-RECORDED");
    // SIGKILL: no destructor, no flush, no chance to sign.
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success());

    let guard = SigningGuard::open(key(), &path).unwrap();
    assert_eq!(
        guard
            .history()
            .signed_at(&ChainId([CHAIN; 32]), Height(HEIGHT))
            .unwrap(),
        Some(at(HEIGHT, FIRST).hash())
    );
    let refused = guard.sign(&at(HEIGHT, OTHER));
    assert!(
        matches!(refused, Err(SigningError::Slashable { .. })),
        "{refused:?}"
    );
    let again = guard.sign(&at(HEIGHT, FIRST));
    assert!(
        again.is_ok(),
        "the recorded header may be re-signed: {again:?}"
    );
    // Other heights are unaffected.
    assert!(guard.sign(&at(HEIGHT + 1, OTHER)).is_ok());
}
