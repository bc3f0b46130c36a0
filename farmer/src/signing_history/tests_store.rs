//! The store and the guard in one process: durability across reopen, locking, keys, modes,
//! export/import, and a property test over arbitrary request sequences with restarts and imports.

use super::*;
use crate::error::{HistoryError, SigningError};
use crate::keys::FarmerKey;
use ed25519_dalek::Verifier;
use proptest::prelude::*;
use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

fn key(n: u8) -> FarmerKey {
    FarmerKey::from_seed(&[n; 32])
}

#[test]
fn record_rebroadcast_refuse_and_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h");
    let pk = key(1).public_key();
    {
        let h = SigningHistory::open(&path, &pk).unwrap();
        assert_eq!(h.record(&[1; 32], 10, &[7; 32]).unwrap(), Decision::Record);
        assert_eq!(
            h.record(&[1; 32], 10, &[7; 32]).unwrap(),
            Decision::Rebroadcast
        );
        assert_eq!(
            h.record(&[1; 32], 10, &[8; 32]).unwrap(),
            Decision::Refuse { existing: [7; 32] }
        );
        // Another chain or height is independent.
        assert_eq!(h.record(&[2; 32], 10, &[8; 32]).unwrap(), Decision::Record);
        assert_eq!(h.record(&[1; 32], 11, &[8; 32]).unwrap(), Decision::Record);
    }
    let h = SigningHistory::open(&path, &pk).unwrap();
    assert_eq!(h.signed_at(&[1; 32], 10).unwrap(), Some([7; 32]));
    assert_eq!(
        h.record(&[1; 32], 10, &[8; 32]).unwrap(),
        Decision::Refuse { existing: [7; 32] }
    );
    assert_eq!(h.entries().unwrap().len(), 3);
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[test]
fn a_second_handle_in_the_same_process_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h");
    let pk = key(1).public_key();
    let _first = SigningHistory::open(&path, &pk).unwrap();
    assert!(matches!(
        SigningHistory::open(&path, &pk),
        Err(HistoryError::AlreadyOpen { .. })
    ));
}

#[test]
fn another_keys_history_and_loose_modes_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h");
    drop(SigningHistory::open(&path, &key(1).public_key()).unwrap());
    assert!(matches!(
        SigningHistory::open(&path, &key(2).public_key()),
        Err(HistoryError::WrongKey { .. })
    ));
    assert!(matches!(
        SigningGuard::new(
            key(2),
            SigningHistory::open(&path, &key(1).public_key()).unwrap()
        ),
        Err(HistoryError::WrongKey { .. })
    ));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert!(matches!(
        SigningHistory::open(&path, &key(1).public_key()),
        Err(HistoryError::InsecurePermissions { .. })
    ));
}

#[test]
fn guard_signs_verifiably_and_refuses_equivocation() {
    let dir = tempfile::tempdir().unwrap();
    let k = key(3);
    let vk = k.signing_key().verifying_key();
    let guard = SigningGuard::open(k, &history_path_for(&dir.path().join("farmer.key"))).unwrap();
    let sig = guard.sign(&[1; 32], 1, &[5; 32], b"header 5").unwrap();
    vk.verify(b"header 5", &sig).unwrap();
    // Re-broadcast gives the very same signature.
    assert_eq!(guard.sign(&[1; 32], 1, &[5; 32], b"header 5").unwrap(), sig);
    let err = guard.sign(&[1; 32], 1, &[6; 32], b"header 6").unwrap_err();
    assert!(matches!(err, SigningError::Slashable { height: 1, .. }));
    let msg = err.to_string();
    assert!(msg.contains(&hex::encode([5u8; 32])) && msg.contains(&hex::encode([6u8; 32])));
    assert!(
        !msg.contains(&hex::encode([3u8; 32])),
        "no secret in errors"
    );
}

