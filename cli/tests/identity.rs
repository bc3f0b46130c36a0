//! The identity commands end to end: `keygen`, `vrf prove|verify`, `signing-history export|import`.

use masspoc_farmer::keys::FarmerKey;
use masspoc_farmer::signing_history::{history_path_for, SigningHistory};
use masspoc_verifier::{ChainId, HeaderHash, Height};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::common;
use common::{Ran, Run};

fn masspoc(args: &[&str], dir: &Path) -> Ran {
    common::masspoc_with(args).current_dir(dir).run()
}

fn stdout_json(out: &Ran) -> serde_json::Value {
    out.json()
}

// RFC 9381 Appendix B.3, example 17 (see proof/src/vrf/tests_rfc9381.rs for provenance).
const SK17: &str = "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb";
const PK17: &str = "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c";
const PI17: &str = concat!(
    "f3141cd382dc42909d19ec5110469e4feae18300e94f304590abdced48aed593",
    "3bf0864a62558b3ed7f2fea45c92a465301b3bbf5e3e54ddf2d935be3b67926d",
    "a3ef39226bbc355bdc9850112c8f4b02"
);
const BETA17: &str = concat!(
    "eb4440665d3891d668e7e0fcaf587f1b4bd7fbfe99d0eb2211ccec90496310eb",
    "5e33821bc613efb94db5e5b54c70a848a0bef4553a41befc57663b56373a5031"
);

#[test]
fn keygen_creates_0600_refuses_overwrite_and_shows_the_public_key() {
    let dir = common::scratch();
    let out = masspoc(&["keygen", "--out", "farmer.key", "--json"], dir.path()).ok();
    let created = stdout_json(&out);
    let pk = created["farmer_pk"].as_str().unwrap().to_string();
    assert_eq!(pk.len(), 64);
    let path = dir.path().join("farmer.key");
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );

    let before = std::fs::read(&path).unwrap();
    let again = masspoc(&["keygen", "--out", "farmer.key"], dir.path());
    assert!(!again.status.success());
    assert!(again.stderr.contains("already exists"));
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "the key file must be untouched"
    );

    let show = masspoc(&["keygen", "--show", "farmer.key", "--json"], dir.path());
    assert!(show.status.success());
    assert_eq!(stdout_json(&show), serde_json::json!({ "farmer_pk": pk }));
    assert_eq!(
        FarmerKey::load(&path, None).unwrap().public_key().to_hex(),
        pk
    );
}

