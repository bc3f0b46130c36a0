//! Errors of the farmer's identity and safety parts: key files, the signing history and signing.
//!
//! No variant ever carries secret material: key-file parse errors keep only a line and column, and
//! a wrong passphrase is reported as such, with nothing of the ciphertext.

use std::path::PathBuf;
use thiserror::Error;

/// Why a key file could not be created, read or decrypted.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The file could not be read, created or written.
    #[error("key file {path}")]
    Io {
        /// The key file.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// `save` refuses to replace an existing file.
    #[error("key file {path} already exists; refusing to overwrite it")]
    AlreadyExists {
        /// The key file.
        path: PathBuf,
    },
    /// The file holds a secret but can be read by group or others.
    #[error(
        "key file {path} is readable by group or others (mode {mode:04o}); \
         run `chmod 600 {path}` and check who may have copied it"
    )]
    InsecurePermissions {
        /// The key file.
        path: PathBuf,
        /// The file's permission bits.
        mode: u32,
    },
    /// The file is not valid JSON of the expected shape (position only: the text may hold secrets).
    #[error(
        "key file {path} is not a masspoc key file (bad JSON at line {line}, column {column})"
    )]
    NotJson {
        /// The key file.
        path: PathBuf,
        /// Line of the first error.
        line: usize,
        /// Column of the first error.
        column: usize,
    },
    /// The `format` field is not `masspoc-farmer-key`.
    #[error("key file {path} is not a masspoc farmer key file")]
    WrongFormat {
        /// The key file.
        path: PathBuf,
    },
    /// The file's format version is not one this build reads.
    #[error("key file {path} has format version {version}; this build reads version 1")]
    UnsupportedVersion {
        /// The key file.
        path: PathBuf,
        /// The version found.
        version: u32,
    },
    /// A field has the wrong length or is not hex.
    #[error("key file {path}: field `{field}` is malformed")]
    Malformed {
        /// The key file.
        path: PathBuf,
        /// The offending field.
        field: &'static str,
    },
    /// The clear public key is not a valid ed25519 public key.
    #[error("key file {path}: farmer_pk is not a valid ed25519 public key")]
    InvalidPublicKey {
        /// The key file.
        path: PathBuf,
    },
    /// The seed does not give the public key written beside it (altered or corrupt file).
    #[error("key file {path}: the secret does not match the public key written in the file")]
    PublicKeyMismatch {
        /// The key file.
        path: PathBuf,
    },
    /// The key is encrypted and no passphrase was given.
    #[error("key file {path} is encrypted; a passphrase is required")]
    PassphraseRequired {
        /// The key file.
        path: PathBuf,
    },
    /// Decryption failed: wrong passphrase, or the file was altered.
    #[error("key file {path}: wrong passphrase (or the encrypted key was altered)")]
    WrongPassphrase {
        /// The key file.
        path: PathBuf,
    },
    /// The scrypt parameters are out of the accepted range.
    #[error("key file {path}: scrypt parameters out of range (log_n {log_n}, r {r}, p {p})")]
    BadKdfParams {
        /// The key file.
        path: PathBuf,
        /// log2 of the scrypt cost N.
        log_n: u8,
        /// scrypt block size.
        r: u32,
        /// scrypt parallelism.
        p: u32,
    },
    /// The operating system's random generator failed.
    #[error("random number generator failed: {0}")]
    Random(String),
}

/// Why the signing history could not be opened, read, written, exported or imported.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum HistoryError {
    /// Another process (or another handle in this one) has the history open.
    #[error(
        "signing history {path} is already open in another process; \
         two farmers on one key could sign conflicting headers, so this one refuses to run"
    )]
    AlreadyOpen {
        /// The history file.
        path: PathBuf,
    },
    /// The history belongs to another farmer key.
    #[error("signing history {path} belongs to farmer key {found}, not {expected}")]
    WrongKey {
        /// The history file.
        path: PathBuf,
        /// The key the caller holds.
        expected: String,
        /// The key recorded in the history.
        found: String,
    },
    /// The history file can be read by group or others.
    #[error("signing history {path} is readable by group or others (mode {mode:04o}); run `chmod 600 {path}`")]
    InsecurePermissions {
        /// The history file.
        path: PathBuf,
        /// The file's permission bits.
        mode: u32,
    },
    /// A file-system error outside the store.
    #[error("signing history {path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The embedded store failed.
    #[error("signing history store")]
    Store(#[source] Box<redb::Error>),
    /// A stored record has the wrong size (a corrupt or foreign file).
    #[error("signing history holds a malformed record")]
    CorruptRecord,
    /// The interchange document is not valid JSON of the documented shape.
    #[error("interchange file is not valid")]
    Interchange(#[source] serde_json::Error),
    /// The interchange document names another format or version.
    #[error(
        "interchange format {format:?} version {version} is not masspoc-signing-history version 1"
    )]
    InterchangeFormat {
        /// The format name found.
        format: String,
        /// The version found.
        version: u32,
    },
    /// The interchange document is for another farmer key.
    #[error("interchange file is for farmer key {found}, this history is for {expected}")]
    InterchangeWrongKey {
        /// The history's key.
        expected: String,
        /// The document's key.
        found: String,
    },
}

macro_rules! from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for HistoryError {
            fn from(e: $t) -> Self {
                HistoryError::Store(Box::new(e.into()))
            }
        }
    )*};
}

from_redb!(
    redb::Error,
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

/// Why a signature was not produced.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SigningError {
    /// Signing would equivocate: another header was already signed at this chain and height.
    #[error(
        "refusing to sign: header {new} at height {height} of chain {chain_id} conflicts with \
         header {existing} already signed there"
    )]
    Slashable {
        /// The chain.
        chain_id: masspoc_verifier::ChainId,
        /// The height.
        height: masspoc_verifier::Height,
        /// The header already signed there.
        existing: masspoc_verifier::HeaderHash,
        /// The header asked for.
        new: masspoc_verifier::HeaderHash,
    },
    /// The header's proof is for another farmer key: its signature could never be valid.
    #[error(
        "refusing to sign: the header's proof is for farmer key {header}, this signer holds {key}"
    )]
    ForeignKey {
        /// The key the header's proof names.
        header: masspoc_proof::FarmerPublicKey,
        /// The signer's key.
        key: masspoc_proof::FarmerPublicKey,
    },
    /// The history could not record the request, so nothing was signed.
    #[error("could not record the signature in the signing history")]
    History(#[from] HistoryError),
}

/// A passphrase file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PassphraseFileError {
    /// It cannot be read.
    #[error("cannot read passphrase file {path}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Group or others may read or write it.
    #[error(
        "passphrase file {path} has mode {mode:04o}: anyone but its owner must be kept out \
         (chmod 600 {path})"
    )]
    Insecure {
        /// The file.
        path: std::path::PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// Not UTF-8 text.
    #[error("passphrase file {path} is not UTF-8 text")]
    NotUtf8 {
        /// The file.
        path: std::path::PathBuf,
    },
    /// Its first line is empty.
    #[error("passphrase file {path}: the passphrase (its first line) is empty")]
    Empty {
        /// The file.
        path: std::path::PathBuf,
    },
}
