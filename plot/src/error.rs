//! Errors of the plot reader, the header decoder and the checkpoint journal.
//!
//! Policy (rust-bitcoin's): an error either prints its cause or returns it from `source()`, never
//! both. Causes that are errors of their own (the operating system's, a header's, a proof's) are
//! returned from `source()`; show an error with its chain (`{:#}` under anyhow, or
//! `masspoc_report::Report`).

use crate::format::Section;
use masspoc_proof::ProofError;
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
    #[error("cannot read {}", path.display())]
    Io {
        /// The plot file.
        path: PathBuf,
        /// The operating system's error (or the guarded map's [`crate::MapPoisoned`]).
        #[source]
        source: std::io::Error,
    },
    /// The file is shorter than its header says (or than a header).
    #[error("{}: truncated: the file is {len} bytes, {expected} expected", path.display())]
    Truncated {
        /// The plot file.
        path: PathBuf,
        /// The file's length.
        len: u64,
        /// The length a plot needs: the header's 256 bytes, or what the header describes.
        expected: u64,
    },
    /// The header is not a masspoc plot header, or is inconsistent.
    #[error("{}: bad header", path.display())]
    BadHeader {
        /// The plot file.
        path: PathBuf,
        /// What is wrong.
        #[source]
        source: HeaderError,
    },
    /// Bytes do not match their checksum, or hold impossible values.
    #[error("{}: corrupt bytes {}..{} ({}): {what}", path.display(), range.start, range.end, section.name())]
    Corrupt {
        /// The plot file.
        path: PathBuf,
        /// The section the bytes belong to.
        section: Section,
        /// The damaged byte range (absolute file offsets).
        range: Range<u64>,
        /// What is wrong.
        what: Corruption,
    },
    /// A lookup index outside the plot's `[0, 2^k)`.
    #[error("lookup index {z} is not below 2^{k}")]
    IndexOutOfRange {
        /// The index asked for.
        z: u64,
        /// The plot's k.
        k: u8,
    },
    /// A challenge parameter the plot cannot answer (probe bits not below its k).
    #[error("the plot cannot answer this challenge")]
    Parameter(#[source] ProofError),
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

/// What is wrong with corrupt bytes of a plot.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Corruption {
    /// An offset read from a table points past its section.
    #[error("offset points past its section")]
    PastSection,
    /// Two superblock offsets are out of order (or past the entry section).
    #[error("superblock offsets out of order")]
    SuperblockOrder,
    /// Two group offsets are out of order (or past their superblock).
    #[error("group offsets out of order")]
    GroupOrder,
    /// A stored pair's F value is not the index it is stored at.
    #[error("stored pair ({x}, {x_prime}) does not map to z = {z}")]
    WrongIndex {
        /// First member.
        x: u64,
        /// Second member.
        x_prime: u64,
        /// The index it is stored at.
        z: u64,
    },
    /// A stored pair is not a valid proof for the challenge it was read for.
    #[error("stored pair ({x}, {x_prime}) is not a valid proof: {reason}")]
    InvalidProof {
        /// First member.
        x: u64,
        /// Second member.
        x_prime: u64,
        /// Why the proof is refused.
        reason: ProofError,
    },
    /// The checksum table does not match its hash in the header.
    #[error("checksum table does not match its hash in the header")]
    ChecksumTable,
    /// A chunk does not match its checksum.
    #[error("checksum mismatch (checksum at {}..{})", at.start, at.end)]
    Checksum {
        /// Where the chunk's checksum is stored (absolute file offsets).
        at: Range<u64>,
    },
}

/// Why a plot header was refused (`docs/plot-format.md`, "Header").
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum HeaderError {
    /// Fewer than 256 bytes.
    #[error("header is {0} bytes, expected 256")]
    Short(usize),
    /// Not a masspoc plot.
    #[error("not a masspoc plot (bad magic)")]
    Magic,
    /// Another format version.
    #[error("format version {0}, this build reads {v}", v = crate::format::VERSION)]
    Version(u32),
    /// The header checksum does not match.
    #[error("header checksum mismatch (bytes 0..256)")]
    Checksum,
    /// k outside `[16, 40]`.
    #[error("k = {0} is outside the allowed range [16, 40]")]
    K(u8),
    /// A group, superblock or chunk size this build does not read.
    #[error("unsupported group, superblock or chunk size")]
    Geometry,
    /// The plot id is not the one derived from the key, k and seed.
    #[error("plot id does not match farmer key, k and seed")]
    PlotId,
    /// The section table is not the layout of this k.
    #[error("section table does not match the layout of this k")]
    SectionTable,
    /// The entry section's length does not fit the pair count.
    #[error("entry section of {entries_len} bytes cannot hold {pair_count} entries")]
    EntryLength {
        /// The entry section's length.
        entries_len: u64,
        /// The header's pair count.
        pair_count: u64,
    },
    /// The reserved bytes are not zero.
    #[error("reserved header bytes 216..224 are not zero")]
    Reserved,
    /// The file is longer than the header describes.
    #[error("the file is {len} bytes but the header describes {expected}")]
    FileLength {
        /// The file's length.
        len: u64,
        /// What the header describes.
        expected: u64,
    },
}

/// Why a checkpoint journal could not be read or written.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum JournalError {
    /// A file operation on the journal failed.
    #[error("journal {}", path.display())]
    Io {
        /// The journal file (or its temporary twin, or its directory).
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The journal is not valid JSON of this format.
    #[error("{}: bad journal", path.display())]
    Parse {
        /// The journal file.
        path: PathBuf,
        /// What the JSON parser said.
        #[source]
        source: serde_json::Error,
    },
    /// The journal has no format number.
    #[error("{}: bad journal: no format number", path.display())]
    NoFormat {
        /// The journal file.
        path: PathBuf,
    },
    /// The journal was written by a plotter with another journal format; the plot is restarted
    /// rather than resumed from files it may lay out differently.
    #[error("{}: journal format {format}, this plotter writes {current}", path.display())]
    OldFormat {
        /// The journal file.
        path: PathBuf,
        /// Its format number.
        format: u64,
        /// The format this plotter reads and writes.
        current: u32,
    },
}