#[test]
fn keygen_with_a_passphrase_seals_the_seed() {
    let dir = common::scratch();
    std::fs::write(dir.path().join("pw.txt"), "s3cret phrase\n").unwrap();
    std::fs::set_permissions(
        dir.path().join("pw.txt"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    let out = common::masspoc_with([
        "keygen",
        "--out",
        "a.key",
        "--passphrase-env",
        "MASSPOC_TEST_PW",
        "--json",
    ])
    .current_dir(dir.path())
    .env("MASSPOC_TEST_PW", "s3cret phrase")
    .ok();
    assert_eq!(stdout_json(&out)["encrypted"], true);
    let from_file = masspoc(
        &["keygen", "--out", "b.key", "--passphrase-file", "pw.txt"],
        dir.path(),
    );
    assert!(from_file.status.success());
    for name in ["a.key", "b.key"] {
        let path = dir.path().join(name);
        assert!(
            FarmerKey::load(&path, None).is_err(),
            "{name} needs a passphrase"
        );
        // The trailing newline of the file is not part of the passphrase.
        assert!(
            FarmerKey::load(&path, Some("s3cret phrase")).is_ok(),
            "{name}"
        );
    }
    let unset = masspoc(
        &[
            "keygen",
            "--out",
            "c.key",
            "--passphrase-env",
            "MASSPOC_TEST_UNSET_VAR",
        ],
        dir.path(),
    );
    assert!(!unset.status.success());
    assert!(!dir.path().join("c.key").exists());
}

#[test]
fn vrf_prove_and_verify_reproduce_rfc_9381_example_17() {
    let dir = common::scratch();
    let out = masspoc(
        &["vrf", "prove", "--secret", SK17, "--alpha", "72", "--json"],
        dir.path(),
    );
    assert!(out.status.success());
    let v = stdout_json(&out);
    assert_eq!(v["pi"], PI17);
    assert_eq!(v["beta"], BETA17);

    let ok = masspoc(
        &[
            "vrf", "verify", "--public", PK17, "--alpha", "72", "--proof", PI17, "--json",
        ],
        dir.path(),
    );
    assert_eq!(ok.status.code(), Some(0));
    assert_eq!(stdout_json(&ok)["beta"], BETA17);

    let wrong_alpha = masspoc(
        &[
            "vrf", "verify", "--public", PK17, "--alpha", "73", "--proof", PI17,
        ],
        dir.path(),
    );
    assert_eq!(wrong_alpha.status.code(), Some(1));
    assert!(wrong_alpha.stdout.contains("invalid"));

    // The identity point is a small-order key.
    let identity = format!("01{}", "00".repeat(31));
    let small = masspoc(
        &[
            "vrf", "verify", "--public", &identity, "--alpha", "", "--proof", PI17, "--json",
        ],
        dir.path(),
    );
    assert_eq!(small.status.code(), Some(1));
    let reason = stdout_json(&small)["reason"].as_str().unwrap().to_string();
    assert!(reason.contains("small-order"), "{reason}");
}

#[test]
fn vrf_prove_accepts_the_empty_alpha() {
    let dir = common::scratch();
    let out = masspoc(
        &["vrf", "prove", "--secret", SK17, "--alpha", "", "--json"],
        dir.path(),
    );
    assert!(out.status.success());
    let v = stdout_json(&out);
    let ok = masspoc(
        &[
            "vrf",
            "verify",
            "--public",
            PK17,
            "--alpha",
            "",
            "--proof",
            v["pi"].as_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(ok.status.code(), Some(0));
}

#[test]
fn signing_history_export_import_and_refusal_while_held() {
    let dir = common::scratch();
    let key = FarmerKey::from_seed(&[21; 32]);
    let key_path = dir.path().join("farmer.key");
    key.save(&key_path, None).unwrap();
    {
        let h = SigningHistory::open(&history_path_for(&key_path), &key.public_key()).unwrap();
        h.record(&ChainId([1; 32]), Height(3), &HeaderHash([33; 32]))
            .unwrap();
        h.record(&ChainId([2; 32]), Height(4), &HeaderHash([44; 32]))
            .unwrap();
    }
    masspoc(
        &[
            "signing-history",
            "export",
            "--key",
            "farmer.key",
            "--out",
            "h.json",
        ],
        dir.path(),
    )
    .ok();
    let text = std::fs::read_to_string(dir.path().join("h.json")).unwrap();
    assert!(text.contains("masspoc-signing-history"));

    // Import into a fresh history on "another machine".
    let import = masspoc(
        &[
            "signing-history",
            "import",
            "--key",
            "farmer.key",
            "--history",
            "moved.history",
            "--file",
            "h.json",
            "--json",
        ],
        dir.path(),
    )
    .ok();
    assert_eq!(stdout_json(&import)["added"], 2);
    let moved = dir.path().join("moved.history");
    {
        let h = SigningHistory::open(&moved, &key.public_key()).unwrap();
        assert_eq!(
            h.signed_at(&ChainId([1; 32]), Height(3)).unwrap(),
            Some(HeaderHash([33; 32]))
        );
        // While this process holds the history, the command (another process) must refuse.
        let held = masspoc(
            &[
                "signing-history",
                "import",
                "--key",
                "farmer.key",
                "--history",
                "moved.history",
                "--file",
                "h.json",
            ],
            dir.path(),
        );
        assert!(!held.status.success());
        let err = &held.stderr;
        assert!(err.contains("already open in another process"), "{err}");

        // An export only reads: beside the holder (a running farmer) it reads a copy.
        h.record(&ChainId([9; 32]), Height(7), &HeaderHash([77; 32]))
            .unwrap();
        let exported = masspoc(
            &[
                "signing-history",
                "export",
                "--key",
                "farmer.key",
                "--history",
                "moved.history",
            ],
            dir.path(),
        )
        .ok();
        let doc = stdout_json(&exported);
        let text = doc.to_string();
        assert!(
            text.contains(&"09".repeat(32)) && text.contains(&"4d".repeat(32)),
            "the record made while held is exported: {text}"
        );
        // The holder is unaffected: it still records.
        h.record(&ChainId([9; 32]), Height(8), &HeaderHash([88; 32]))
            .unwrap();
    }
}

/// `vrf bound` gives the key of the independent derivation (proof/tests/vectors/derive.py) and
/// refuses a small-order farmer key.
#[test]
fn vrf_bound_derives_the_farmers_one_vrf_key_from_its_public_key() {
    let dir = common::scratch();
    let vectors: serde_json::Value = serde_json::from_str(include_str!(
        "../../proof/tests/vectors/vrf_binding_vectors.json"
    ))
    .unwrap();
    let f = &vectors["farmers"][2];
    let out = masspoc(
        &[
            "vrf",
            "bound",
            "--farmer-pk",
            f["farmer_pk"].as_str().unwrap(),
            "--json",
        ],
        dir.path(),
    );
    let v = stdout_json(&out.ok());
    assert_eq!(v["vrf_pk"], f["vrf_pk"]);
    assert_eq!(v["tweak"], f["tweak"]);
    let small = vectors["keys"][0]["farmer_pk"].as_str().unwrap();
    let out = masspoc(&["vrf", "bound", "--farmer-pk", small], dir.path()).code_is(2);
    assert!(out.stderr.contains("small-order"), "{}", out.stderr);
}

#[test]
fn vrf_prove_reads_the_secret_from_a_private_file_or_stdin_and_warns_about_argv() {
    let dir = common::scratch();
    let file = dir.path().join("sk");
    std::fs::write(&file, format!("{SK17}\n")).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let from_file = masspoc(
        &[
            "vrf",
            "prove",
            "--secret-file",
            "sk",
            "--alpha",
            "72",
            "--json",
        ],
        dir.path(),
    );
    assert!(from_file.status.success(), "{}", from_file.stderr);
    assert_eq!(stdout_json(&from_file)["pi"], PI17);
    assert!(!from_file.stderr.contains("warning"));

    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let open = masspoc(
        &["vrf", "prove", "--secret-file", "sk", "--alpha", "72"],
        dir.path(),
    );
    assert!(!open.status.success());
    assert!(open.stderr.contains("mode 0644"), "{}", open.stderr);

    let mut child = common::masspoc_with([
        "vrf",
        "prove",
        "--secret-file",
        "-",
        "--alpha",
        "72",
        "--json",
    ])
    .current_dir(dir.path())
    .stdin(std::process::Stdio::piped())
    .stdout(std::process::Stdio::piped())
    .spawn()
    .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        writeln!(stdin, "{SK17}").unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["pi"], PI17);

    let argv = masspoc(
        &["vrf", "prove", "--secret", SK17, "--alpha", "72"],
        dir.path(),
    );
    assert!(argv.status.success());
    assert!(
        argv.stderr
            .contains("warning: --secret on the command line"),
        "{}",
        argv.stderr
    );
    let neither = masspoc(&["vrf", "prove", "--alpha", "72"], dir.path());
    assert!(!neither.status.success());
}

#[test]
fn keygen_refuses_a_passphrase_file_others_can_read() {
    let dir = common::scratch();
    let pass = dir.path().join("pass");
    std::fs::write(&pass, "a long passphrase\n").unwrap();
    std::fs::set_permissions(&pass, std::fs::Permissions::from_mode(0o640)).unwrap();
    let out = masspoc(
        &["keygen", "--out", "p.key", "--passphrase-file", "pass"],
        dir.path(),
    );
    assert!(!out.status.success());
    assert!(
        out.stderr.contains("mode 0640") && out.stderr.contains("chmod 600"),
        "{}",
        out.stderr
    );
    assert!(!dir.path().join("p.key").exists());
}
