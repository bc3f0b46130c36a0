//! Errors of the plotter.
//!
//! Policy (rust-bitcoin's, as in the plot crate): an error either prints its cause or returns it
//! from `source()`, never both.

use crate::plotter::StopAt;
use masspoc_plot::{JournalError, ReadError};
use std::path::PathBuf;
use thiserror::Error;

/// Why plotting failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum PlotError {
    /// A file operation failed.
    #[error("i/o error on {}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A parameter is not supported.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// The checkpoint journal could not be read or written.
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// A superblock holds more entries than its 16-bit group offsets can address.
    #[error("superblock {0} holds more than 65535 entries before its last group")]
    SuperblockOverflow(u64),
    /// Plotting stopped at a test hook (the files are left as a crash would leave them).
    #[error("plotting interrupted at {0} (test hook)")]
    Interrupted(StopAt),
    /// The background thread that fsyncs run files stopped before it confirmed every file.
    #[error("the run-file fsync thread stopped")]
    SyncThread,
    /// The finished plot does not read back.
    #[error("the finished plot does not read back")]
    Readback(#[from] ReadError),
    /// The thread pool could not be built.
    #[error("cannot build the plotting thread pool")]
    ThreadPool(#[from] rayon::ThreadPoolBuildError),
}

/// Attaches a path to an I/O result.
pub(crate) trait IoContext<T> {
    /// Maps the error into [`PlotError::Io`] with `path`.
    fn at(self, path: &std::path::Path) -> Result<T, PlotError>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn at(self, path: &std::path::Path) -> Result<T, PlotError> {
        self.map_err(|source| PlotError::Io {
            path: path.to_path_buf(),
            source,
        })
    }
}
