//! The chain host: runs the chain rules and the slashing detector for each configured PoC chain
//! instance, keeps the blocks it accepted (headers and bodies) in a durable log, feeds accepted
//! headers and evidence to the anchoring outbox (all in the bridge's one database, one transaction
//! per submission), and keeps an evidence pool that [`Work`] hands to farmers, who include it in
//! their blocks: a ban comes only from the block that includes the evidence, on its branch
//! (`docs/protocol.md`, "Evidence in blocks and bans"). [`http`] serves it to farmers
//! (`docs/bridge-api.md`).

pub mod anchor_list;
mod anchor_pick;
pub mod config;
mod finality;
pub mod http;
pub mod limits;
pub mod log;
pub mod metrics;
pub mod peer;
pub mod status;

use crate::anchor::{BatchState, Item, ItemKind, Outbox};
use crate::error::{EvidenceRefusal, HostError};
use crate::fault::{FaultPoint, Faults};
use crate::store::Store;
use log::HostLog;
use masspoc_api::routes::MAX_HEADERS_LIMIT;
use masspoc_api::routes::WORK_SLOTS;
use masspoc_api::{ChainInfo, EvidenceReply, EvidenceRow, HeaderList, SubmitReply, Work};
use masspoc_proof::FarmerPublicKey;
use masspoc_verifier::body::MAX_BODY_EVIDENCE;
use masspoc_verifier::detector::{self, Observation};
use masspoc_verifier::{
    Block, Body, ChainId, ChainSpec, ChainState, Evidence, EvidenceId, Header, HeaderHash, Height,
    HEADER_LEN,
};
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

/// One hosted chain.
#[derive(Debug)]
struct Hosted {
    state: ChainState,
    /// Bumped whenever the best tip changes (long-poll).
    version: u64,
    /// Keys with at least one accepted block on the chain (any branch): evidence against any
    /// other key is refused before its signatures are checked.
    farmers: HashSet<FarmerPublicKey>,
    /// The evidence pool: the one piece kept against each key (one ban per chain and farmer).
    /// Later evidence against the same key is answered from here, with no signature check and no
    /// commit; [`ChainHost::work`] hands out the pieces a child of the best tip may include.
    pool: BTreeMap<FarmerPublicKey, Evidence>,
}

impl Hosted {
    fn new(spec: ChainSpec) -> Self {
        Hosted {
            state: ChainState::new(spec),
            version: 0,
            farmers: HashSet::new(),
            pool: BTreeMap::new(),
        }
    }
}

/// The chain host (synchronous core; the HTTP layer wraps it in a mutex).
///
/// Its log, bodies and detector tables live in the bridge's one database beside the
/// anchoring outbox: every write of one submission commits in one transaction
/// (`docs/bridge.md`, "One database").
#[derive(Debug)]
pub struct ChainHost {
    chains: BTreeMap<ChainId, Hosted>,
    store: Arc<Store>,
    log: HostLog,
    outbox: Option<Arc<Outbox>>,
    check_clock: bool,
    faults: Faults,
    /// PoW heights whose anchors were fed to finality ([`ChainHost::feed_finality`]).
    finality_fed: finality::Fed,
}

fn chain_hex(c: &ChainId) -> String {
    hex::encode(c.as_bytes())
}

impl ChainHost {
    /// Opens the host's tables in `store` and rebuilds every chain from its log. With
    /// `anchored`, accepted headers and evidence are queued in the store's anchoring outbox.
    pub fn open(
        store: &Arc<Store>,
        specs: Vec<ChainSpec>,
        anchored: bool,
    ) -> Result<Self, HostError> {
        let log = HostLog::on(store.clone())?;
        {
            let tx = store.begin_write()?;
            detector::create_tables(&tx).map_err(HostError::Detector)?;
            store.commit(tx)?;
        }
        let outbox = if anchored {
            Some(Arc::new(Outbox::on(store.clone())?))
        } else {
            None
        };
        let mut chains = BTreeMap::new();
        for spec in specs {
            let id = spec.chain_id;
            if chains.insert(id, Hosted::new(spec)).is_some() {
                return Err(HostError::Config(format!(
                    "chain {} configured twice",
                    chain_hex(&id)
                )));
            }
        }
        let mut host = ChainHost {
            chains,
            store: store.clone(),
            log,
            outbox,
            check_clock: true,
            faults: Faults::default(),
            finality_fed: finality::Fed::new(),
        };
        host.replay()?;
        Ok(host)
    }

    /// The anchoring outbox the host queues into (when anchored).
    pub fn outbox(&self) -> Option<Arc<Outbox>> {
        self.outbox.clone()
    }

    /// Arms a crash point for the next write sequence that reaches it (tests).
    #[cfg(feature = "fault-injection")]
    pub fn arm_fault(&mut self, point: Option<FaultPoint>) {
        self.faults.arm(point);
    }

    /// Skips the future-drift rule (tests and replays of old chains).
    pub fn set_check_clock(&mut self, on: bool) {
        self.check_clock = on;
    }

