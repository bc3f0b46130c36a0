//! Key files: round trips, modes, refusals, secrecy of errors and Debug.

use super::*;
use masspoc_proof::vrf::bound_vrf_public;
use std::os::unix::fs::PermissionsExt;

/// The cheapest acceptable scrypt cost, to keep tests quick.
const FAST: KdfParams = KdfParams {
    log_n: 10,
    r: 8,
    p: 1,
};

fn seed_hex(key: &FarmerKey) -> String {
    hex::encode(key.signing_key().to_bytes())
}

#[test]
fn clear_key_round_trips_with_mode_0600() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("farmer.key");
    let key = FarmerKey::generate().unwrap();
    key.save(&path, None).unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let loaded = FarmerKey::load(&path, None).unwrap();
    assert_eq!(loaded.public_key(), key.public_key());
    assert_eq!(read_public_key(&path).unwrap(), key.public_key());
    // A passphrase given for a clear file is ignored.
    assert!(FarmerKey::load(&path, Some("unused")).is_ok());
}

#[test]
fn encrypted_key_round_trips_and_hides_the_seed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("farmer.key");
    let key = FarmerKey::generate().unwrap();
    key.save_with_kdf(&path, Some("correct horse"), FAST)
        .unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        !text.contains(&seed_hex(&key)),
        "seed must not appear in an encrypted file"
    );
    assert!(
        text.contains(&key.public_key().to_hex()),
        "public key is in clear"
    );
    // Plotting needs no passphrase.
    assert_eq!(read_public_key(&path).unwrap(), key.public_key());
    let loaded = FarmerKey::load(&path, Some("correct horse")).unwrap();
    assert_eq!(
        loaded.signing_key().to_bytes(),
        key.signing_key().to_bytes()
    );
    assert!(matches!(
        FarmerKey::load(&path, None),
        Err(KeyError::PassphraseRequired { .. })
    ));
    let wrong = FarmerKey::load(&path, Some("wrong horse")).unwrap_err();
    assert!(matches!(wrong, KeyError::WrongPassphrase { .. }));
}

#[test]
fn default_scrypt_cost_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("farmer.key");
    let key = FarmerKey::from_seed(&[5; 32]);
    key.save(&path, Some("pw")).unwrap();
    assert!(std::fs::read_to_string(&path)
        .unwrap()
        .contains("\"log_n\": 17"));
    assert_eq!(
        FarmerKey::load(&path, Some("pw")).unwrap().public_key(),
        key.public_key()
    );
}

#[test]
fn a_file_sealed_at_the_old_default_cost_still_opens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.key");
    let key = FarmerKey::from_seed(&[6; 32]);
    let old = KdfParams {
        log_n: 15,
        r: 8,
        p: 1,
    };
    key.save_with_kdf(&path, Some("pw"), old).unwrap();
    assert!(std::fs::read_to_string(&path)
        .unwrap()
        .contains("\"log_n\": 15"));
    assert_eq!(
        FarmerKey::load(&path, Some("pw")).unwrap().public_key(),
        key.public_key()
    );
}

#[test]
fn a_passphrase_file_others_can_read_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pass");
    std::fs::write(&path, "correct horse\nsecond line\n").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let e = crate::keys::read_passphrase_file(&path)
        .unwrap_err()
        .to_string();
    assert!(e.contains("mode 0644") && e.contains("chmod 600"), "{e}");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(
        crate::keys::read_passphrase_file(&path).unwrap().as_str(),
        "correct horse"
    );
    std::fs::write(&path, "\n").unwrap();
    assert!(crate::keys::read_passphrase_file(&path)
        .unwrap_err()
        .to_string()
        .contains("empty"));
}

#[test]
fn save_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("farmer.key");
    std::fs::write(&path, b"precious").unwrap();
    let err = FarmerKey::generate()
        .unwrap()
        .save(&path, None)
        .unwrap_err();
    assert!(matches!(err, KeyError::AlreadyExists { .. }));
    assert_eq!(std::fs::read(&path).unwrap(), b"precious");
}

