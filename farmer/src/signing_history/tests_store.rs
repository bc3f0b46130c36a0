//! The store and the guard in one process: durability across reopen, locking, keys, modes,
//! export/import, and a property test over arbitrary request sequences with restarts and imports.

use super::tests_support::header;
use super::*;
use crate::error::{HistoryError, SigningError};
use crate::keys::FarmerKey;
use ed25519_dalek::Verifier;
use masspoc_verifier::header::signing_message;
use masspoc_verifier::{ChainId, HeaderHash, Height};
use proptest::prelude::*;
use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

fn key(n: u8) -> FarmerKey {
    FarmerKey::from_seed(&[n; 32])
}

fn cid(b: u8) -> ChainId {
    ChainId([b; 32])
}

fn hh(b: u8) -> HeaderHash {
    HeaderHash([b; 32])
}

#[test]
fn record_rebroadcast_refuse_and_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h");
    let pk = key(1).public_key();
    {
        let h = SigningHistory::open(&path, &pk).unwrap();
        assert_eq!(
            h.record(&cid(1), Height(10), &hh(7)).unwrap(),
            Decision::Record
        );
        assert_eq!(
            h.record(&cid(1), Height(10), &hh(7)).unwrap(),
            Decision::Rebroadcast
        );
        assert_eq!(
            h.record(&cid(1), Height(10), &hh(8)).unwrap(),
            Decision::Refuse { existing: hh(7) }
        );
        // Another chain or height is independent.
        assert_eq!(
            h.record(&cid(2), Height(10), &hh(8)).unwrap(),
            Decision::Record
        );
        assert_eq!(
            h.record(&cid(1), Height(11), &hh(8)).unwrap(),
            Decision::Record
        );
    }
    let h = SigningHistory::open(&path, &pk).unwrap();
    assert_eq!(h.signed_at(&cid(1), Height(10)).unwrap(), Some(hh(7)));
    assert_eq!(
        h.record(&cid(1), Height(10), &hh(8)).unwrap(),
        Decision::Refuse { existing: hh(7) }
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
    let pk = k.public_key();
    let guard = SigningGuard::open(k, &history_path_for(&dir.path().join("farmer.key"))).unwrap();
    let (h5, h6) = (header(pk, 1, 1, 5), header(pk, 1, 1, 6));
    let sig = guard.sign(&h5).unwrap();
    // The guard signs the chain rules' signing message of the header it was given.
    vk.verify(&signing_message(&h5.chain_id, &h5.hash()), &sig)
        .unwrap();
    let mut signed = h5;
    signed.signature = sig.to_bytes();
    signed.verify_signature().unwrap();
    // Re-broadcast gives the very same signature (whatever the signature field held).
    assert_eq!(guard.sign(&signed).unwrap(), sig);
    let err = guard.sign(&h6).unwrap_err();
    assert!(matches!(
        err,
        SigningError::Slashable {
            height: Height(1),
            ..
        }
    ));
    let msg = err.to_string();
    assert!(msg.contains(&h5.hash().to_hex()) && msg.contains(&h6.hash().to_hex()));
    assert!(
        !msg.contains(&hex::encode([3u8; 32])),
        "no secret in errors"
    );
    assert_eq!(
        guard.history().signed_at(&cid(1), Height(1)).unwrap(),
        Some(h5.hash())
    );
}

#[test]
fn guard_refuses_a_header_of_another_key_without_recording_it() {
    let dir = tempfile::tempdir().unwrap();
    let guard = SigningGuard::open(key(3), &dir.path().join("h")).unwrap();
    let foreign = header(key(4).public_key(), 1, 1, 0);
    assert!(matches!(
        guard.sign(&foreign),
        Err(SigningError::ForeignKey { .. })
    ));
    assert!(guard.history().entries().unwrap().is_empty());
}