    /// Forgets the in-memory chains and rebuilds them from the log: after a write sequence
    /// failed, memory may hold a header the store does not.
    fn reload(&mut self) -> Result<(), HostError> {
        for hosted in self.chains.values_mut() {
            let version = hosted.version + 1;
            *hosted = Hosted::new(hosted.state.spec().clone());
            hosted.version = version;
        }
        self.replay()
    }

    fn replay(&mut self) -> Result<(), HostError> {
        let mut replayed = 0usize;
        // Legacy node-local ban entries are skipped by `blocks()`: bans come only from evidence
        // included in blocks (`docs/protocol.md`, "Evidence in blocks and bans").
        for logged in self.log.blocks()? {
            let Some(hosted) = self.chains.get_mut(&logged.chain) else {
                continue;
            };
            match hosted.state.accept_block(&logged.block, None) {
                Ok(_) => {
                    hosted.farmers.insert(logged.block.header.farmer());
                }
                Err(e) => {
                    tracing::warn!(error = %masspoc_report::Report(&e), "a logged block no longer passes the rules; skipped");
                }
            }
            replayed += 1;
        }
        for evidence in
            detector::evidence_in(&self.store.begin_read()?).map_err(HostError::Detector)?
        {
            if let Some(hosted) = self.chains.get_mut(&evidence.chain_id()) {
                hosted.pool.entry(evidence.farmer()).or_insert(evidence);
            }
        }
        tracing::info!(replayed, chains = self.chains.len(), "chain host ready");
        Ok(())
    }

    fn hosted(&self, chain: &ChainId) -> Result<&Hosted, HostError> {
        self.chains
            .get(chain)
            .ok_or_else(|| HostError::UnknownChain(chain_hex(chain)))
    }

    /// The hosted chains' ids.
    pub fn chain_ids(&self) -> Vec<ChainId> {
        self.chains.keys().copied().collect()
    }

    /// A chain's tip version (changes whenever its best tip does).
    pub fn tip_version(&self, chain: &ChainId) -> Result<u64, HostError> {
        Ok(self.hosted(chain)?.version)
    }

    /// Every hosted chain's summary.
    pub fn chains(&self) -> Vec<ChainInfo> {
        self.chains
            .values()
            .map(|h| ChainInfo::of(&h.state))
            .collect()
    }

    /// Work for extending the chain's best tip, stamped with the bridge's clock `now_ms`, with
    /// the pool's evidence a child of the tip may include.
    pub fn work(&self, chain: &ChainId, now_ms: u64) -> Result<Work, HostError> {
        let state = &self.hosted(chain)?.state;
        let evidence = self.includable_evidence(chain, &state.best().hash)?;
        Ok(Work::at_best(state, WORK_SLOTS, now_ms).with_evidence(&evidence))
    }

    /// Blocks (headers and bodies) along the best chain from height `from` (at most `limit`,
    /// capped at [`masspoc_api::routes::MAX_HEADERS_LIMIT`]).
    pub fn headers(
        &self,
        chain: &ChainId,
        from: Height,
        limit: u64,
    ) -> Result<HeaderList, HostError> {
        let state = &self.hosted(chain)?.state;
        let limit = limit.min(MAX_HEADERS_LIMIT);
        Ok(HeaderList::of_blocks(&masspoc_api::main_blocks(
            state, from, limit,
        )))
    }

    /// Verifies and accepts a header (its binary encoding) with the empty body
    /// ([`ChainHost::submit_block`]).
    pub fn submit_header(
        &mut self,
        chain: &ChainId,
        bytes: &[u8],
        now_ms: u64,
    ) -> Result<SubmitReply, HostError> {
        self.hosted(chain)?;
        let header = Header::decode(bytes).map_err(HostError::Rejected)?;
        self.submit_block(chain, &Block::empty(header), now_ms)
    }

    /// Verifies and accepts a block: its body must match the header's payload root
    /// (`body_mismatch`, nothing stored), then every chain rule. A second header of the same
    /// farmer at the same chain and height is evidence, kept, queued for anchoring and handed to
    /// farmers in [`Work`] until a block on the best branch includes it.
    pub fn submit_block(
        &mut self,
        chain: &ChainId,
        block: &Block,
        now_ms: u64,
    ) -> Result<SubmitReply, HostError> {
        self.hosted(chain)?;
        let header = &block.header;
        if header.chain_id != *chain {
            return Err(HostError::Rejected(
                masspoc_verifier::RejectError::WrongChain {
                    got: chain_hex(&header.chain_id),
                    expected: chain_hex(chain),
                },
            ));
        }
        // Rules first: only blocks that pass them reach the detector's store, so signed junk
        // cannot fill it. A second valid header of one farmer at one height is evidence.
        let clock = self.check_clock.then_some(now_ms);
        let hosted = self
            .chains
            .get_mut(chain)
            .ok_or_else(|| HostError::UnknownChain(chain_hex(chain)))?;
        let accepted = hosted
            .state
            .accept_block(block, clock)
            .map_err(HostError::Rejected)?;
        // A known block was logged, queued and shown to the detector when it was first
        // accepted: answered from memory, no signature check, no commit.
        if accepted.duplicate {
            return Ok(SubmitReply::accepted(accepted.hash, accepted.best));
        }
        match self.write_block(chain, block, accepted.hash) {
            Ok(taken) => {
                let hosted = self
                    .chains
                    .get_mut(chain)
                    .ok_or_else(|| HostError::UnknownChain(chain_hex(chain)))?;
                if accepted.best {
                    hosted.version += 1;
                }
                hosted.farmers.insert(header.farmer());
                if let Some(evidence) = taken {
                    hosted.pool.entry(evidence.farmer()).or_insert(evidence);
                }
                self.faults.hit(FaultPoint::AfterCommit)?;
            }
            Err(e) => {
                // Memory holds the block, the store does not: rebuild from the store.
                self.reload()?;
                return Err(e);
            }
        }
        Ok(SubmitReply::accepted(accepted.hash, accepted.best))
    }

