//! The chain host: runs the chain rules and the slashing detector for each configured PoC chain
//! instance, keeps what it accepted in a durable log, feeds accepted headers and evidence to the
//! anchoring outbox (all in the bridge's one database, one transaction per submission), and
//! applies bans once their evidence is anchored. [`http`] serves it to
//! farmers (`docs/bridge-api.md`).

pub mod anchor_list;
pub mod config;
pub mod http;
pub mod limits;
pub mod log;
pub mod metrics;
pub mod peer;

use crate::anchor::{BatchState, Item, ItemKind, Outbox};
use crate::error::{EvidenceRefusal, HostError};
use crate::fault::{FaultPoint, Faults};
use crate::store::Store;
use log::{Entry, HostLog, PendingBan};
use masspoc_api::routes::MAX_HEADERS_LIMIT;
use masspoc_api::routes::WORK_SLOTS;
use masspoc_api::{ChainInfo, EvidenceReply, EvidenceRow, HeaderList, SubmitReply, Work};
use masspoc_proof::FarmerPublicKey;
use masspoc_verifier::detector::{self, Observation};
use masspoc_verifier::{
    ChainId, ChainSpec, ChainState, Evidence, EvidenceId, Header, Height, HEADER_LEN,
};
use std::collections::{BTreeMap, HashMap, HashSet};
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
    /// The evidence kept against each key (one ban per chain and farmer): later evidence against
    /// the same key is answered from here, with no signature check and no commit.
    evidence_against: HashMap<FarmerPublicKey, EvidenceId>,
}

impl Hosted {
    fn new(spec: ChainSpec) -> Self {
        Hosted {
            state: ChainState::new(spec),
            version: 0,
            farmers: HashSet::new(),
            evidence_against: HashMap::new(),
        }
    }
}

/// The chain host (synchronous core; the HTTP layer wraps it in a mutex).
///
/// Its log, pending bans and detector tables live in the bridge's one database beside the
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
}

fn chain_hex(c: &ChainId) -> String {
    hex::encode(c.as_bytes())
}

/// What one submission writes besides its header.
#[derive(Default)]
struct Written {
    /// New evidence taken (queued and its ban recorded).
    evidence: Option<EvidenceId>,
    /// A ban to apply in memory once committed (hosts without anchoring).
    ban: Option<(ChainId, FarmerPublicKey, Height)>,
}