#[test]
fn export_import_round_trip_and_never_loosen() {
    let dir = tempfile::tempdir().unwrap();
    let pk = key(4).public_key();
    let a = SigningHistory::open(&dir.path().join("a"), &pk).unwrap();
    a.record(&[1; 32], 1, &[11; 32]).unwrap();
    a.record(&[1; 32], 2, &[12; 32]).unwrap();
    a.record(&[2; 32], 1, &[21; 32]).unwrap();
    let doc = a.export().unwrap();
    let text = doc.to_json().unwrap();
    assert!(text.contains("\"interchange_format\": \"masspoc-signing-history\""));
    let parsed = Interchange::from_json(&text).unwrap();
    assert_eq!(parsed, doc);

    let b = SigningHistory::open(&dir.path().join("b"), &pk).unwrap();
    b.record(&[1; 32], 2, &[99; 32]).unwrap(); // b signed another header at (chain 1, height 2)
    b.record(&[3; 32], 7, &[37; 32]).unwrap();
    let report = b.import(&parsed).unwrap();
    assert_eq!(
        report,
        ImportReport {
            added: 2,
            already_present: 0,
            conflicts: 1
        }
    );
    // Imported heights are protected; the conflicting height refuses both hashes.
    assert_eq!(
        b.record(&[1; 32], 1, &[0; 32]).unwrap(),
        Decision::Refuse { existing: [11; 32] }
    );
    assert!(!b.record(&[1; 32], 2, &[12; 32]).unwrap().allows_signing());
    assert!(!b.record(&[1; 32], 2, &[99; 32]).unwrap().allows_signing());
    assert_eq!(
        b.record(&[3; 32], 7, &[37; 32]).unwrap(),
        Decision::Rebroadcast
    );
    // Importing again changes nothing; the export lists both hashes of the conflict.
    let again = b.import(&parsed).unwrap();
    assert_eq!(again.added + again.conflicts, 0);
    let exported = b.export().unwrap();
    let chain1 = exported
        .data
        .iter()
        .find(|c| c.chain_id == [1; 32])
        .unwrap();
    assert_eq!(
        chain1
            .signed_headers
            .iter()
            .filter(|h| h.height == 2)
            .count(),
        2
    );
    // A fresh history importing that export is just as strict.
    let c = SigningHistory::open(&dir.path().join("c"), &pk).unwrap();
    c.import(&exported).unwrap();
    assert!(!c.record(&[1; 32], 2, &[12; 32]).unwrap().allows_signing());
}

#[test]
fn import_refuses_other_keys_and_formats() {
    let dir = tempfile::tempdir().unwrap();
    let a = SigningHistory::open(&dir.path().join("a"), &key(5).public_key()).unwrap();
    a.record(&[1; 32], 1, &[1; 32]).unwrap();
    let doc = a.export().unwrap();
    let b = SigningHistory::open(&dir.path().join("b"), &key(6).public_key()).unwrap();
    assert!(matches!(
        b.import(&doc),
        Err(HistoryError::InterchangeWrongKey { .. })
    ));
    assert!(b.entries().unwrap().is_empty());
    let text = doc.to_json().unwrap();
    assert!(matches!(
        Interchange::from_json(&text.replace(
            "\"interchange_format_version\": 1",
            "\"interchange_format_version\": 2"
        )),
        Err(HistoryError::InterchangeFormat { version: 2, .. })
    ));
    assert!(matches!(
        Interchange::from_json(&text.replace("\"height\": 1", "\"height\": -1")),
        Err(HistoryError::Interchange(_))
    ));
    assert!(matches!(
        Interchange::from_json("{}"),
        Err(HistoryError::Interchange(_))
    ));
}

/// One step of the property test.
#[derive(Debug, Clone)]
enum Op {
    Sign { chain: u8, height: u64, hash: u8 },
    Restart,
    Import { chain: u8, height: u64, hash: u8 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (0u8..3, 0u64..4, 0u8..3).prop_map(|(chain, height, hash)| Op::Sign { chain, height, hash }),
        1 => Just(Op::Restart),
        1 => (0u8..3, 0u64..4, 0u8..3).prop_map(|(chain, height, hash)| Op::Import { chain, height, hash }),
    ]
}

fn open_guard(path: &Path) -> SigningGuard {
    SigningGuard::open(key(9), path).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// No sequence of sign requests, restarts and imports ever yields two signatures for
    /// different headers at one (chain, height).
    #[test]
    fn no_two_signatures_for_different_headers_at_one_height(
        ops in proptest::collection::vec(op(), 1..40)
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h");
        let mut guard = Some(open_guard(&path));
        let mut released: HashMap<(u8, u64), [u8; 32]> = HashMap::new();
        for op in ops {
            match op {
                Op::Sign { chain, height, hash } => {
                    let g = guard.as_ref().unwrap();
                    let h = [hash; 32];
                    if g.sign(&[chain; 32], height, &h, &h).is_ok() {
                        let first = *released.entry((chain, height)).or_insert(h);
                        prop_assert_eq!(first, h, "two headers signed at ({}, {})", chain, height);
                    }
                }
                Op::Restart => {
                    drop(guard.take());
                    guard = Some(open_guard(&path));
                }
                Op::Import { chain, height, hash } => {
                    let g = guard.as_ref().unwrap();
                    let doc = Interchange {
                        metadata: InterchangeMetadata {
                            interchange_format: INTERCHANGE_FORMAT.into(),
                            interchange_format_version: INTERCHANGE_VERSION,
                            farmer_pk: g.public_key(),
                        },
                        data: vec![ChainHistory {
                            chain_id: [chain; 32],
                            signed_headers: vec![SignedHeader { height, header_hash: [hash; 32] }],
                        }],
                    };
                    g.history().import(&doc).unwrap();
                    // An imported signature counts as released elsewhere: from now on only that
                    // header may be (re)signed here, or nothing if it conflicts.
                    released.entry((chain, height)).or_insert([hash; 32]);
                }
            }
        }
    }
}
