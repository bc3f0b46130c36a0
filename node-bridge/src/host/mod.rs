//! The chain host: runs the chain rules and the slashing detector for each configured PoC chain
//! instance, keeps the blocks it accepted (headers and bodies) in a durable log, feeds accepted
//! headers and evidence to the anchoring outbox (all in the bridge's one database, one transaction
//! per submission, one per sync page), and keeps an evidence pool that [`Work`] hands to farmers, who include it in
//! their blocks: a ban comes only from the block that includes the evidence, on its branch
//! (`docs/protocol.md`, "Evidence in blocks and bans"). [`http`] serves it to farmers
//! (`docs/bridge-api.md`).

pub mod anchor_list;
mod anchor_pick;
pub mod config;
mod evidence;
mod finality;
pub mod http;
pub mod limits;
pub mod log;
pub mod metrics;
pub mod peer;
mod slot;
pub mod status;

use evidence::includable;
pub use finality::{BatchOffer, FeedReport, PowView, MAX_SCAN_PER_PASS, MAX_WAITING};
use slot::{Hosted, Slot};
pub use slot::{WorkChanges, WorkMark};

use crate::anchor::{Item, Outbox, SeenAnchors};
use crate::error::HostError;
use crate::fault::{FaultPoint, Faults};
use crate::store::Store;
use log::HostLog;
use masspoc_api::routes::MAX_HEADERS_LIMIT;
use masspoc_api::routes::WORK_SLOTS;
use masspoc_api::{ChainInfo, HeaderList, SubmitReply, Work};
use masspoc_verifier::batch::precheck;
use masspoc_verifier::detector::{self, Observation};
use masspoc_verifier::{
    Accepted, Block, Body, ChainId, ChainSpec, ChainState, Evidence, Header, HeaderHash, Height,
    ParentInfo,
};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

/// The chain host (synchronous core, shared by reference: each chain has its own lock, see
/// [`Slot`]). Its methods block (rule checks, store commits): async callers run them on the
/// blocking pool.
///
/// Its log, bodies and detector tables live in the bridge's one database beside the
/// anchoring outbox: every write of one submission commits in one transaction
/// (`docs/bridge.md`, "One database"); the database has one writer at a time, so commits of
/// different chains still take turns.
#[derive(Debug)]
pub struct ChainHost {
    chains: BTreeMap<ChainId, Slot>,
    store: Arc<Store>,
    log: HostLog,
    outbox: Option<Arc<Outbox>>,
    check_clock: bool,
    faults: Mutex<Faults>,
    /// Every anchor seen in the PoW chain and the items of every batch held.
    seen: SeenAnchors,
    /// Where [`ChainHost::feed_finality`] stands.
    feed: Mutex<finality::FeedState>,
}

fn chain_hex(c: &ChainId) -> String {
    hex::encode(c.as_bytes())
}

