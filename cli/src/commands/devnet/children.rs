//! Child processes of the devnet (`masspoc bridge run`, `masspoc farm`): started with their logs
//! in files, stopped with SIGINT (their graceful stop), killed if they do not stop in time, and
//! never left running: dropping a [`Child`] stops it.

use anyhow::Context;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A `masspoc` subprocess owned by the devnet.
pub struct Child {
    name: String,
    log: PathBuf,
    child: Option<std::process::Child>,
}

/// How long a child gets to stop after SIGINT before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(15);

impl Child {
    /// Starts this same executable with `args`, stdout and stderr appended to `log`.
    pub fn spawn(name: impl Into<String>, args: &[String], log: &Path) -> anyhow::Result<Child> {
        let name = name.into();
        let exe = std::env::current_exe().context("locating the masspoc executable")?;
        let out = File::options()
            .create(true)
            .append(true)
            .open(log)
            .with_context(|| format!("opening {}", log.display()))?;
        let child = Command::new(exe)
            .args(args)
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()
            .with_context(|| format!("starting the {name}"))?;
        Ok(Child {
            name,
            log: log.to_path_buf(),
            child: Some(child),
        })
    }

    /// A child that was never started (for tests of the code around children).
    #[cfg(test)]
    pub fn none(name: &str) -> Child {
        Child {
            name: name.to_string(),
            log: PathBuf::new(),
            child: None,
        }
    }

    /// Fails with the log's last lines if the child has exited.
    pub fn check_alive(&mut self) -> anyhow::Result<()> {
        if let Some(c) = self.child.as_mut() {
            if let Some(status) = c.try_wait()? {
                self.child = None;
                anyhow::bail!(
                    "{} exited early with {status}; last lines of {}:\n{}",
                    self.name,
                    self.log.display(),
                    log_tail(&self.log, 15)
                );
            }
        }
        Ok(())
    }

    /// SIGINT, then wait up to [`STOP_GRACE`], then SIGKILL. Returns whether it stopped cleanly.
    pub fn stop(&mut self) -> bool {
        let Some(mut c) = self.child.take() else {
            return true;
        };
        if let Ok(Some(_)) = c.try_wait() {
            return true;
        }
        let pid = libc::pid_t::try_from(c.id()).unwrap_or(0);
        if pid > 0 {
            // SAFETY: kill(2) on our own child's pid, which has not been reaped yet.
            unsafe { libc::kill(pid, libc::SIGINT) };
        }
        let deadline = Instant::now() + STOP_GRACE;
        while Instant::now() < deadline {
            match c.try_wait() {
                Ok(Some(status)) => return status.success(),
                Ok(None) => std::thread::sleep(Duration::from_millis(50)),
                Err(_) => break,
            }
        }
        tracing::warn!(child = %self.name, "did not stop after SIGINT; killing it");
        let _ = c.kill();
        let _ = c.wait();
        false
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The last `n` lines of a log file (empty if unreadable).
pub fn log_tail(path: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Runs this executable to completion (stdout captured, stderr to the terminal or a log).
pub fn run_to_end(args: &[String], quiet_log: Option<&Path>) -> anyhow::Result<String> {
    let exe = std::env::current_exe().context("locating the masspoc executable")?;
    let mut cmd = Command::new(exe);
    cmd.args(args).stdin(Stdio::null());
    if let Some(log) = quiet_log {
        cmd.stderr(File::options().create(true).append(true).open(log)?);
    }
    let out = cmd
        .output()
        .with_context(|| format!("running masspoc {}", args.join(" ")))?;
    if !out.status.success() {
        anyhow::bail!(
            "masspoc {} failed ({}): {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stdout)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}