    /// The writes of one accepted block, in one transaction: the log entry and the body, its
    /// anchoring item, the detector's record and, for a first equivocation of its farmer, the
    /// evidence and its anchoring item. Returns the evidence taken into the pool.
    fn write_block(
        &mut self,
        chain: &ChainId,
        block: &Block,
        hash: masspoc_verifier::HeaderHash,
    ) -> Result<Option<Evidence>, HostError> {
        let header = &block.header;
        let tx = self.store.begin_write()?;
        self.log.append_block_in(&tx, chain, block)?;
        self.faults.hit(FaultPoint::AfterHeaderLogged)?;
        if let Some(outbox) = &self.outbox {
            outbox.enqueue_in(
                &tx,
                &[Item {
                    kind: ItemKind::Header,
                    hash: hash.0,
                }],
            )?;
        }
        self.faults.hit(FaultPoint::AfterHeaderQueued)?;
        let observed = detector::observe_in(&tx, header).map_err(HostError::Detector)?;
        self.faults.hit(FaultPoint::AfterDetector)?;
        let mut taken = None;
        if let Observation::Equivocation { evidence, new } = observed {
            tracing::warn!(chain = %chain_hex(chain), height = header.height.0, "equivocation detected");
            // One piece of evidence per (chain, farmer): a further pair is kept by the detector,
            // not queued.
            let known = self
                .chains
                .get(chain)
                .is_some_and(|h| h.pool.contains_key(&header.farmer()));
            if new && !known {
                self.queue_evidence_in(&tx, &evidence)?;
                taken = Some(*evidence);
            }
        }
        self.store.commit(tx)?;
        Ok(taken)
    }

    /// Queues new evidence for anchoring (a record in the PoW chain; the ban comes from the block
    /// that includes it), inside `tx`.
    fn queue_evidence_in(
        &mut self,
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
            self.faults.hit(FaultPoint::AfterEvidenceQueued)?;
        }
        Ok(())
    }

    /// Accepts evidence from elsewhere (its encoding). Refused before any signature check or
    /// write unless it is for a hosted chain and the accused key has a block on it
    /// ([`EvidenceRefusal`]); evidence against a key that already has evidence kept is answered
    /// with that evidence's id (`new: false`) from memory. Only then are the signatures checked
    /// and the evidence stored and queued for anchoring, in one transaction; it then goes into the
    /// pool handed to farmers.
    pub fn submit_evidence(&mut self, bytes: &[u8]) -> Result<EvidenceReply, HostError> {
        let accused = Header::decode(bytes.get(..HEADER_LEN).unwrap_or(bytes)).map_err(|e| {
            HostError::Evidence(masspoc_verifier::EvidenceError::BadEncoding(format!(
                "header a: {e}"
            )))
        })?;
        let (chain, farmer) = (accused.chain_id, accused.farmer());
        let hosted = self.chains.get(&chain).ok_or_else(|| {
            HostError::EvidenceRefused(EvidenceRefusal::ChainNotHosted {
                chain: chain_hex(&chain),
            })
        })?;
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
            self.faults.hit(FaultPoint::AfterEvidenceStored)?;
            if new {
                self.queue_evidence_in(&tx, &evidence)?;
            }
            self.store.commit(tx)?;
            Ok::<_, HostError>(new)
        })()?;
        if let Some(hosted) = self.chains.get_mut(&chain) {
            hosted.pool.entry(farmer).or_insert(evidence);
        }
        self.faults.hit(FaultPoint::AfterCommit)?;
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
        let hosted = self.hosted(chain)?;
        Ok(hosted
            .pool
            .values()
            .filter(|e| hosted.state.includable(parent, e).is_ok())
            .take(MAX_BODY_EVIDENCE)
            .copied()
            .collect())
    }

    /// A known block's body (`None` for an unknown hash or genesis).
    pub fn body(&self, chain: &ChainId, hash: &HeaderHash) -> Result<Option<Body>, HostError> {
        let state = &self.hosted(chain)?.state;
        Ok(state
            .node(hash)
            .filter(|n| n.header.is_some())
            .map(|n| n.body().clone()))
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