#[test]
fn export_import_round_trip_and_never_loosen() {
    let dir = tempfile::tempdir().unwrap();
    let pk = key(4).public_key();
    let a = SigningHistory::open(&dir.path().join("a"), &pk).unwrap();
    a.record(&cid(1), Height(1), &hh(11)).unwrap();
    a.record(&cid(1), Height(2), &hh(12)).unwrap();
    a.record(&cid(2), Height(1), &hh(21)).unwrap();
    let doc = a.export().unwrap();
    let text = doc.to_json().unwrap();
    assert!(text.contains("\"interchange_format\": \"masspoc-signing-history\""));
    let parsed = Interchange::from_json(&text).unwrap();
    assert_eq!(parsed, doc);

    let b = SigningHistory::open(&dir.path().join("b"), &pk).unwrap();
    b.record(&cid(1), Height(2), &hh(99)).unwrap(); // b signed another header at (chain 1, height 2)
    b.record(&cid(3), Height(7), &hh(37)).unwrap();
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
        b.record(&cid(1), Height(1), &hh(0)).unwrap(),
        Decision::Refuse { existing: hh(11) }
    );
    assert!(!b
        .record(&cid(1), Height(2), &hh(12))
        .unwrap()
        .allows_signing());
    assert!(!b
        .record(&cid(1), Height(2), &hh(99))
        .unwrap()
        .allows_signing());
    assert_eq!(
        b.record(&cid(3), Height(7), &hh(37)).unwrap(),
        Decision::Rebroadcast
    );
    // Importing again changes nothing; the export lists both hashes of the conflict.
    let again = b.import(&parsed).unwrap();
    assert_eq!(again.added + again.conflicts, 0);
    let exported = b.export().unwrap();
    let chain1 = exported
        .data
        .iter()
        .find(|chain| chain.chain_id == cid(1))
        .unwrap();
    assert_eq!(
        chain1
            .signed_headers
            .iter()
            .filter(|h| h.height == Height(2))
            .count(),
        2
    );
    // A fresh history importing that export is just as strict.
    let c = SigningHistory::open(&dir.path().join("c"), &pk).unwrap();
    c.import(&exported).unwrap();
    assert!(!c
        .record(&cid(1), Height(2), &hh(12))
        .unwrap()
        .allows_signing());
}

#[test]
fn import_refuses_other_keys_and_formats() {
    let dir = tempfile::tempdir().unwrap();
    let a = SigningHistory::open(&dir.path().join("a"), &key(5).public_key()).unwrap();
    a.record(&cid(1), Height(1), &hh(1)).unwrap();
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
        let mut released: HashMap<(u8, u64), HeaderHash> = HashMap::new();
        let pk = key(9).public_key();
        for op in ops {
            match op {
                Op::Sign { chain, height, hash } => {
                    let g = guard.as_ref().unwrap();
                    let header = header(pk, chain, height, hash);
                    let h = header.hash();
                    if g.sign(&header).is_ok() {
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
                    let h = header(pk, chain, height, hash).hash();
                    let doc = Interchange {
                        metadata: InterchangeMetadata {
                            interchange_format: INTERCHANGE_FORMAT.into(),
                            interchange_format_version: INTERCHANGE_VERSION,
                            farmer_pk: g.public_key(),
                        },
                        data: vec![ChainHistory {
                            chain_id: cid(chain),
                            signed_headers: vec![SignedHeader { height: Height(height), header_hash: h }],
                        }],
                    };
                    g.history().import(&doc).unwrap();
                    // An imported signature counts as released elsewhere: from now on only that
                    // header may be (re)signed here, or nothing if it conflicts.
                    released.entry((chain, height)).or_insert(h);
                }
            }
        }
    }
}

