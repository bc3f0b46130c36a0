//! Per-branch slashing state: which farmers a branch bans (from the evidence its blocks include)
//! and which farmers have a block on it (`docs/protocol.md`, "Evidence in blocks and bans").
//!
//! Every block carries the [`Branch`] of the chain ending at it. Both sets are persistent
//! (`rpds` red-black trees): a child shares its parent's trees and adds at most one node path per
//! new ban or new farmer, so a block costs `O(log n)` time and memory, never a copy.

use crate::error::RejectError;
use crate::evidence::Evidence;
use crate::types::{ChainId, Height};
use masspoc_proof::FarmerPublicKey;
use rpds::{RedBlackTreeMapSync, RedBlackTreeSetSync};

/// The slashing state of the branch ending at one block.
#[derive(Debug, Clone, Default)]
pub struct Branch {
    /// Banned farmer → height of the block on this branch that included the evidence.
    bans: RedBlackTreeMapSync<FarmerPublicKey, Height>,
    /// Farmers who signed at least one block of this branch (genesis excluded).
    farmers: RedBlackTreeSetSync<FarmerPublicKey>,
}

impl Branch {
    /// The height of the block of this branch that banned `farmer`, if one did.
    #[must_use]
    pub fn banned_from(&self, farmer: &FarmerPublicKey) -> Option<Height> {
        self.bans.get(farmer).copied()
    }

    /// Whether `farmer` signed a block of this branch.
    #[must_use]
    pub fn has_farmed(&self, farmer: &FarmerPublicKey) -> bool {
        self.farmers.contains(farmer)
    }

    /// Every ban of this branch, by farmer key ascending.
    pub fn bans(&self) -> impl Iterator<Item = (FarmerPublicKey, Height)> + '_ {
        self.bans.iter().map(|(f, h)| (*f, *h))
    }

    /// How many farmers this branch bans.
    #[must_use]
    pub fn ban_count(&self) -> usize {
        self.bans.size()
    }

    /// Whether a child of the block ending this branch may include `evidence`: it is for
    /// `chain_id` (`evidence_wrong_chain`), its farmer has a block on the branch
    /// (`evidence_unknown_farmer`) and is not banned on it yet (`evidence_already_included`).
    /// The child's signer must also not be the offender (checked in [`Branch::child`]).
    pub fn includable(&self, chain_id: &ChainId, evidence: &Evidence) -> Result<(), RejectError> {
        if evidence.chain_id() != *chain_id {
            return Err(RejectError::EvidenceWrongChain {
                got: evidence.chain_id().to_hex(),
            });
        }
        let farmer = evidence.farmer();
        if let Some(from) = self.banned_from(&farmer) {
            return Err(RejectError::EvidenceAlreadyIncluded {
                farmer: farmer.to_hex(),
                from: from.0,
            });
        }
        if !self.has_farmed(&farmer) {
            return Err(RejectError::EvidenceUnknownFarmer {
                farmer: farmer.to_hex(),
            });
        }
        Ok(())
    }

    /// The branch of a child at `height` signed by `signer` whose body includes `evidence`:
    /// the signer must not be banned here (`banned_key`) nor named by the evidence
    /// (`evidence_against_signer`); each piece must be [`Branch::includable`] and name a farmer no
    /// other piece of the body names. Each named farmer is banned from `height`.
    pub(crate) fn child(
        &self,
        chain_id: &ChainId,
        height: Height,
        signer: FarmerPublicKey,
        evidence: &[Evidence],
    ) -> Result<Branch, RejectError> {
        if let Some(from) = self.banned_from(&signer) {
            return Err(RejectError::BannedKey { from: from.0 });
        }
        let mut bans = self.bans.clone();
        for e in evidence {
            let farmer = e.farmer();
            if farmer == signer {
                return Err(RejectError::EvidenceAgainstSigner);
            }
            self.includable(chain_id, e)?;
            if bans.contains_key(&farmer) {
                return Err(RejectError::EvidenceAlreadyIncluded {
                    farmer: farmer.to_hex(),
                    from: height.0,
                });
            }
            bans.insert_mut(farmer, height);
        }
        let farmers = if self.farmers.contains(&signer) {
            self.farmers.clone()
        } else {
            self.farmers.insert(signer)
        };
        Ok(Branch { bans, farmers })
    }
}
