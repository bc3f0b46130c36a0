//! End-to-end tests of `masspoc plot`, `prove`, `verify`, `check` and `plots list`, including a
//! real SIGKILL of a plotting process and its resumption.

use crate::common;

use common::{masspoc, Run};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const PK: &str = "0707070707070707070707070707070707070707070707070707070707070707";
const SEED: &str = "5151515151515151515151515151515151515151515151515151515151515151";

fn run(cmd: &mut Command) -> (i32, Value, String) {
    cmd.run().parts()
}

fn plot_cmd(k: u8, out: &Path) -> Command {
    let mut c = masspoc();
    c.args([
        "plot",
        "--farmer-pk",
        PK,
        "--k",
        &k.to_string(),
        "--seed",
        SEED,
        "--json",
        "--out",
    ])
    .arg(out);
    c
}

fn plot_once(k: u8, out: &Path) -> (PathBuf, Vec<u8>) {
    let (code, json, text) = run(&mut plot_cmd(k, out));
    assert_eq!(code, 0, "{text}");
    let path = PathBuf::from(json["plots"][0]["path"].as_str().unwrap());
    assert_eq!(json["plots"][0]["k"], k);
    assert!(json["plots"][0]["pairs"].as_u64().unwrap() > 0);
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(
        json["plots"][0]["bytes"].as_u64().unwrap(),
        bytes.len() as u64
    );
    (path, bytes)
}

fn journal_of(dir: &Path) -> Option<Value> {
    let entry = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .find(|e| e.file_name().to_string_lossy().ends_with(".journal"))?;
    serde_json::from_str(&std::fs::read_to_string(entry.path()).ok()?).ok()
}