impl ChainHost {
    /// Opens the host's tables in `store` and rebuilds every chain from its log. With
    /// `anchored`, accepted headers and evidence are queued in the store's anchoring outbox and
    /// bans wait for their evidence to be final; without, bans apply at once.
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
        for entry in self.log.entries()? {
            match entry {
                Entry::Header { chain, bytes } => {
                    let Some(hosted) = self.chains.get_mut(&chain) else {
                        continue;
                    };
                    let header = Header::decode(&bytes).map_err(HostError::Rejected)?;
                    match hosted.state.accept_header(&header, None) {
                        Ok(_) => {
                            hosted.farmers.insert(header.farmer());
                        }
                        Err(e) => {
                            tracing::warn!(error = %masspoc_report::Report(&e), "a logged header no longer passes the rules; skipped");
                        }
                    }
                    replayed += 1;
                }
                // Bans come only from evidence included in blocks (`docs/protocol.md`, "Evidence in
                // blocks and bans"); a logged node-local ban is history, not a rule.
                Entry::Ban { .. } => {}
            }
        }
        for evidence in
            detector::evidence_in(&self.store.begin_read()?).map_err(HostError::Detector)?
        {
            if let Some(hosted) = self.chains.get_mut(&evidence.chain_id()) {
                hosted
                    .evidence_against
                    .entry(evidence.farmer())
                    .or_insert_with(|| evidence.id());
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

    /// Work for extending the chain's best tip, stamped with the bridge's clock `now_ms`.
    pub fn work(&self, chain: &ChainId, now_ms: u64) -> Result<Work, HostError> {
        Ok(Work::at_best(
            &self.hosted(chain)?.state,
            WORK_SLOTS,
            now_ms,
        ))
    }

    /// Headers along the best chain from height `from` (at most `limit`, capped at
    /// [`masspoc_api::routes::MAX_HEADERS_LIMIT`]).
    pub fn headers(
        &self,
        chain: &ChainId,
        from: Height,
        limit: u64,
    ) -> Result<HeaderList, HostError> {
        let state = &self.hosted(chain)?.state;
        let limit = usize::try_from(limit.min(MAX_HEADERS_LIMIT)).unwrap_or(usize::MAX);
        Ok(HeaderList::of(&state.main_headers(from, limit)))
    }

    /// Verifies and accepts a header (its binary encoding). A second header of the same farmer
    /// at the same chain and height is evidence, kept and queued for anchoring.
    pub fn submit_header(
        &mut self,
        chain: &ChainId,
        bytes: &[u8],
        now_ms: u64,
    ) -> Result<SubmitReply, HostError> {
        self.hosted(chain)?;
        let header = Header::decode(bytes).map_err(HostError::Rejected)?;
        if header.chain_id != *chain {
            return Err(HostError::Rejected(
                masspoc_verifier::RejectError::WrongChain {
                    got: chain_hex(&header.chain_id),
                    expected: chain_hex(chain),
                },
            ));
        }
        // Rules first: only headers that pass them reach the detector's store, so signed junk
        // cannot fill it. A second valid header of one farmer at one height is evidence.
        let clock = self.check_clock.then_some(now_ms);
        let hosted = self
            .chains
            .get_mut(chain)
            .ok_or_else(|| HostError::UnknownChain(chain_hex(chain)))?;
        let accepted = hosted
            .state
            .accept_header(&header, clock)
            .map_err(HostError::Rejected)?;
        // A known header was logged, queued and shown to the detector when it was first
        // accepted: answered from memory, no signature check, no commit.
        if accepted.duplicate {
            return Ok(SubmitReply::accepted(accepted.hash, accepted.best));
        }
        match self.write_header(chain, &header, accepted.hash) {
            Ok(written) => {
                let hosted = self
                    .chains
                    .get_mut(chain)
                    .ok_or_else(|| HostError::UnknownChain(chain_hex(chain)))?;
                if accepted.best {
                    hosted.version += 1;
                }
                hosted.farmers.insert(header.farmer());
                if let Some(id) = written.evidence {
                    hosted.evidence_against.entry(header.farmer()).or_insert(id);
                }
                if let Some((chain, farmer, from)) = written.ban {
                    self.ban_in_memory(&chain, farmer, from);
                }
                self.faults.hit(FaultPoint::AfterCommit)?;
            }
            Err(e) => {
                // Memory holds the header, the store does not: rebuild from the store.
                self.reload()?;
                return Err(e);
            }
        }
        Ok(SubmitReply::accepted(accepted.hash, accepted.best))
    }

    /// The writes of one accepted header, in one transaction: the log entry, its anchoring item,
    /// the detector's record and, for an equivocation, the evidence, its item and its ban.
    fn write_header(
        &mut self,
        chain: &ChainId,
        header: &Header,
        hash: masspoc_verifier::HeaderHash,
    ) -> Result<Written, HostError> {
        let tx = self.store.begin_write()?;
        self.log.append_in(
            &tx,
            &Entry::Header {
                chain: *chain,
                bytes: header.encode().to_vec(),
            },
        )?;
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
        let mut written = Written::default();
        if let Observation::Equivocation { evidence, new } = observed {
            tracing::warn!(chain = %chain_hex(chain), height = header.height.0, "equivocation detected");
            // One ban per (chain, farmer): a further pair is kept by the detector, not queued.
            let known = self
                .chains
                .get(chain)
                .is_some_and(|h| h.evidence_against.contains_key(&header.farmer()));
            if new && !known {
                written = self.take_evidence_in(&tx, &evidence)?;
            }
        }
        self.store.commit(tx)?;
        Ok(written)
    }

    /// Queues new evidence for anchoring and records its pending ban (or, without anchoring,
    /// logs the ban), inside `tx`.
    fn take_evidence_in(
        &mut self,
        tx: &redb::WriteTransaction,
        evidence: &Evidence,
    ) -> Result<Written, HostError> {
        let ban = PendingBan {
            evidence: evidence.id(),
            chain: evidence.chain_id(),
            farmer: evidence.farmer(),
        };
        match &self.outbox {
            Some(outbox) => {
                outbox.enqueue_in(
                    tx,
                    &[Item {
                        kind: ItemKind::Evidence,
                        hash: ban.evidence.0,
                    }],
                )?;
                self.faults.hit(FaultPoint::AfterEvidenceQueued)?;
                self.log.add_pending_ban_in(tx, &ban)?;
                self.faults.hit(FaultPoint::AfterBanRecorded)?;
                Ok(Written {
                    evidence: Some(ban.evidence),
                    ban: None,
                })
            }
            None => {
                let Some(hosted) = self.chains.get(&ban.chain) else {
                    return Ok(Written::default());
                };
                let from = hosted.state.best().height;
                self.log.append_in(
                    tx,
                    &Entry::Ban {
                        chain: ban.chain,
                        farmer: ban.farmer,
                        from,
                    },
                )?;
                self.faults.hit(FaultPoint::AfterBanRecorded)?;
                Ok(Written {
                    evidence: Some(ban.evidence),
                    ban: Some((ban.chain, ban.farmer, from)),
                })
            }
        }
    }

    fn ban_in_memory(&mut self, chain: &ChainId, farmer: FarmerPublicKey, from: Height) {
        // No node-local ban: the evidence takes effect when a block includes it (the farmer gets
        // it through `Work`, wired in the node integration of issue 12).
        if self.chains.contains_key(chain) {
            tracing::warn!(chain = %chain, farmer = %farmer, from = from.0, "evidence settled; it bans once a block includes it");
        }
    }

    /// Accepts evidence from elsewhere (its encoding). Refused before any signature check or
    /// write unless it is for a hosted chain and the accused key has a block on it
    /// ([`EvidenceRefusal`]); evidence against a key that already has evidence kept is answered
    /// with that evidence's id (`new: false`) from memory. Only then are the signatures checked
    /// and the evidence stored, queued and its ban recorded, in one transaction.
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
        if let Some(id) = hosted.evidence_against.get(&farmer) {
            return Ok(EvidenceReply::accepted(*id, false));
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
        let written = (|| {
            let tx = self.store.begin_write()?;
            let new = detector::add_evidence_in(&tx, &evidence).map_err(HostError::Detector)?;
            self.faults.hit(FaultPoint::AfterEvidenceStored)?;
            let written = if new {
                self.take_evidence_in(&tx, &evidence)?
            } else {
                Written::default()
            };
            self.store.commit(tx)?;
            Ok::<_, HostError>((new, written))
        })();
        let (new, written) = written?;
        if let Some(hosted) = self.chains.get_mut(&chain) {
            hosted
                .evidence_against
                .entry(farmer)
                .or_insert_with(|| evidence.id());
        }
        if let Some((chain, farmer, from)) = written.ban {
            self.ban_in_memory(&chain, farmer, from);
        }
        self.faults.hit(FaultPoint::AfterCommit)?;
        Ok(EvidenceReply::accepted(evidence.id(), new))
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

    /// Applies the bans whose evidence is now anchored at the required depth, from each chain's
    /// best height at that moment (`docs/protocol.md` §9). Returns how many were applied.
    pub fn apply_final_bans(&mut self) -> Result<usize, HostError> {
        let mut applied = 0;
        for ban in self.log.pending_bans()? {
            if !self.is_final(&ban.evidence)? {
                continue;
            }
            let Some(hosted) = self.chains.get(&ban.chain) else {
                continue;
            };
            let from = hosted.state.best().height;
            let settled = (|| {
                let tx = self.store.begin_write()?;
                self.log.append_in(
                    &tx,
                    &Entry::Ban {
                        chain: ban.chain,
                        farmer: ban.farmer,
                        from,
                    },
                )?;
                self.faults.hit(FaultPoint::AfterBanLogged)?;
                self.log.remove_pending_ban_in(&tx, &ban.evidence)?;
                self.store.commit(tx).map_err(HostError::from)
            })();
            settled?;
            self.ban_in_memory(&ban.chain, ban.farmer, from);
            applied += 1;
        }
        Ok(applied)
    }
}
