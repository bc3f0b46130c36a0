//! Newtypes of the chain rules: a height can never be passed where a timestamp is expected.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A block height; genesis is height 0, the first header has height 1.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Height(pub u64);

impl Height {
    /// The next height, or `None` on overflow.
    #[must_use]
    pub fn next(self) -> Option<Height> {
        self.0.checked_add(1).map(Height)
    }

    /// The previous height, or `None` at genesis.
    #[must_use]
    pub fn prev(self) -> Option<Height> {
        self.0.checked_sub(1).map(Height)
    }
}

impl fmt::Display for Height {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

masspoc_proof::bytes32_newtype!(
    /// A chain instance's 32-byte id: the BLAKE3 hash of its tagged parameters (`docs/protocol.md`).
    ChainId,
    masspoc_proof::HexBytesError
);
masspoc_proof::bytes32_newtype!(
    /// A header's hash: BLAKE3 of the tagged header encoding without the signature.
    HeaderHash,
    masspoc_proof::HexBytesError
);
masspoc_proof::bytes32_newtype!(
    /// The id of a piece of slashing evidence: BLAKE3 of its tagged encoding
    /// (`docs/protocol.md`, "Evidence").
    EvidenceId,
    masspoc_proof::HexBytesError
);
masspoc_proof::bytes32_newtype!(
    /// The opaque 32-byte payload root a header commits to.
    PayloadRoot,
    masspoc_proof::HexBytesError
);
masspoc_proof::bytes32_newtype!(
    /// A proof-of-work block hash used as a genesis beacon, in RPC display order.
    Beacon,
    masspoc_proof::HexBytesError
);
