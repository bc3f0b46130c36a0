//! The chain host's evidence: taking it in (`POST /v1/evidence`), queueing it for anchoring, the
//! pool farmers include it from, and the list with each piece's anchor state.

use super::{chain_hex, ChainHost, Hosted};
use crate::anchor::{BatchState, Item, ItemKind};
use crate::error::{EvidenceRefusal, HostError};
use crate::fault::FaultPoint;
use masspoc_api::{EvidenceReply, EvidenceRow};
use masspoc_verifier::body::MAX_BODY_EVIDENCE;
use masspoc_verifier::detector;
use masspoc_verifier::{ChainId, Evidence, EvidenceId, Header, HeaderHash, HEADER_LEN};

impl ChainHost {
    /// Queues new evidence for anchoring (a record in the PoW chain; the ban comes from the block
    /// that includes it), inside `tx`.
    pub(super) fn queue_evidence_in(
        &self,
        tx: &redb::WriteTransaction,
        evidence: &Evidence,
    ) -> Result<(), HostError> {
        if let Some(outbox) = &self.outbox {
            outbox.enqueue_in(
                tx,
                &[Item {
                    kind: ItemKind::Evidence,
                    hash: evidence.id().0,
                }],
            )?;
            self.fault(FaultPoint::AfterEvidenceQueued)?;
        }
        Ok(())
    }

    /// Accepts evidence from elsewhere (its encoding). Refused before any signature check or
    /// write unless it is for a hosted chain and the accused key has a block on it
    /// ([`EvidenceRefusal`]); evidence against a key that already has evidence kept is answered
    /// with that evidence's id (`new: false`) from memory. Only then are the signatures checked
    /// and the evidence stored and queued for anchoring, in one transaction; it then goes into the
    /// pool handed to farmers.
    pub fn submit_evidence(&self, bytes: &[u8]) -> Result<EvidenceReply, HostError> {
        let accused = Header::decode(bytes.get(..HEADER_LEN).unwrap_or(bytes)).map_err(|e| {
            HostError::Evidence(masspoc_verifier::EvidenceError::BadEncoding(format!(
                "header a: {e}"
            )))
        })?;
        let (chain, farmer) = (accused.chain_id, accused.farmer());
        let slot = self.chains.get(&chain).ok_or_else(|| {
            HostError::EvidenceRefused(EvidenceRefusal::ChainNotHosted {
                chain: chain_hex(&chain),
            })
        })?;
        // Held to the end: the pool is checked and filled under one lock of this chain.
        let mut hosted = slot.write()?;
        if let Some(kept) = hosted.pool.get(&farmer) {
            return Ok(EvidenceReply::accepted(kept.id(), false));
        }
        if !hosted.farmers.contains(&farmer) {
            return Err(HostError::EvidenceRefused(
                EvidenceRefusal::FarmerHasNoBlock {
                    chain: chain_hex(&chain),
                    farmer: farmer.to_string(),
                },
            ));
        }
        let evidence = masspoc_verifier::verify_evidence(bytes).map_err(HostError::Evidence)?;
        let new = (|| {
            let tx = self.store.begin_write()?;
            let new = detector::add_evidence_in(&tx, &evidence).map_err(HostError::Detector)?;
            self.fault(FaultPoint::AfterEvidenceStored)?;
            if new {
                self.queue_evidence_in(&tx, &evidence)?;
            }
            self.store.commit(tx)?;
            Ok::<_, HostError>(new)
        })()?;
        hosted.pool.entry(farmer).or_insert(evidence);
        // Long-polls wake: a farmer's next block can include it.
        slot.publish(&hosted);
        drop(hosted);
        self.fault(FaultPoint::AfterCommit)?;
        Ok(EvidenceReply::accepted(evidence.id(), new))
    }

    /// The evidence a child of `parent` may include: the pool's pieces that are
    /// [`ChainState::includable`] there, by farmer key ascending, at most
    /// [`MAX_BODY_EVIDENCE`] (`docs/protocol.md`, "Evidence in blocks and bans").
    pub fn includable_evidence(
        &self,
        chain: &ChainId,
        parent: &HeaderHash,
    ) -> Result<Vec<Evidence>, HostError> {
        let hosted = self.slot(chain)?.read()?;
        Ok(includable(&hosted, parent))
    }

    /// All evidence, with whether its anchor is final.
    pub fn evidence(&self) -> Result<Vec<EvidenceRow>, HostError> {
        let all = detector::evidence_in(&self.store.begin_read()?).map_err(HostError::Detector)?;
        all.iter()
            .map(|e| Ok(EvidenceRow::new(e, self.is_final(&e.id())?)))
            .collect()
    }

    fn is_final(&self, evidence: &EvidenceId) -> Result<bool, HostError> {
        let Some(outbox) = &self.outbox else {
            return Ok(false);
        };
        let item = Item {
            kind: ItemKind::Evidence,
            hash: evidence.0,
        };
        Ok(match outbox.batch_of(&item)? {
            Some(Some(seq)) => outbox
                .batch(seq)?
                .is_some_and(|b| b.state == BatchState::Final),
            _ => false,
        })
    }
}

/// [`ChainHost::includable_evidence`] on one chain (its lock held).
pub(super) fn includable(hosted: &Hosted, parent: &HeaderHash) -> Vec<Evidence> {
    hosted
        .pool
        .values()
        .filter(|e| hosted.state.includable(parent, e).is_ok())
        .take(MAX_BODY_EVIDENCE)
        .copied()
        .collect()
}