#[test]
fn load_refuses_group_or_world_readable_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("farmer.key");
    let key = FarmerKey::generate().unwrap();
    key.save(&path, None).unwrap();
    for mode in [0o640, 0o604, 0o660, 0o644] {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        let err = FarmerKey::load(&path, None).unwrap_err();
        assert!(
            matches!(err, KeyError::InsecurePermissions { .. }),
            "{mode:o}"
        );
        let msg = err.to_string();
        assert!(msg.contains("chmod 600"), "{msg}");
        assert!(!msg.contains(&seed_hex(&key)));
        // The public key stays readable for plotting.
        assert_eq!(read_public_key(&path).unwrap(), key.public_key());
    }
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400)).unwrap();
    assert!(FarmerKey::load(&path, None).is_ok());
}

#[test]
fn altered_files_are_refused_without_leaking_the_seed() {
    let dir = tempfile::tempdir().unwrap();
    let key = FarmerKey::from_seed(&[9; 32]);
    let other = FarmerKey::from_seed(&[10; 32]);
    let good = dir.path().join("good.key");
    key.save(&good, None).unwrap();
    let text = std::fs::read_to_string(&good).unwrap();
    let seed = seed_hex(&key);

    let cases: Vec<(&str, String)> = vec![
        (
            "pk swapped",
            text.replace(&key.public_key().to_hex(), &other.public_key().to_hex()),
        ),
        ("bad json", text.replace('}', "")),
        (
            "wrong format",
            text.replace("masspoc-farmer-key", "something-else"),
        ),
        (
            "version 2",
            text.replace("\"version\": 1", "\"version\": 2"),
        ),
        ("short seed", text.replace(&seed, &seed[..62])),
        ("unknown encryption", text.replace("\"none\"", "\"rot13\"")),
    ];
    for (i, (what, body)) in cases.into_iter().enumerate() {
        let path = dir.path().join(format!("bad{i}.key"));
        secure_file::create_secret_file(&path, body.as_bytes()).unwrap();
        let err = FarmerKey::load(&path, None).expect_err(what);
        let shown = format!("{err} {err:?}");
        assert!(
            !shown.contains(&seed),
            "{what}: error leaks the seed: {shown}"
        );
    }
}

#[test]
fn tampered_ciphertext_or_pk_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let key = FarmerKey::from_seed(&[11; 32]);
    let other = FarmerKey::from_seed(&[12; 32]);
    let path = dir.path().join("enc.key");
    key.save_with_kdf(&path, Some("pw"), FAST).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    // The AEAD binds the public key: swapping it breaks decryption.
    let swapped = dir.path().join("swapped.key");
    let body = text.replace(&key.public_key().to_hex(), &other.public_key().to_hex());
    secure_file::create_secret_file(&swapped, body.as_bytes()).unwrap();
    assert!(matches!(
        FarmerKey::load(&swapped, Some("pw")),
        Err(KeyError::WrongPassphrase { .. })
    ));
    // A hostile scrypt cost is refused before any work.
    let costly = dir.path().join("costly.key");
    let body = text.replace("\"log_n\": 10", "\"log_n\": 40");
    secure_file::create_secret_file(&costly, body.as_bytes()).unwrap();
    assert!(matches!(
        FarmerKey::load(&costly, Some("pw")),
        Err(KeyError::BadKdfParams { .. })
    ));
}

#[test]
fn debug_never_shows_the_secret() {
    let key = FarmerKey::from_seed(&[7; 32]);
    let shown = format!("{key:?}");
    assert!(shown.contains(&key.public_key().to_hex()));
    assert!(!shown.contains(&seed_hex(&key)));
    assert!(!shown.contains("0707070707"));
}

#[test]
fn vrf_key_is_the_one_bound_to_the_farmer_key_not_the_signing_key() {
    let key = FarmerKey::from_seed(&[3; 32]);
    let vrf = key.vrf_secret();
    assert_ne!(vrf.public().0, key.public_key().0);
    assert_eq!(Ok(vrf.public()), bound_vrf_public(&key.public_key()));
}

#[test]
fn read_public_key_rejects_invalid_points() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pub.key");
    // y = 2 is not on the curve.
    let mut pk = [0u8; 32];
    pk[0] = 2;
    let body = format!(
        "{{\"format\":\"masspoc-farmer-key\",\"version\":1,\"farmer_pk\":\"{}\",\"secret\":{{\"encryption\":\"none\"}}}}",
        hex::encode(pk)
    );
    std::fs::write(&path, body).unwrap();
    assert!(matches!(
        read_public_key(&path),
        Err(KeyError::InvalidPublicKey { .. })
    ));
}
