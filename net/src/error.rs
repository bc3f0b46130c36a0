//! The network's errors.

use thiserror::Error;

/// Why the network could not start or a command failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum NetError {
    /// Reading or writing the peer identity file failed.
    #[error("peer identity {path}: {source}")]
    IdentityIo {
        /// The file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The identity file does not hold a key.
    #[error("peer identity {path}: not an ed25519 key file ({reason})")]
    IdentityFormat {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// Building the transport or behaviour failed.
    #[error("building the swarm: {0}")]
    Build(String),
    /// A listen address could not be bound.
    #[error("cannot listen on {addr}: {reason}")]
    Listen {
        /// The address.
        addr: String,
        /// Why.
        reason: String,
    },
    /// The network task has stopped.
    #[error("the network task has stopped")]
    Stopped,
}
