//! One hosted chain's slot: its state behind its own lock ([`Hosted`] in a [`Slot`]) and the view
//! it publishes after every change ([`TipView`]), which long-polls watch ([`WorkChanges`]) and
//! compare ([`WorkMark`]).

use crate::error::HostError;
use masspoc_api::ChainInfo;
use masspoc_proof::FarmerPublicKey;
use masspoc_verifier::{ChainSpec, ChainState, Evidence, HeaderHash, Height};
use std::collections::{BTreeMap, HashSet};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

/// One hosted chain.
#[derive(Debug)]
pub(super) struct Hosted {
    pub(super) state: ChainState,
    /// Bumped whenever the best tip changes (long-poll).
    pub(super) version: u64,
    /// Keys with at least one accepted block on the chain (any branch): evidence against any
    /// other key is refused before its signatures are checked.
    pub(super) farmers: HashSet<FarmerPublicKey>,
    /// The evidence pool: the one piece kept against each key (one ban per chain and farmer).
    /// Later evidence against the same key is answered from here, with no signature check and no
    /// commit; [`super::ChainHost::work`] hands out the pieces a child of the best tip may include.
    pub(super) pool: BTreeMap<FarmerPublicKey, Evidence>,
}

impl Hosted {
    pub(super) fn new(spec: ChainSpec) -> Self {
        Hosted {
            state: ChainState::new(spec),
            version: 0,
            farmers: HashSet::new(),
            pool: BTreeMap::new(),
        }
    }
}

/// What readers of one chain take without its lock: republished after every change.
#[derive(Debug, Clone)]
pub(super) struct TipView {
    /// [`Hosted::version`].
    pub(super) version: u64,
    /// The chain's summary.
    pub(super) info: ChainInfo,
    /// Pieces in [`Hosted::pool`] (it only grows).
    pub(super) evidence: usize,
}

impl TipView {
    pub(super) fn of(hosted: &Hosted) -> Self {
        TipView {
            version: hosted.version,
            info: ChainInfo::of(&hosted.state),
            evidence: hosted.pool.len(),
        }
    }
}

/// What a farmer's work depends on, as a long-poll compares it: the best tip (its version), the
/// final block and the evidence pool's size. When it differs from the mark a long-poll started
/// with, the work may have changed and the long-poll answers (`docs/bridge-api.md`, `challenge`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkMark {
    pub(super) version: u64,
    pub(super) final_block: (Height, Option<HeaderHash>),
    pub(super) evidence: usize,
}

/// Wakes a long-poll whenever one chain's published view is republished
/// ([`super::ChainHost::work_changes`]); compare [`WorkMark`]s to see whether anything changed.
#[derive(Debug)]
pub struct WorkChanges(pub(super) tokio::sync::watch::Receiver<TipView>);

impl WorkChanges {
    /// Resolves at the next republication; `false` when the chain's host is gone.
    pub async fn changed(&mut self) -> bool {
        self.0.changed().await.is_ok()
    }
}

/// One hosted chain behind its own lock, with the view published after every change, so that a
/// write (and its fsync) on one chain never holds up another chain's readers or writers'
/// in-memory work (`docs/operations.md`, "Per-chain state").
#[derive(Debug)]
pub(super) struct Slot {
    pub(super) hosted: RwLock<Hosted>,
    pub(super) view: tokio::sync::watch::Sender<TipView>,
}

impl Slot {
    pub(super) fn new(spec: ChainSpec) -> Self {
        let hosted = Hosted::new(spec);
        let view = tokio::sync::watch::Sender::new(TipView::of(&hosted));
        Slot {
            hosted: RwLock::new(hosted),
            view,
        }
    }

    /// Republishes the view of `hosted` (this slot's chain, its lock held by the caller).
    pub(super) fn publish(&self, hosted: &Hosted) {
        self.view.send_replace(TipView::of(hosted));
    }

    pub(super) fn read(&self) -> Result<RwLockReadGuard<'_, Hosted>, HostError> {
        self.hosted.read().map_err(|_| HostError::Poisoned)
    }

    pub(super) fn write(&self) -> Result<RwLockWriteGuard<'_, Hosted>, HostError> {
        self.hosted.write().map_err(|_| HostError::Poisoned)
    }
}
