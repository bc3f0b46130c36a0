//! Finding plots and unfinished plots in directories (`masspoc plots list`, stale temp files).

use crate::format::PLOT_EXT;
use crate::journal::Journal;
use crate::reader::PlotReader;
use masspoc_proof::{FarmerPublicKey, PlotId};
use masspoc_report::Report;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// The state of a file found in a plot directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PlotStatus {
    /// A complete plot whose header and checksum table verify.
    Ok,
    /// An unfinished plot (a `.tmp` file with or without its journal).
    Partial,
    /// A `.plot` file that does not open or whose checksum table is damaged.
    Damaged,
}

/// One file found by [`scan_dir`].
#[derive(Debug, Clone, Serialize)]
pub struct PlotListing {
    /// Plot id, when known.
    pub plot_id: Option<PlotId>,
    /// The file.
    pub path: PathBuf,
    /// Plot size parameter, when known.
    pub k: Option<u8>,
    /// File size.
    pub bytes: u64,
    /// The farmer key, when known.
    pub farmer_pk: Option<FarmerPublicKey>,
    /// Its state.
    pub status: PlotStatus,
    /// What is wrong, for damaged and partial files.
    pub detail: Option<String>,
}

/// Lists the plots (`*.plot`) and unfinished plots (`*.plot.tmp`) of a directory, sorted by path.
pub fn scan_dir(dir: &Path) -> std::io::Result<Vec<PlotListing>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    paths.sort();
    let mut out = Vec::new();
    for path in paths {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let bytes = std::fs::metadata(&path).map_or(0, |m| m.len());
        if name.ends_with(&format!(".{PLOT_EXT}")) {
            out.push(listing_of_plot(&path, bytes));
        } else if name.ends_with(&format!(".{PLOT_EXT}.tmp")) {
            let journal = path.with_extension("journal");
            let j = Journal::load_identity(&journal);
            out.push(PlotListing {
                plot_id: j.as_ref().map(|j| j.plot_id),
                path,
                k: j.as_ref().map(|j| j.k),
                bytes,
                farmer_pk: j.as_ref().map(|j| j.farmer_pk),
                status: PlotStatus::Partial,
                detail: Some(match &j {
                    Some(j) if j.format != crate::journal::JOURNAL_FORMAT => format!(
                        "unfinished by another plotter version (journal format {}); rerun the \
                         plot command to restart it",
                        j.format
                    ),
                    Some(j) => format!(
                        "unfinished: {} rounds and {} superblocks done; rerun the plot command to resume",
                        j.rounds_done, j.superblocks_done
                    ),
                    None => "unfinished, without a journal (stale: delete it)".into(),
                }),
            });
        }
    }
    Ok(out)
}

fn listing_of_plot(path: &Path, bytes: u64) -> PlotListing {
    let mut l = PlotListing {
        plot_id: None,
        path: path.to_path_buf(),
        k: None,
        bytes,
        farmer_pk: None,
        status: PlotStatus::Damaged,
        detail: None,
    };
    match PlotReader::open(path) {
        Ok(r) => {
            let h = r.header();
            l.plot_id = Some(h.plot_id);
            l.k = Some(h.k.get());
            l.farmer_pk = Some(h.farmer_pk);
            match r.checksum_table() {
                Ok(_) => l.status = PlotStatus::Ok,
                Err(e) => l.detail = Some(Report(&e).to_string()),
            }
        }
        Err(e) => l.detail = Some(Report(&e).to_string()),
    }
    l
}

/// Unfinished plots in `dir` (their journals), for resuming or reporting as stale.
pub fn unfinished(dir: &Path) -> Vec<(PathBuf, Option<Journal>)> {
    scan_dir(dir)
        .unwrap_or_default()
        .into_iter()
        .filter(|l| l.status == PlotStatus::Partial)
        .map(|l| {
            let j = Journal::load_identity(&l.path.with_extension("journal"));
            (l.path, j)
        })
        .collect()
}
