//! Errors of the plotter and the plot reader.

use std::ops::Range;
use std::path::PathBuf;
use thiserror::Error;

/// Why a plot could not be read, or what is wrong with it.
///
/// Every variant that concerns a file names the file; corruption names the byte range.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The file could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// The plot file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The file is shorter than its header says (or than a header).
    #[error("{path}: truncated: {detail} (file is {len} bytes)")]
    Truncated {
        /// The plot file.
        path: PathBuf,
        /// The file's length.
        len: u64,
        /// What was expected.
        detail: String,
    },
    /// The header is not a masspoc plot header, or is inconsistent.
    #[error("{path}: bad header: {detail}")]
    BadHeader {
        /// The plot file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// Bytes do not match their checksum, or hold impossible values.
    #[error("{path}: corrupt bytes {}..{} ({section}): {detail}", range.start, range.end)]
    Corrupt {
        /// The plot file.
        path: PathBuf,
        /// The section the bytes belong to.
        section: &'static str,
        /// The damaged byte range (absolute file offsets).
        range: Range<u64>,
        /// What is wrong.
        detail: String,
    },
    /// A caller passed an argument outside its range (e.g. more than 32 filter bits).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
}

impl ReadError {
    /// The damaged byte range, when the error is about corrupt bytes.
    #[must_use]
    pub fn byte_range(&self) -> Option<Range<u64>> {
        match self {
            ReadError::Corrupt { range, .. } => Some(range.clone()),
            _ => None,
        }
    }
}

/// Why plotting failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum PlotError {
    /// A file operation failed.
    #[error("{path}: {source}")]
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
    /// The checkpoint journal exists but does not belong to this plot or cannot be parsed.
    #[error("{path}: bad journal: {detail}")]
    BadJournal {
        /// The journal file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// The checkpoint journal was written by a plotter with another journal format; the plot is
    /// restarted rather than resumed from files it may lay out differently.
    #[error("{path}: journal format {format}, this plotter writes {current}")]
    OldJournal {
        /// The journal file.
        path: PathBuf,
        /// Its format number.
        format: u64,
        /// The format this plotter reads and writes.
        current: u32,
    },
    /// A superblock holds more entries than its 16-bit group offsets can address.
    #[error("superblock {0} holds more than 65535 entries before its last group")]
    SuperblockOverflow(u64),
    /// Plotting stopped at a test hook (the files are left as a crash would leave them).
    #[error("plotting interrupted at {0} (test hook)")]
    Interrupted(String),
    /// The finished plot does not read back.
    #[error("the finished plot does not read back: {0}")]
    Readback(#[from] ReadError),
    /// The thread pool could not be built.
    #[error("thread pool: {0}")]
    ThreadPool(String),
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
