//! The plot crate's memory-mapped [`PlotReader`] as a farmer plot, and the opener that refuses plots
//! of another farmer key. The map is guarded: a plot truncated in place or a failing disk makes
//! its lookups fail with the plot's path (the plot is then [`PlotLookup::is_broken`]) instead of
//! ending the process.

use super::source::{FoundProof, OpenError, PlotInfo, PlotLookup, PlotOpener, ReadError};
use masspoc_plot::format::PLOT_EXT;
use masspoc_plot::{read_candidates, PlotReader, READS_PER_LOOKUP};
use masspoc_proof::{Challenge, FarmerPublicKey, FilterBits, ProbeBits};
use std::path::Path;
use std::sync::Arc;

impl PlotLookup for PlotReader {
    fn info(&self) -> PlotInfo {
        let h = self.header();
        PlotInfo {
            plot_id: h.plot_id,
            k: h.k,
            farmer_pk: h.farmer_pk,
        }
    }

    fn prove(
        &self,
        challenge: &Challenge,
        filter_bits: FilterBits,
        probe_bits: ProbeBits,
    ) -> Result<Option<Vec<FoundProof>>, ReadError> {
        read_candidates(self, self.identity(), challenge, filter_bits, probe_bits)
    }

    fn reads_per_lookup(&self) -> u32 {
        READS_PER_LOOKUP
    }

    fn is_broken(&self) -> bool {
        self.is_poisoned()
    }
}

/// Opens `*.plot` files with [`PlotReader::open`] (header, checksum and length validated; the
/// file is memory-mapped and its descriptor closed).
#[derive(Debug, Clone)]
pub struct ReaderOpener {
    /// The farmer key plots must belong to; `None` accepts any key (benchmarks).
    pub farmer_pk: Option<FarmerPublicKey>,
}

/// Refuses a plot made for another farmer key (its proofs could not be signed).
pub(crate) fn check_owner(
    expected: Option<FarmerPublicKey>,
    got: FarmerPublicKey,
) -> Result<(), OpenError> {
    match expected {
        Some(expected) if expected != got => Err(OpenError::OtherFarmer { got, expected }),
        _ => Ok(()),
    }
}

impl PlotOpener for ReaderOpener {
    fn open(&self, path: &Path) -> Result<Arc<dyn PlotLookup>, OpenError> {
        let reader = PlotReader::open(path)?;
        check_owner(self.farmer_pk, reader.header().farmer_pk)?;
        Ok(Arc::new(reader))
    }

    fn is_plot_name(&self, file_name: &str) -> bool {
        is_plot_file_name(file_name)
    }
}

/// Whether a file name is a finished plot's (`*.plot`, not a hidden file; temporary, journal and
/// run files of an unfinished plot end otherwise).
#[must_use]
pub fn is_plot_file_name(file_name: &str) -> bool {
    !file_name.starts_with('.')
        && file_name
            .strip_suffix(PLOT_EXT)
            .is_some_and(|stem| stem.ends_with('.') && stem.len() > 1)
}