/// A block submitted for `chain` must be of that chain (`wrong_chain`).
fn check_chain(chain: &ChainId, header: &Header) -> Result<(), HostError> {
    if header.chain_id == *chain {
        return Ok(());
    }
    Err(HostError::Rejected(
        masspoc_verifier::RejectError::WrongChain {
            got: chain_hex(&header.chain_id),
            expected: chain_hex(chain),
        },
    ))
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
            if chains.insert(id, Slot::new(spec)).is_some() {
                return Err(HostError::Config(format!(
                    "chain {} configured twice",
                    chain_hex(&id)
                )));
            }
        }
        let host = ChainHost {
            chains,
            store: store.clone(),
            log,
            outbox,
            check_clock: true,
            faults: Mutex::default(),
            seen: SeenAnchors::on(store.clone())?,
            feed: Mutex::default(),
        };
        host.replay_all()?;
        Ok(host)
    }

    /// Every anchor this node saw in its PoW chain, and the batches it holds.
    pub fn seen(&self) -> &SeenAnchors {
        &self.seen
    }

    /// The anchoring outbox the host queues into (when anchored).
    pub fn outbox(&self) -> Option<Arc<Outbox>> {
        self.outbox.clone()
    }

    /// Arms a crash point for the next write sequence that reaches it (tests).
    #[cfg(feature = "fault-injection")]
    pub fn arm_fault(&self, point: Option<FaultPoint>) {
        if let Ok(mut f) = self.faults.lock() {
            f.arm(point);
        }
    }

    /// Makes the next block write hold its chain's lock and the database's write transaction
    /// for `hold` before committing, as a slow disk would (tests).
    #[cfg(feature = "fault-injection")]
    pub fn stall_next_commit(&self, hold: std::time::Duration) {
        if let Ok(mut f) = self.faults.lock() {
            f.stall(hold);
        }
    }

    /// Stops here if a test armed `point`.
    fn fault(&self, point: FaultPoint) -> Result<(), HostError> {
        self.faults
            .lock()
            .map_err(|_| HostError::Poisoned)?
            .hit(point)
    }

    /// Sleeps out a stall a test armed ([`ChainHost::stall_next_commit`]).
    fn stall_point(&self) {
        let hold = self.faults.lock().ok().and_then(|mut f| f.take_stall());
        if let Some(hold) = hold {
            std::thread::sleep(hold);
        }
    }

    /// Skips the future-drift rule (tests and replays of old chains).
    pub fn set_check_clock(&mut self, on: bool) {
        self.check_clock = on;
    }

    /// Forgets one chain's memory and rebuilds it from the log: after a write sequence failed,
    /// memory may hold a header the store does not. The caller holds the chain's lock.
    fn reload(&self, chain: &ChainId, hosted: &mut Hosted) -> Result<(), HostError> {
        let version = hosted.version + 1;
        *hosted = Hosted::new(hosted.state.spec().clone());
        hosted.version = version;
        self.replay(BTreeMap::from([(*chain, hosted)]))
    }

    /// Rebuilds every chain from the log (at open).
    fn replay_all(&self) -> Result<(), HostError> {
        let mut guards = Vec::new();
        for (id, slot) in &self.chains {
            guards.push((*id, slot.write()?));
        }
        self.replay(guards.iter_mut().map(|(id, g)| (*id, &mut **g)).collect())
    }

    /// Rebuilds the chains in `targets` (emptied, their locks held) from the log, then
    /// publishes their views.
    fn replay(&self, mut targets: BTreeMap<ChainId, &mut Hosted>) -> Result<(), HostError> {
        let mut replayed = 0usize;
        // Legacy node-local ban entries are skipped by `blocks()`: bans come only from evidence
        // included in blocks (`docs/protocol.md`, "Evidence in blocks and bans").
        for logged in self.log.blocks()? {
            let Some(hosted) = targets.get_mut(&logged.chain) else {
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
            if let Some(hosted) = targets.get_mut(&evidence.chain_id()) {
                hosted.pool.entry(evidence.farmer()).or_insert(evidence);
            }
        }
        for (id, hosted) in &targets {
            if let Some(slot) = self.chains.get(id) {
                slot.publish(hosted);
            }
        }
        tracing::info!(replayed, chains = targets.len(), "chain host ready");
        Ok(())
    }

    fn slot(&self, chain: &ChainId) -> Result<&Slot, HostError> {
        self.chains
            .get(chain)
            .ok_or_else(|| HostError::UnknownChain(chain_hex(chain)))
    }

    /// Runs `f` on a chain's state under its read lock (`None` for a chain not hosted).
    pub fn with_state<T>(&self, chain: &ChainId, f: impl FnOnce(&ChainState) -> T) -> Option<T> {
        let hosted = self.chains.get(chain)?.read().ok()?;
        Some(f(&hosted.state))
    }

    /// The hosted chains' ids.
    pub fn chain_ids(&self) -> Vec<ChainId> {
        self.chains.keys().copied().collect()
    }

    /// A chain's tip version (changes whenever its best tip does), from its published view:
    /// never waits for the chain's lock.
    pub fn tip_version(&self, chain: &ChainId) -> Result<u64, HostError> {
        Ok(self.slot(chain)?.view.borrow().version)
    }

    /// A chain's [`WorkMark`], from its published view: never waits for the chain's lock.
    pub fn work_mark(&self, chain: &ChainId) -> Result<WorkMark, HostError> {
        let view = self.slot(chain)?.view.borrow();
        Ok(WorkMark {
            version: view.version,
            final_block: (view.info.final_height, view.info.final_hash),
            evidence: view.evidence,
        })
    }

    /// Wakes at every republication of a chain's view from now on (a long-poll's wait).
    pub fn work_changes(&self, chain: &ChainId) -> Result<WorkChanges, HostError> {
        Ok(WorkChanges(self.slot(chain)?.view.subscribe()))
    }

    /// The hash of a chain's best tip, from its published view: never waits for the chain's lock.
    pub fn tip_hash(&self, chain: &ChainId) -> Result<HeaderHash, HostError> {
        Ok(self.slot(chain)?.view.borrow().info.tip_hash)
    }

    /// Every hosted chain's summary, from the published views: never waits for a chain's lock.
    pub fn chains(&self) -> Vec<ChainInfo> {
        self.chains
            .values()
            .map(|s| s.view.borrow().info.clone())
            .collect()
    }

    /// Work for extending the chain's best tip, stamped with the bridge's clock `now_ms`, with
    /// the pool's evidence a child of the tip may include.
    pub fn work(&self, chain: &ChainId, now_ms: u64) -> Result<Work, HostError> {
        let hosted = self.slot(chain)?.read()?;
        let state = &hosted.state;
        let evidence = includable(&hosted, &state.best().hash);
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
        let hosted = self.slot(chain)?.read()?;
        let state = &hosted.state;
        let limit = limit.min(MAX_HEADERS_LIMIT);
        Ok(HeaderList::of_blocks(&masspoc_api::main_blocks(
            state, from, limit,
        )))
    }

    /// Verifies and accepts a header (its binary encoding) with the empty body
    /// ([`ChainHost::submit_block`]).
    pub fn submit_header(
        &self,
        chain: &ChainId,
        bytes: &[u8],
        now_ms: u64,
    ) -> Result<SubmitReply, HostError> {
        self.slot(chain)?;
        let header = Header::decode(bytes).map_err(HostError::Rejected)?;
        self.submit_block(chain, &Block::empty(header), now_ms)
    }

    /// Verifies and accepts a block: its body must match the header's payload root
    /// (`body_mismatch`, nothing stored), then every chain rule. A second header of the same
    /// farmer at the same chain and height is evidence, kept, queued for anchoring and handed to
    /// farmers in [`Work`] until a block on the best branch includes it.
    pub fn submit_block(
        &self,
        chain: &ChainId,
        block: &Block,
        now_ms: u64,
    ) -> Result<SubmitReply, HostError> {
        let slot = self.slot(chain)?;
        check_chain(chain, &block.header)?;
        // Rules first: only blocks that pass them reach the detector's store, so signed junk
        // cannot fill it. A second valid header of one farmer at one height is evidence.
        let clock = self.check_clock.then_some(now_ms);
        // This chain's lock only: other chains' readers and writers go on meanwhile.
        let mut hosted = slot.write()?;
        let accepted = hosted
            .state
            .accept_block(block, clock)
            .map_err(HostError::Rejected)?;
        // A known block was logged, queued and shown to the detector when it was first
        // accepted: answered from memory, no signature check, no commit.
        if accepted.duplicate {
            return Ok(SubmitReply::accepted(accepted.hash, accepted.best));
        }
        let written = self
            .store
            .begin_write()
            .map_err(HostError::from)
            .and_then(|tx| {
                self.record_in(&tx, chain, &mut hosted, block, &accepted)?;
                self.commit_written(tx)
            });
        match written {
            Ok(()) => {
                slot.publish(&hosted);
                self.fault(FaultPoint::AfterCommit)?;
            }
            Err(e) => {
                // Memory holds the block, the store does not: rebuild from the store.
                self.reload(chain, &mut hosted)?;
                return Err(e);
            }
        }
        Ok(SubmitReply::accepted(accepted.hash, accepted.best))
    }

    /// Accepts a page of blocks from a peer (a sync or ancestors answer: each block's parent
    /// known or earlier in the page), in order, with [`ChainHost::submit_block`]'s rules and
    /// outcome for each block, and ends the page after the first refusal `stop` picks (the
    /// network's: a rule refusal that proves the peer wrong). One result per block offered;
    /// a known block is `Ok` with [`Accepted::duplicate`].
    ///
    /// Faster than block by block in two ways (`docs/network.md`, "Sync"):
    /// - the state-free checks of every block (body root, proof of space, VRF, signature) run on
    ///   all cores first, without the chain's lock ([`masspoc_verifier::batch::precheck`]); the
    ///   stateful rules then run in order under the lock, taking those results only where they
    ///   were computed against the parent the chain gives ([`ChainState::accept_prechecked`]);
    /// - the writes of every block the page adds (log and body, anchoring item, detector,
    ///   evidence) go into one write transaction, committed once at the end. redb commits a
    ///   transaction whole or not at all, so a crash leaves the store with none of the page or
    ///   all of it, never part of a block. If a write or the commit fails, nothing of the page is
    ///   stored, memory is rebuilt from the store, and each block the page would have added
    ///   answers a store error (not the peer's fault) instead.
    pub fn submit_page(
        &self,
        chain: &ChainId,
        blocks: &[Block],
        now_ms: u64,
        stop: impl Fn(&HostError) -> bool,
    ) -> Vec<Result<Accepted, HostError>> {
        let mut results = Vec::with_capacity(blocks.len());
        if let Err(e) = self.page(chain, blocks, now_ms, &stop, &mut results) {
            results.push(Err(e));
        }
        results
    }

    /// [`ChainHost::submit_page`]'s work; an error is the outcome of the block after the last
    /// result pushed (or of the page, if pushed none).
    fn page(
        &self,
        chain: &ChainId,
        blocks: &[Block],
        now_ms: u64,
        stop: &dyn Fn(&HostError) -> bool,
        results: &mut Vec<Result<Accepted, HostError>>,
    ) -> Result<(), HostError> {
        let slot = self.slot(chain)?;
        let clock = self.check_clock.then_some(now_ms);
        // The parents outside the page, read under the read lock; the checks run without it.
        let (spec, outside) = {
            let hosted = slot.read()?;
            let outside: HashMap<HeaderHash, ParentInfo> = blocks
                .iter()
                .filter_map(|b| {
                    let prev = b.header.prev_hash;
                    hosted.state.parent_info(&prev).map(|p| (prev, p))
                })
                .collect();
            (hosted.state.spec().clone(), outside)
        };
        let prechecked = precheck(blocks, &spec, clock, |h| outside.get(h).copied());
        let mut hosted = slot.write()?;
        // Begun at the page's first new block: a page of known blocks writes nothing.
        let mut tx = None;
        let mut written = Ok(());
        for pre in &prechecked {
            let block = pre.block();
            let accepted = check_chain(chain, &block.header).and_then(|()| {
                hosted
                    .state
                    .accept_prechecked(pre)
                    .map_err(HostError::Rejected)
            });
            match accepted {
                Err(e) => {
                    let end = stop(&e);
                    results.push(Err(e));
                    if end {
                        break;
                    }
                }
                Ok(a) if a.duplicate => results.push(Ok(a)),
                Ok(a) => {
                    written = match tx.take().map_or_else(|| self.store.begin_write(), Ok) {
                        Ok(t) => self.record_in(tx.insert(t), chain, &mut hosted, block, &a),
                        Err(e) => Err(e.into()),
                    };
                    if written.is_err() {
                        break;
                    }
                    results.push(Ok(a));
                }
            }
        }
        let failed_block = written.is_err();
        let committed = match (written, tx) {
            // Nothing new: nothing to commit.
            (Ok(()), None) => return Ok(()),
            (Ok(()), Some(tx)) => self.commit_written(tx),
            // The transaction is dropped: redb forgets its writes.
            (Err(e), _) => Err(e),
        };
        let lost = match committed {
            Ok(()) => {
                slot.publish(&hosted);
                // A test's crash point after the commit: the page is stored, no reply is sent.
                self.fault(FaultPoint::AfterCommit)
                    .err()
                    .map(|e| (e, "stored, then"))
            }
            Err(e) => {
                // Memory holds blocks the store does not: rebuild it from the store.
                if let Err(r) = self.reload(chain, &mut hosted) {
                    tracing::error!(error = %masspoc_report::Report(&r), "chain host: rebuilding a chain after a failed page write");
                }
                Some((e, "not stored"))
            }
        };
        let Some((e, what)) = lost else {
            return Ok(());
        };
        // What the page would have added answers why it was not.
        for r in results.iter_mut() {
            if matches!(r, Ok(a) if !a.duplicate) {
                *r = Err(HostError::Store(
                    self.store.err(format!("the page was {what}: {e}")),
                ));
            }
        }
        if failed_block {
            return Err(e);
        }
        Ok(())
    }

    /// The writes of one accepted block inside `tx` ([`ChainHost::write_block_in`]), and what
    /// memory keeps of it beside the chain state: the tip version, the farmer, the evidence
    /// taken into the pool. If `tx` does not commit, the caller rebuilds memory from the store.
    fn record_in(
        &self,
        tx: &redb::WriteTransaction,
        chain: &ChainId,
        hosted: &mut Hosted,
        block: &Block,
        accepted: &Accepted,
    ) -> Result<(), HostError> {
        let taken = self.write_block_in(tx, chain, hosted, block, accepted.hash)?;
        if accepted.best {
            hosted.version += 1;
        }
        hosted.farmers.insert(block.header.farmer());
        if let Some(evidence) = taken {
            hosted.pool.entry(evidence.farmer()).or_insert(evidence);
        }
        Ok(())
    }

    /// Commits a block write (after a stall a test armed).
    fn commit_written(&self, tx: redb::WriteTransaction) -> Result<(), HostError> {
        self.stall_point();
        Ok(self.store.commit(tx)?)
    }

    /// The writes of one accepted block inside the caller's transaction: the log entry and the
    /// body, its anchoring item, the detector's record and, for a first equivocation of its
    /// farmer, the evidence and its anchoring item. Returns the evidence taken into the pool.
    fn write_block_in(
        &self,
        tx: &redb::WriteTransaction,
        chain: &ChainId,
        hosted: &Hosted,
        block: &Block,
        hash: masspoc_verifier::HeaderHash,
    ) -> Result<Option<Evidence>, HostError> {
        let header = &block.header;
        self.log.append_block_in(tx, chain, block)?;
        self.fault(FaultPoint::AfterHeaderLogged)?;
        if let Some(outbox) = &self.outbox {
            outbox.enqueue_in(tx, &[Item::header(hash.0)])?;
        }
        self.fault(FaultPoint::AfterHeaderQueued)?;
        let observed = detector::observe_in(tx, header).map_err(HostError::Detector)?;
        self.fault(FaultPoint::AfterDetector)?;
        let mut taken = None;
        if let Observation::Equivocation { evidence, new } = observed {
            tracing::warn!(chain = %chain_hex(chain), height = header.height.0, "equivocation detected");
            // One piece of evidence per (chain, farmer): a further pair is kept by the detector,
            // not queued.
            let known = hosted.pool.contains_key(&header.farmer());
            if new && !known {
                self.queue_evidence_in(tx, &evidence)?;
                taken = Some(*evidence);
            }
        }
        Ok(taken)
    }

    /// A known block's body (`None` for an unknown hash or genesis).
    pub fn body(&self, chain: &ChainId, hash: &HeaderHash) -> Result<Option<Body>, HostError> {
        let hosted = self.slot(chain)?.read()?;
        Ok(hosted
            .state
            .node(hash)
            .filter(|n| n.header.is_some())
            .map(|n| n.body().clone()))
    }
}