/// A history file written table by table in the layout of `docs/signing-history.md` (as earlier
/// versions wrote it, with raw byte keys) opens, and its records keep their meaning.
#[test]
fn a_history_in_the_documented_layout_still_loads() {
    use redb::{Database, TableDefinition};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.history");
    let pk = key(7).public_key();
    let slot = |chain: u8, height: u64| [&[chain; 32][..], &height.to_be_bytes()].concat();
    {
        let db = Database::create(&path).unwrap();
        let tx = db.begin_write().unwrap();
        {
            let mut meta = tx
                .open_table(TableDefinition::<&str, &[u8]>::new("meta"))
                .unwrap();
            meta.insert("farmer_pk", pk.as_bytes().as_slice()).unwrap();
            meta.insert("version", [1u8].as_slice()).unwrap();
            let mut signed = tx
                .open_table(TableDefinition::<&[u8], &[u8]>::new("signed"))
                .unwrap();
            signed
                .insert(slot(1, 41).as_slice(), [0x41; 32].as_slice())
                .unwrap();
            signed
                .insert(slot(1, 42).as_slice(), [0x42; 32].as_slice())
                .unwrap();
            let mut conflicts = tx
                .open_table(TableDefinition::<&[u8], ()>::new("conflicts"))
                .unwrap();
            let conflict = [&slot(1, 42)[..], &[0x99; 32]].concat();
            conflicts.insert(conflict.as_slice(), ()).unwrap();
        }
        tx.commit().unwrap();
    }
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let h = SigningHistory::open(&path, &pk).unwrap();
    assert_eq!(
        h.entries().unwrap(),
        vec![
            Record {
                chain_id: cid(1),
                height: Height(41),
                header_hash: hh(0x41)
            },
            Record {
                chain_id: cid(1),
                height: Height(42),
                header_hash: hh(0x42)
            },
            Record {
                chain_id: cid(1),
                height: Height(42),
                header_hash: hh(0x99)
            },
        ]
    );
    assert_eq!(
        h.record(&cid(1), Height(41), &hh(0x41)).unwrap(),
        Decision::Rebroadcast
    );
    assert_eq!(
        h.record(&cid(1), Height(41), &hh(0x01)).unwrap(),
        Decision::Refuse { existing: hh(0x41) }
    );
    assert!(!h
        .record(&cid(1), Height(42), &hh(0x42))
        .unwrap()
        .allows_signing());
    assert_eq!(
        h.record(&cid(1), Height(43), &hh(0x43)).unwrap(),
        Decision::Record
    );
}

/// The interchange document of `docs/signing-history.md`, written by hand, imports.
#[test]
fn the_documented_interchange_text_still_imports() {
    let dir = tempfile::tempdir().unwrap();
    let pk = key(8).public_key();
    let text = format!(
        r#"{{
  "metadata": {{
    "interchange_format": "masspoc-signing-history",
    "interchange_format_version": 1,
    "farmer_pk": "{pk}"
  }},
  "data": [
    {{
      "chain_id": "{chain}",
      "signed_headers": [
        {{ "height": 41, "header_hash": "{h41}" }},
        {{ "height": 42, "header_hash": "{h42}" }}
      ]
    }}
  ]
}}"#,
        pk = hex::encode(pk.as_bytes()),
        chain = "c1".repeat(32),
        h41 = "41".repeat(32),
        h42 = "42".repeat(32),
    );
    let doc = Interchange::from_json(&text).unwrap();
    assert_eq!(doc.data[0].chain_id, ChainId([0xc1; 32]));
    assert_eq!(doc.data[0].signed_headers[1].height, Height(42));
    let h = SigningHistory::open(&dir.path().join("h"), &pk).unwrap();
    assert_eq!(h.import(&doc).unwrap().added, 2);
    assert_eq!(
        h.signed_at(&ChainId([0xc1; 32]), Height(41)).unwrap(),
        Some(hh(0x41))
    );
    // Export writes the same shape back.
    let back: serde_json::Value =
        serde_json::from_str(&h.export().unwrap().to_json().unwrap()).unwrap();
    assert_eq!(
        back,
        serde_json::from_str::<serde_json::Value>(&text).unwrap()
    );
}