#[test]
fn sigkill_at_several_points_then_resume_gives_the_same_bytes() {
    let reference_dir = common::scratch();
    let reference = plot_once(20, reference_dir.path()).1;
    // Kill when the journal first shows: the plot started, 2 rounds done, 4 superblocks done.
    let points: [(&str, u64); 3] = [
        ("rounds_done", 0),
        ("rounds_done", 2),
        ("superblocks_done", 4),
    ];
    let mut kills = 0;
    for (field, at_least) in points {
        let scratch = common::scratch();
        let dir = scratch.path().to_path_buf();
        let mut child = plot_cmd(20, &dir)
            .args(["--memory", "98M", "--threads", "1"])
            .env("MASSPOC_PLOT_CHECKPOINT_BYTES", "0")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let start = Instant::now();
        let killed = loop {
            if let Some(j) = journal_of(&dir) {
                if j[field].as_u64().unwrap_or(0) >= at_least {
                    child.kill().unwrap(); // SIGKILL
                    child.wait().unwrap();
                    break true;
                }
            }
            if child.try_wait().unwrap().is_some() {
                break false; // finished before the point: still must be identical
            }
            assert!(start.elapsed() < Duration::from_secs(120));
            std::thread::sleep(Duration::from_millis(2));
        };
        if killed {
            kills += 1;
            // The unfinished plot is listed as partial, never as a plot.
            let (code, json, text) = run(masspoc().args(["plots", "list", "--json"]).arg(&dir));
            assert_eq!(code, 0, "{text}");
            let statuses: Vec<&str> = json["plots"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["status"].as_str().unwrap())
                .collect();
            assert!(statuses.iter().all(|s| *s == "partial"), "{statuses:?}");
        }
        let (code, json, text) = run(plot_cmd(20, &dir).args(["--memory", "98M"]));
        assert_eq!(code, 0, "{text}");
        let path = json["plots"][0]["path"].as_str().unwrap();
        assert!(
            std::fs::read(path).unwrap() == reference,
            "{field} >= {at_least}"
        );
        let left: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        assert_eq!(left.len(), 1, "{left:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
    assert!(
        kills >= 2,
        "the plotter finished before most kill points ({kills} kills)"
    );
}

#[test]
fn prove_verify_check_and_list() {
    let scratch = common::scratch();
    let dir = scratch.path().to_path_buf();
    // An unfinished plot of another k, without a journal, is reported as stale and left alone.
    let stale = dir.join(format!("plot-k17-{}.plot.tmp", "ab".repeat(32)));
    std::fs::write(&stale, b"half a plot").unwrap();
    let (code, _, text) = run(&mut plot_cmd(18, &dir));
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("stale") && stale.exists(), "{text}");
    let (path, bytes) = plot_once(18, &dir);
    // Find challenges with proofs; verify each proof; tamper with one.
    let mut verified = 0;
    for i in 0..40u32 {
        let challenge = hex::encode(blake3::hash(&i.to_le_bytes()).as_bytes());
        let (code, json, text) =
            run(masspoc()
                .arg("prove")
                .arg(&path)
                .args(["--challenge", &challenge, "--json"]));
        assert_eq!(code, 0, "{text}");
        for p in json["proofs"].as_array().unwrap() {
            for key in [
                "plot_id",
                "k",
                "farmer_pk",
                "plot_seed",
                "x",
                "x_prime",
                "encoded",
                "quality",
                "score",
            ] {
                assert!(!p[key].is_null(), "{key} missing in {p}");
            }
            let enc = p["encoded"].as_str().unwrap();
            let (code, json, text) = run(masspoc().args([
                "verify",
                "--json",
                "--proof",
                enc,
                "--challenge",
                &challenge,
            ]));
            assert_eq!(code, 0, "{text}");
            assert_eq!(json["valid"], true);
            let mut raw = hex::decode(enc).unwrap();
            raw[65] ^= 1; // x
            let bad = hex::encode(&raw);
            let (code, json, _) = run(masspoc().args([
                "verify",
                "--json",
                "--proof",
                &bad,
                "--challenge",
                &challenge,
            ]));
            assert_eq!(code, 1);
            assert_eq!(json["valid"], false);
            verified += 1;
        }
    }
    assert!(verified > 5, "only {verified} proofs in 40 challenges");
    let (code, _, _) = run(masspoc().args(["verify", "--proof", "00", "--challenge", "zz"]));
    assert_eq!(code, 2, "a malformed challenge is a usage error");
    let (code, json, _) =
        run(masspoc().args(["verify", "--json", "--proof", "00", "--challenge", SEED]));
    assert_eq!((code, json["reason"].as_str()), (1, Some("bad_encoding")));

    // check: a good plot, a bit-flipped one (found by --full with its range), a truncated one.
    let (code, json, text) =
        run(masspoc()
            .arg("check")
            .arg(&path)
            .args(["--challenges", "2000", "--full", "--json"]));
    assert_eq!(code, 0, "{text}");
    let share = json["plots"][0]["share_answered"].as_f64().unwrap();
    assert!((0.35..0.44).contains(&share), "share {share}");
    let flipped = dir.join("flipped.plot");
    let at = bytes.len() - 40_000;
    let mut bad = bytes.clone();
    bad[at] ^= 0x40;
    std::fs::write(&flipped, &bad).unwrap();
    let (code, json, text) =
        run(masspoc()
            .arg("check")
            .arg(&flipped)
            .args(["--challenges", "10", "--full", "--json"]));
    assert_eq!(code, 1, "{text}");
    let range = &json["plots"][0]["damaged_range"];
    let (lo, hi) = (range[0].as_u64().unwrap(), range[1].as_u64().unwrap());
    assert!(
        lo <= at as u64 && (at as u64) < hi,
        "{range} does not hold {at}"
    );
    let truncated = dir.join("truncated.plot");
    std::fs::write(&truncated, &bytes[..bytes.len() / 3]).unwrap();
    let (code, json, _) = run(masspoc().arg("check").arg(&truncated).arg("--json"));
    assert_eq!(code, 1);
    assert!(json["plots"][0]["error"]
        .as_str()
        .unwrap()
        .contains("truncated"));
    std::fs::write(dir.join("garbage.plot"), b"not a plot at all").unwrap();

    let (code, json, text) = run(masspoc().args(["plots", "list", "--json"]).arg(&dir));
    assert_eq!(code, 0, "{text}");
    let mut statuses: Vec<(String, String)> = json["plots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let name = Path::new(p["path"].as_str().unwrap()).file_name().unwrap();
            (
                name.to_string_lossy().to_string(),
                p["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    statuses.sort();
    let ok: Vec<_> = statuses.iter().filter(|(_, s)| s == "ok").collect();
    assert_eq!(ok.len(), 2, "{statuses:?}"); // the plot and its bit-flipped copy (header intact)
    assert!(statuses.contains(&("truncated.plot".into(), "damaged".into())));
    assert!(statuses.contains(&("garbage.plot".into(), "damaged".into())));
    assert!(statuses
        .iter()
        .any(|(n, s)| n.ends_with(".plot.tmp") && s == "partial"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_missing_plot_directory_is_refused_unless_create() {
    let scratch = common::scratch();
    // An unmounted disk: its plot directory is missing.
    let out = scratch.path().join("unmounted").join("masspoc");
    let (code, _, text) = run(&mut plot_cmd(16, &out));
    assert_ne!(code, 0, "{text}");
    assert!(
        text.contains(&format!("plot directory {} does not exist", out.display()))
            && text.contains("--create"),
        "{text}"
    );
    assert!(
        !scratch.path().join("unmounted").exists(),
        "nothing is created"
    );

    let (code, json, text) = run(plot_cmd(16, &out).arg("--create"));
    assert_eq!(code, 0, "{text}");
    assert_eq!(json["plots"].as_array().unwrap().len(), 1, "{json}");

    // Listing a mounted and an unmounted disk: the plots of the first, the second named, exit 1.
    let gone = scratch.path().join("unmounted-too").join("masspoc");
    let mut list = masspoc();
    list.args(["plots", "list", "--json"]).arg(&out).arg(&gone);
    let (code, json, text) = run(&mut list);
    assert_eq!(code, 1, "{text}");
    assert_eq!(json["plots"].as_array().unwrap().len(), 1, "{json}");
    assert_eq!(
        json["unavailable"][0]["dir"],
        gone.display().to_string(),
        "{json}"
    );
    assert!(text.contains("is its disk mounted?"), "{text}");
}

/// `bench plot` times a whole `masspoc plot` process, reports its CPU time and page faults per
/// phase, and leaves no plot behind.
#[test]
fn bench_plot_times_the_plot_command_and_cleans_up() {
    let dir = tempfile::tempdir().unwrap();
    let dir_s = dir.path().to_str().unwrap();
    let (code, json, stderr) =
        run(masspoc().args(["bench", "plot", "--k", "17", "--dir", dir_s, "--json"]));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(json["timed"], "command", "{json}");
    let f = |v: &Value| v.as_f64().unwrap();
    // The command includes the plotter's own work and more (start, scan, exit).
    assert!(f(&json["wall_s"]) >= f(&json["plot_s"]), "{json}");
    assert!(
        f(&json["plot_s"]) > 0.0 && f(&json["bound_s"]) > 0.0,
        "{json}"
    );
    assert!(f(&json["cpu"]["user_s"]) > 0.0, "{json}");
    // A plot's buffers are fresh memory: the matching phase faults pages in.
    assert!(
        json["phase_cpu"][0]["minor_faults"].as_u64().unwrap() > 100,
        "{json}"
    );
    assert!(json["peak_rss_bytes"].as_u64().unwrap() > 1 << 20, "{json}");
    assert!(json["pairs"].as_u64().unwrap() > 0, "{json}");
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}
