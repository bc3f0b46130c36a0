//! The farmer's identity as the farming loop uses it: the public key plots must carry, the VRF key,
//! and a signer that records every header in the signing history before it signs.

use crate::error::SigningError;
use crate::keys::FarmerKey;
use crate::signing_history::SigningGuard;
use masspoc_proof::vrf::VrfSecretKey;
use masspoc_proof::FarmerPublicKey;
use masspoc_verifier::Header;
use std::sync::Arc;

/// Why a header was not signed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignRefusal {
    /// Another header was already signed at this chain and height (signing would be slashable).
    #[error("slashable: {0}")]
    Slashable(String),
    /// The signing history could not record the header, so nothing was signed.
    #[error("signing history failed: {0}")]
    Failed(String),
}

/// Signs headers, never two different headers at one chain and height.
///
/// Implementations derive the hash and the signing message from the header themselves, and
/// record `(chain, height, hash)` durably before releasing a signature; the call may block on
/// disk (the farming loop calls it on the blocking pool).
pub trait HeaderSigner: Send + Sync + 'static {
    /// The signature of `header` (whose own signature field is ignored).
    fn sign_header(&self, header: &Header) -> Result<[u8; 64], SignRefusal>;
}

/// What a farmer signs and proves with.
pub struct Identity {
    /// The farmer public key (plots of other keys are refused).
    pub farmer_pk: FarmerPublicKey,
    /// The VRF secret key bound to `farmer_pk` (`masspoc_proof::vrf::bound_vrf_secret`).
    pub vrf: VrfSecretKey,
    /// The signer guarded by the signing history.
    pub signer: Arc<dyn HeaderSigner>,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("farmer_pk", &self.farmer_pk)
            .finish_non_exhaustive()
    }
}

impl HeaderSigner for SigningGuard {
    fn sign_header(&self, header: &Header) -> Result<[u8; 64], SignRefusal> {
        self.sign(header)
            .map(|s| s.to_bytes())
            .map_err(|e| match e {
                SigningError::Slashable { .. } => SignRefusal::Slashable(e.to_string()),
                other => SignRefusal::Failed(other.to_string()),
            })
    }
}

/// Why the farmer's identity could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IdentityError {
    /// The passphrase could not be read.
    #[error(transparent)]
    Passphrase(#[from] crate::config::ConfigError),
    /// The key file could not be loaded.
    #[error(transparent)]
    Key(#[from] crate::error::KeyError),
    /// The signing history could not be opened (for instance, another farmer has it open).
    #[error(transparent)]
    History(#[from] crate::error::HistoryError),
}

/// Loads the key named by the configuration and binds it to its signing history.
///
/// Returns the identity the farm uses and the guard itself, so the caller can drop it last
/// (closing the history) once the farm has stopped.
pub fn open_identity(
    config: &crate::config::FarmerConfig,
) -> Result<(Arc<Identity>, Arc<SigningGuard>), IdentityError> {
    let passphrase = config.passphrase.read()?;
    let key = FarmerKey::load(&config.key_file, passphrase.as_ref().map(|p| p.as_str()))?;
    let farmer_pk = key.public_key();
    let vrf = key.vrf_secret();
    let guard = Arc::new(SigningGuard::open(key, &config.signing_history)?);
    let identity = Arc::new(Identity {
        farmer_pk,
        vrf,
        signer: Arc::clone(&guard) as Arc<dyn HeaderSigner>,
    });
    Ok((identity, guard))
}
