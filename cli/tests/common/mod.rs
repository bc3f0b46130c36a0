//! Shared by the cli integration tests: run the real `masspoc` binary and read what it printed,
//! scratch directories, and the node arguments of a real regtest litecoind.

pub mod harvesters;
pub mod local_chain;
pub mod proxy;

use masspoc_node_bridge::regtest::{RegtestNode, WALLET};
use serde_json::Value;
use std::process::{Command, ExitStatus};

/// The `masspoc` binary, with the environment variables that would change its defaults removed
/// (log filter, node and data-directory settings), so a test sees what a fresh shell sees.
pub fn masspoc() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_masspoc"));
    for var in [
        "RUST_LOG",
        "MASSPOC_LOG",
        "MASSPOC_RPC_URL",
        "MASSPOC_RPC_COOKIE",
        "MASSPOC_RPC_USER",
        "MASSPOC_RPC_PASSWORD",
        "MASSPOC_RPC_WALLET",
        "MASSPOC_BRIDGE_DATA",
    ] {
        c.env_remove(var);
    }
    c
}

/// `masspoc ARGS…`.
pub fn masspoc_with<S: AsRef<std::ffi::OsStr>>(args: impl IntoIterator<Item = S>) -> Command {
    let mut c = masspoc();
    c.args(args);
    c
}

/// What a finished run left: its exit status and both streams.
#[derive(Debug)]
pub struct Ran {
    /// The command line, for messages.
    pub command: String,
    /// The exit status.
    pub status: ExitStatus,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Ran {
    /// The exit code (-1 when killed by a signal).
    pub fn code(&self) -> i32 {
        self.status.code().unwrap_or(-1)
    }

    /// Asserts the run succeeded, else panics with the command and both streams.
    #[track_caller]
    pub fn ok(self) -> Self {
        assert!(self.status.success(), "{}", self.report("failed"));
        self
    }

    /// Asserts the run exited with `code`, else panics with the command and both streams.
    #[track_caller]
    pub fn code_is(self, code: i32) -> Self {
        assert_eq!(self.code(), code, "{}", self.report("wrong exit code"));
        self
    }

    /// Standard output as JSON; panics with both streams when it is not JSON.
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("{}", self.report(&format!("stdout is not JSON ({e})"))))
    }

    /// Standard output as JSON, or `Null` when it is not JSON.
    pub fn json_or_null(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or(Value::Null)
    }

    /// (exit code, stdout as JSON or `Null`, both streams): the shape most assertions want.
    pub fn parts(&self) -> (i32, Value, String) {
        (self.code(), self.json_or_null(), self.both())
    }

    /// Both streams, stdout first.
    pub fn both(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }

    fn report(&self, what: &str) -> String {
        format!(
            "{} {what} ({}):\n--- stdout\n{}\n--- stderr\n{}",
            self.command, self.status, self.stdout, self.stderr
        )
    }
}

/// Running a command to its end.
pub trait Run {
    /// Runs to the end and collects both streams (stdin closed).
    fn run(&mut self) -> Ran;
    /// Runs, asserting success.
    #[track_caller]
    fn ok(&mut self) -> Ran {
        self.run().ok()
    }
}

impl Run for Command {
    fn run(&mut self) -> Ran {
        let command = format!("{self:?}");
        let out = self
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {command}: {e}"));
        Ran {
            command,
            status: out.status,
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// A fresh scratch directory, removed when dropped.
pub fn scratch() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary directory")
}

/// The arguments that point a command at `node`: RPC URL, cookie and the funded wallet.
pub fn node_args(node: &RegtestNode) -> Vec<String> {
    vec![
        "--rpc-url".into(),
        node.url(),
        "--rpc-cookie".into(),
        node.cookie_path().display().to_string(),
        "--wallet".into(),
        WALLET.into(),
    ]
}

/// The status page URL (without the trailing `/`) a `masspoc farm` with `status_listen` logged
/// in `log`, once it has: its "serving the status page url=…" line.
pub fn status_url_in_log(log: &std::path::Path) -> Option<String> {
    const LINE: &str = "serving the status page url=";
    let text = std::fs::read_to_string(log).ok()?;
    let at = text.find(LINE)? + LINE.len();
    Some(
        text[at..]
            .split_whitespace()
            .next()?
            .trim_end_matches('/')
            .to_string(),
    )
}

/// The last `n` lines of `text` (what a failing assertion shows of a process's log).
pub fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// The log file at `path`, decoded lossily (a log is never refused; a missing one reads empty).
pub fn log_text(path: &std::path::Path) -> String {
    String::from_utf8_lossy(&std::fs::read(path).unwrap_or_default()).into_owned()
}

/// The last `n` lines of the log file at `path`.
pub fn log_tail(path: &std::path::Path, n: usize) -> String {
    tail(&log_text(path), n)
}
