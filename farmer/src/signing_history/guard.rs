//! The only way the farmer signs a header: record first (durably), then sign.

use super::rules::Decision;
use super::store::SigningHistory;
use crate::error::{HistoryError, SigningError};
use crate::keys::FarmerKey;
use ed25519_dalek::{Signature, Signer};
use masspoc_proof::FarmerPublicKey;
use masspoc_verifier::header::signing_message;
use masspoc_verifier::Header;
use std::fmt;
use std::path::Path;

/// A farmer key bound to its signing history.
///
/// [`SigningGuard::sign`] takes the header itself, derives its hash and signing message, checks
/// and records `(chain_id, height, header_hash)` in one durable write transaction and only then
/// computes the signature, so a crash at any point can at worst lose a signature that was never
/// released, never release one that was not recorded. `Send + Sync`: share it behind an `Arc`;
/// calls block on `fsync` (run them off an async runtime).
pub struct SigningGuard {
    key: FarmerKey,
    history: SigningHistory,
    /// Test hook run between the durable record and the signature (crash tests).
    #[cfg(test)]
    pub(crate) after_record: Option<Box<dyn Fn() + Send + Sync>>,
}

impl SigningGuard {
    /// Binds a key to an open history; the history must belong to this key.
    pub fn new(key: FarmerKey, history: SigningHistory) -> Result<Self, HistoryError> {
        if history.farmer_pk() != key.public_key() {
            return Err(HistoryError::WrongKey {
                path: history.path().to_path_buf(),
                expected: key.public_key().to_hex(),
                found: history.farmer_pk().to_hex(),
            });
        }
        Ok(SigningGuard {
            key,
            history,
            #[cfg(test)]
            after_record: None,
        })
    }

    /// Opens (or creates) the history at `history_path` for this key and binds them. Fails if
    /// another process has the history open.
    pub fn open(key: FarmerKey, history_path: &Path) -> Result<Self, HistoryError> {
        let history = SigningHistory::open(history_path, &key.public_key())?;
        Self::new(key, history)
    }

    /// Signs `header` (its signature field is ignored) unless another header was already signed
    /// at its chain and height.
    ///
    /// The hash and the signing message are derived here from the header, by the chain rules'
    /// encoding. The record is committed (fsynced) before the signature is computed. The same
    /// header again is a re-broadcast and gives the same signature; a different one is refused
    /// with [`SigningError::Slashable`]; a header whose proof names another farmer key is refused
    /// with [`SigningError::ForeignKey`] before anything is recorded.
    pub fn sign(&self, header: &Header) -> Result<Signature, SigningError> {
        let key = self.key.public_key();
        if header.farmer() != key {
            return Err(SigningError::ForeignKey {
                header: header.farmer(),
                key,
            });
        }
        let hash = header.hash();
        match self
            .history
            .record(&header.chain_id, header.height, &hash)?
        {
            Decision::Record | Decision::Rebroadcast => {}
            Decision::Refuse { existing } => {
                return Err(SigningError::Slashable {
                    chain_id: header.chain_id,
                    height: header.height,
                    existing,
                    new: hash,
                })
            }
        }
        #[cfg(test)]
        if let Some(hook) = &self.after_record {
            hook();
        }
        Ok(self
            .key
            .signing_key()
            .sign(&signing_message(&header.chain_id, &hash)))
    }

    /// The farmer public key.
    #[must_use]
    pub fn public_key(&self) -> FarmerPublicKey {
        self.key.public_key()
    }

    /// The key (for its VRF secret, say).
    #[must_use]
    pub fn key(&self) -> &FarmerKey {
        &self.key
    }

    /// The history (for export and import).
    #[must_use]
    pub fn history(&self) -> &SigningHistory {
        &self.history
    }
}

impl fmt::Debug for SigningGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningGuard")
            .field("farmer_pk", &self.key.public_key())
            .field("history", &self.history.path())
            .finish_non_exhaustive()
    }
}
