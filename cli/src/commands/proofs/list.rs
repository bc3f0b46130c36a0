//! `masspoc plots list DIR...`: the plots and unfinished plots found.

use crate::output::print_json;
use anyhow::Context;
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
        for d in &self.dirs {
            all.extend(scan_dir(d).with_context(|| format!("reading {}", d.display()))?);
        }
        if self.json {
            print_json(&serde_json::json!({ "plots": all }))?;
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
        Ok(ExitCode::SUCCESS)
    }
}
