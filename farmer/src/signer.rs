//! The farmer's identity as the farming loop uses it: the public key plots must carry, the VRF key,
//! and a signer that records every header in the signing history before it signs.

use masspoc_proof::vrf::VrfSecretKey;
use masspoc_proof::FarmerPublicKey;
use masspoc_verifier::{ChainId, HeaderHash, Height};
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

/// Signs header signing messages, never two different headers at one chain and height.
///
/// Implementations record `(chain, height, hash)` durably before releasing a signature; the call
/// may block on disk (the farming loop calls it on the blocking pool).
pub trait HeaderSigner: Send + Sync + 'static {
    /// Signs `message` (the header's signing message) for the header `hash` at `height`.
    fn sign_header(
        &self,
        chain_id: &ChainId,
        height: Height,
        hash: &HeaderHash,
        message: &[u8],
    ) -> Result<[u8; 64], SignRefusal>;
}

/// What a farmer signs and proves with.
pub struct Identity {
    /// The farmer public key (plots of other keys are refused).
    pub farmer_pk: FarmerPublicKey,
    /// The VRF secret key, derived from the farmer seed under its own domain tag.
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
