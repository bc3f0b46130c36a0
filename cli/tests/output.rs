//! What the command line prints around its work: a closed stdout ends a command quietly, an
//! error line names each cause once, and a plot that is already complete says so.

use crate::common;

use common::{masspoc_with, Run};
use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;

/// Runs `args` with stdout a pipe whose reading end is already closed (`… | head -0`).
fn into_closed_pipe(args: &[&str]) -> (std::process::ExitStatus, String) {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = masspoc_with(args)
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    (
        out.status,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_closed_stdout_ends_a_command_quietly() {
    let dir = common::scratch();
    let plots = dir.path().join("plots");
    let pk = "22".repeat(32);
    let seed = "33".repeat(32);
    let plot = [
        "plot",
        "--farmer-pk",
        &pk,
        "--k",
        "16",
        "--seed",
        &seed,
        "--out",
    ];
    masspoc_with(plot).arg(&plots).arg("--create").ok();
    let plots = plots.display().to_string();
    for args in [
        vec!["plots", "list", &plots],
        vec!["plots", "list", &plots, "--json"],
        vec!["confirmations", "--q", "0.1", "--max-risk", "0.001"],
    ] {
        let (status, stderr) = into_closed_pipe(&args);
        assert!(
            status.success() || status.signal() == Some(libc::SIGPIPE),
            "{args:?}: {status}, stderr:\n{stderr}"
        );
        assert!(
            !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
            "{args:?}: {stderr}"
        );
    }
}

#[test]
fn an_error_line_names_each_cause_once() {
    let dir = common::scratch();
    let missing = dir.path().join("missing.toml");
    let ran = masspoc_with(["farm", "--config"]).arg(&missing).run();
    assert_eq!(ran.code(), 2, "{}", ran.both());
    let cause = std::io::Error::from_raw_os_error(libc::ENOENT).to_string();
    assert_eq!(ran.stderr.matches(&cause).count(), 1, "{}", ran.stderr);
    assert!(
        ran.stderr.contains(&missing.display().to_string()),
        "{}",
        ran.stderr
    );
}

#[test]
fn replotting_a_complete_seed_plot_says_it_was_complete() {
    let dir = common::scratch();
    let pk = "44".repeat(32);
    let seed = "55".repeat(32);
    let plot = [
        "plot",
        "--farmer-pk",
        &pk,
        "--k",
        "16",
        "--seed",
        &seed,
        "--out",
    ];
    let first = masspoc_with(plot).arg(dir.path()).ok();
    assert!(!first.stdout.contains("(resumed)"), "{}", first.stdout);
    let again = masspoc_with(plot).arg(dir.path()).ok();
    assert!(!again.stdout.contains("(resumed)"), "{}", again.stdout);
    assert!(
        again.stdout.contains("(already complete)"),
        "{}",
        again.stdout
    );
    let json = masspoc_with(plot).arg(dir.path()).arg("--json").ok().json();
    assert_eq!(json["plots"][0]["already_complete"], true, "{json}");
    assert_eq!(json["plots"][0]["resumed"], false, "{json}");
}
