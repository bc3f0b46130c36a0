//! The chain host: runs the chain rules and the slashing detector for each configured PoC chain
//! instance, keeps what it accepted in a durable log, feeds accepted headers and evidence to the
//! anchoring outbox, and applies bans once their evidence is anchored. [`http`] serves it to
//! farmers (`docs/bridge-api.md`).

pub mod config;
pub mod http;
pub mod log;
pub mod metrics;

use crate::anchor::{BatchState, Item, ItemKind, Outbox};
use crate::error::HostError;
use log::{Entry, HostLog, PendingBan};
use masspoc_api::routes::MAX_HEADERS_LIMIT;
use masspoc_api::routes::WORK_SLOTS;
use masspoc_api::{ChainInfo, EvidenceReply, EvidenceRow, HeaderList, SubmitReply, Work};
use masspoc_verifier::detector::{Observation, SlashingDetector};
use masspoc_verifier::{ChainId, ChainSpec, ChainState, Evidence, EvidenceId, Header, Height};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// One hosted chain.
#[derive(Debug)]
struct Hosted {
    state: ChainState,
    /// Bumped whenever the best tip changes (long-poll).
    version: u64,
}

/// The chain host (synchronous core; the HTTP layer wraps it in a mutex).
#[derive(Debug)]
pub struct ChainHost {
    chains: BTreeMap<ChainId, Hosted>,
    log: HostLog,
    detector: SlashingDetector,
    outbox: Option<Arc<Outbox>>,
    check_clock: bool,
}

fn chain_hex(c: &ChainId) -> String {
    hex::encode(c.as_bytes())
}

impl ChainHost {
    /// Opens the host's stores in `dir` (`host.redb`, `detector.redb`) and rebuilds every chain
    /// from its log. With an outbox, accepted headers and evidence are queued for anchoring and
    /// bans wait for their evidence to be final; without one, bans apply at once.
    pub fn open(
        dir: &Path,
        specs: Vec<ChainSpec>,
        outbox: Option<Arc<Outbox>>,
    ) -> Result<Self, HostError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| HostError::Config(format!("{}: {e}", dir.display())))?;
        let log = HostLog::open(&dir.join("host.redb"))?;
        let detector =
            SlashingDetector::open(&dir.join("detector.redb")).map_err(HostError::Detector)?;
        let mut chains = BTreeMap::new();
        for spec in specs {
            let id = spec.chain_id;
            if chains
                .insert(
                    id,
                    Hosted {
                        state: ChainState::new(spec),
                        version: 0,
                    },
                )
                .is_some()
            {
                return Err(HostError::Config(format!(
                    "chain {} configured twice",
                    chain_hex(&id)
                )));
            }
        }
        let mut host = ChainHost {
            chains,
            log,
            detector,
            outbox,
            check_clock: true,
        };
        host.replay()?;
        Ok(host)
    }

    /// Skips the future-drift rule (tests and replays of old chains).
    pub fn set_check_clock(&mut self, on: bool) {
        self.check_clock = on;
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
                    if let Err(e) = hosted.state.accept_header(&header, None) {
                        tracing::warn!(error = %masspoc_report::Report(&e), "a logged header no longer passes the rules; skipped");
                    }
                    replayed += 1;
                }
                Entry::Ban {
                    chain,
                    farmer,
                    from,
                } => {
                    if let Some(hosted) = self.chains.get_mut(&chain) {
                        hosted.state.ban(farmer, from);
                    }
                }
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
        if !accepted.duplicate {
            self.log.append(&Entry::Header {
                chain: *chain,
                bytes: header.encode().to_vec(),
            })?;
            if let Some(outbox) = &self.outbox {
                outbox.enqueue(&[Item {
                    kind: ItemKind::Header,
                    hash: accepted.hash.0,
                }])?;
            }
            if accepted.best {
                hosted.version += 1;
            }
        }
        match self.detector.observe(&header) {
            Ok(Observation::Equivocation { evidence, new }) => {
                tracing::warn!(chain = %chain_hex(chain), height = header.height.0, "equivocation detected");
                if new {
                    self.take_evidence(&evidence)?;
                }
            }
            Ok(_) => {}
            Err(e) => return Err(HostError::Detector(e)),
        }
        Ok(SubmitReply::accepted(accepted.hash, accepted.best))
    }

    fn take_evidence(&mut self, evidence: &Evidence) -> Result<(), HostError> {
        let ban = PendingBan {
            evidence: evidence.id(),
            chain: evidence.chain_id(),
            farmer: evidence.farmer(),
        };
        match &self.outbox {
            Some(outbox) => {
                outbox.enqueue(&[Item {
                    kind: ItemKind::Evidence,
                    hash: ban.evidence.0,
                }])?;
                self.log.add_pending_ban(&ban)?;
            }
            None => self.ban_now(&ban)?,
        }
        Ok(())
    }

    fn ban_now(&mut self, ban: &PendingBan) -> Result<(), HostError> {
        let Some(hosted) = self.chains.get_mut(&ban.chain) else {
            return Ok(());
        };
        let from = hosted.state.best().height;
        let entry = Entry::Ban {
            chain: ban.chain,
            farmer: ban.farmer,
            from,
        };
        self.log.settle_ban(&ban.evidence, &entry)?;
        let outcome = hosted.state.ban(ban.farmer, from);
        if outcome.best_changed {
            hosted.version += 1;
        }
        tracing::warn!(chain = %ban.chain, farmer = %ban.farmer, from = from.0, removed = outcome.removed, "farmer banned");
        Ok(())
    }

    /// Accepts evidence from elsewhere (its encoding), after checking it on its own.
    pub fn submit_evidence(&mut self, bytes: &[u8]) -> Result<EvidenceReply, HostError> {
        let evidence = masspoc_verifier::verify_evidence(bytes).map_err(HostError::Evidence)?;
        let new = self
            .detector
            .add_evidence(&evidence)
            .map_err(HostError::Detector)?;
        if new {
            self.take_evidence(&evidence)?;
        }
        Ok(EvidenceReply::accepted(evidence.id(), new))
    }

    /// All evidence, with whether its anchor is final.
    pub fn evidence(&self) -> Result<Vec<EvidenceRow>, HostError> {
        let all = self.detector.evidence().map_err(HostError::Detector)?;
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
            if self.is_final(&ban.evidence)? {
                self.ban_now(&ban)?;
                applied += 1;
            }
        }
        Ok(applied)
    }
}
