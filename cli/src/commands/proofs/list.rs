//! `masspoc plots list DIR...`: the plots and unfinished plots found. A directory that cannot be
//! read is reported (stderr, and `unavailable` in `--json`) and the others are still listed;
//! the exit status is then 1.

use crate::output::print_json;
use masspoc_plot::scan::{scan_dir, PlotListing, PlotStatus};
use std::path::PathBuf;
use std::process::ExitCode;

/// `masspoc plots list`.
#[derive(clap::Args)]
pub struct Args {
    /// Plot directories.
    #[arg(required = true)]
    dirs: Vec<PathBuf>,
    /// Print `{"plots": [...]}`.
    #[arg(long)]
    json: bool,
}

impl Args {
    /// Runs the command.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let mut all: Vec<PlotListing> = Vec::new();
        let mut unavailable = Vec::new();
        for d in &self.dirs {
            match scan_dir(d) {
                Ok(listing) => all.extend(listing),
                // One unmounted disk must not hide the others: say it, list the rest, exit 1.
                Err(e) => {
                    eprintln!(
                        "{}: unavailable ({}); is its disk mounted?",
                        d.display(),
                        masspoc_report::Report(&e)
                    );
                    unavailable.push(serde_json::json!({"dir": d, "error": e.to_string()}));
                }
            }
        }
        let code = if unavailable.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        };
        if self.json {
            print_json(&serde_json::json!({ "plots": all, "unavailable": unavailable }))?;
        } else {
            println!(
                "{:<8} {:>3} {:>14}  {:<64}  path",
                "status", "k", "bytes", "plot_id"
            );
            for p in &all {
                let status = match p.status {
                    PlotStatus::Ok => "ok",
                    PlotStatus::Partial => "partial",
                    PlotStatus::Damaged => "damaged",
                };
                println!(
                    "{:<8} {:>3} {:>14}  {:<64}  {}{}",
                    status,
                    p.k.map_or("-".into(), |k| k.to_string()),
                    p.bytes,
                    p.plot_id.map_or("-".into(), |i| i.to_hex()),
                    p.path.display(),
                    p.detail
                        .as_ref()
                        .map_or(String::new(), |d| format!("  ({d})"))
                );
            }
        }
        Ok(code)
    }
}
