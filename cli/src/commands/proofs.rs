//! Plots and capacity proofs: `plot`, `prove`, `verify`, `check`, `plots list`.
//!
//! Exit codes: 0 ok, 1 a negative answer (invalid proof, damaged plot), 2 usage or I/O error.

mod check;
mod list;
mod plot;
pub(crate) mod progress;
mod prove;
mod verify;

use clap::Subcommand;
use std::process::ExitCode;

/// Plot and proof commands.
#[derive(Subcommand)]
pub enum Command {
    /// Write complete plots into a directory (resumes unfinished ones first).
    Plot(plot::Args),
    /// Print every proof a plot holds for a challenge, with quality and score.
    Prove(prove::Args),
    /// Verify one encoded proof against a challenge (exit 0 valid, 1 invalid with the reason).
    Verify(verify::Args),
    /// Check plots: header, checksums, sampled challenges and lookup latency (`--full` scrubs).
    Check(check::Args),
    /// Plot directories.
    #[command(subcommand)]
    Plots(PlotsCommand),
}

/// `masspoc plots …`.
#[derive(Subcommand)]
pub enum PlotsCommand {
    /// List the plots and unfinished plots found in directories.
    List(list::Args),
}

impl Command {
    /// Runs the command.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            Command::Plot(a) => a.run(),
            Command::Prove(a) => a.run(),
            Command::Verify(a) => a.run(),
            Command::Check(a) => a.run(),
            Command::Plots(PlotsCommand::List(a)) => a.run(),
        }
    }
}

/// Parses a byte size: a plain number of bytes, or a number with K, M, G, T (powers of 1024,
/// optionally written KiB, MiB, GiB, TiB or KB, MB, GB, TB).
pub(crate) fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num.parse().map_err(|_| format!("bad size {s:?}"))?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        other => return Err(format!("unknown size unit {other:?} in {s:?}")),
    };
    n.checked_mul(1u64 << shift)
        .ok_or_else(|| format!("size {s:?} is too large"))
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert!(parse_size("1.5G").is_err());
        assert!(parse_size("3 parsecs").is_err());
    }
}
