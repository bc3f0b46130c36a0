//! The header follower: follows the node's best chain from a configured start height, checking
//! every header itself ([`validate`]), walking back to the common ancestor on a reorganisation
//! and persisting what it accepted ([`store`]) so that a restart resumes where it stopped. A
//! light verifier checks a stretch of the node's chain with the same checks and no store
//! ([`range`]).

pub mod range;
pub mod store;
pub mod validate;

use crate::error::{FollowError, PowError};
use crate::pow::{Hash256, PowParams};
use crate::rpc::RpcClient;
use crate::store::Store;
use std::path::Path;
use std::sync::Arc;
use store::{HeaderStore, StoredHeader};
use validate::{validate_run_with, Fetched, Parent};

/// Follower settings.
#[derive(Debug, Clone)]
pub struct FollowerConfig {
    /// The first height followed (its own parent is not checked).
    pub start_height: u64,
    /// Network rules.
    pub params: PowParams,
    /// Headers fetched per round trip pair.
    pub chunk: u64,
}

impl Default for FollowerConfig {
    fn default() -> Self {
        FollowerConfig {
            start_height: 0,
            params: PowParams::regtest(),
            chunk: 500,
        }
    }
}

/// What one [`Follower::sync`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Height and id of the tip after the sync.
    pub tip: Option<(u64, Hash256)>,
    /// Headers accepted.
    pub added: u64,
    /// Headers dropped by a reorganisation.
    pub removed: u64,
    /// The common ancestor, when a reorganisation was followed.
    pub reorg_ancestor: Option<u64>,
}

/// Follows one node's best chain.
#[derive(Debug)]
pub struct Follower {
    rpc: RpcClient,
    store: HeaderStore,
    config: FollowerConfig,
}

impl Follower {
    /// Opens (or creates) the store at `path`. A store keeps the start height it was created
    /// with.
    pub fn open(path: &Path, rpc: RpcClient, config: FollowerConfig) -> Result<Self, FollowError> {
        Self::on(Store::open(path)?, rpc, config)
    }

    /// A follower over the PoW header tables of an open database.
    pub fn on(
        store: Arc<Store>,
        rpc: RpcClient,
        config: FollowerConfig,
    ) -> Result<Self, FollowError> {
        let store = HeaderStore::on(store)?;
        let mut config = config;
        match store.start_height()? {
            Some(h) => config.start_height = h,
            None => store.set_start_height(config.start_height)?,
        }
        Ok(Follower { rpc, store, config })
    }

    /// The first height followed.
    pub fn start_height(&self) -> u64 {
        self.config.start_height
    }

    /// The node it follows.
    pub fn rpc(&self) -> &RpcClient {
        &self.rpc
    }

    /// The highest accepted header.
    pub fn tip(&self) -> Result<Option<StoredHeader>, FollowError> {
        Ok(self.store.tip()?)
    }

    /// The accepted header at `height`.
    pub fn header_at(&self, height: u64) -> Result<Option<StoredHeader>, FollowError> {
        Ok(self.store.get(height)?)
    }

    /// Catches up with the node's best chain (at most `max_headers` new headers this call).
    /// A header that fails a check refuses the node: nothing of that run is stored.
    pub fn sync(&mut self, max_headers: u64) -> Result<SyncReport, FollowError> {
        match self.sync_inner(max_headers) {
            // The node may have reorganised between our calls: look again once before refusing.
            Err(FollowError::InvalidHeader {
                reason: PowError::BadLink { .. },
                ..
            }) => self.sync_inner(max_headers),
            other => other,
        }
    }

    fn sync_inner(&mut self, max_headers: u64) -> Result<SyncReport, FollowError> {
        let mut report = SyncReport::default();
        let node_height = self.rpc.block_count()?;
        let mut tip = self.store.tip()?;
        if let (Some(t), true) = (tip, node_height < self.config.start_height) {
            // A node below our start (restarted from scratch, syncing): nothing to compare yet.
            tracing::info!(
                node_height,
                ours = t.height,
                "node is below the start height; waiting"
            );
            report.tip = Some((t.height, t.id));
            return Ok(report);
        }
        if let Some(t) = tip {
            let ancestor = self.common_ancestor(t.height.min(node_height), node_height)?;
            if t.height > node_height && ancestor == Some(node_height) {
                // The node is behind on our own chain (restarted, still syncing): keep what we
                // checked and wait for it rather than forget valid headers.
                tracing::info!(
                    node_height,
                    ours = t.height,
                    "node is behind our tip; waiting"
                );
                report.tip = Some((t.height, t.id));
                return Ok(report);
            }
            if ancestor != Some(t.height) {
                report.removed =
                    t.height + 1 - ancestor.map_or(self.config.start_height, |a| a + 1);
                report.reorg_ancestor = ancestor;
                self.store.replace_above(ancestor, &[])?;
                tracing::info!(
                    ?ancestor,
                    removed = report.removed,
                    "followed a reorganisation"
                );
                tip = match ancestor {
                    Some(h) => self.store.get(h)?,
                    None => None,
                };
            }
        }
        let mut next = tip.map_or(self.config.start_height, |t| t.height + 1);
        let stop = node_height.min(next.saturating_add(max_headers).saturating_sub(1));
        while next <= stop {
            let end = stop.min(next + self.config.chunk.max(1) - 1);
            let run = fetch_run(&self.rpc, next, end)?;
            let parent = tip.map(|t| Parent {
                height: t.height,
                id: t.id,
                bits: t.header.bits,
            });
            let history = self.times_up_to(tip.map(|t| t.height))?;
            // The period start of a retarget in this run, from the store (`None`: not stored).
            let time_at = |h: u64| self.store.get(h).ok().flatten().map(|s| s.header.time);
            let headers = validate_run_with(
                &self.config.params,
                parent,
                history.as_deref(),
                &time_at,
                &run,
            )?;
            let stored: Vec<StoredHeader> = headers
                .into_iter()
                .zip(&run)
                .map(|(header, f)| StoredHeader {
                    height: f.height,
                    id: f.reported,
                    header,
                })
                .collect();
            self.store.replace_above(tip.map(|t| t.height), &stored)?;
            report.added += stored.len() as u64;
            tip = stored.last().copied();
            next = end + 1;
        }
        report.tip = tip.map(|t| (t.height, t.id));
        Ok(report)
    }

    /// The stored times of the 11 blocks up to `height` (oldest first), or of every block from
    /// genesis when there are fewer; `None` when the store lacks some of them (a start height
    /// above 0), so the median time past cannot be computed as the node does.
    fn times_up_to(&self, height: Option<u64>) -> Result<Option<Vec<u32>>, FollowError> {
        let Some(height) = height else {
            return Ok(None);
        };
        let from = height.saturating_sub(10);
        let mut times = Vec::with_capacity(11);
        for h in from..=height {
            match self.store.get(h)? {
                Some(s) => times.push(s.header.time),
                None => return Ok(None),
            }
        }
        Ok(Some(times))
    }

    /// The highest height ≤ `from` where our header equals the node's, or `None` when even the
    /// start block differs.
    fn common_ancestor(&self, from: u64, node_height: u64) -> Result<Option<u64>, FollowError> {
        let start = self.config.start_height;
        if node_height < start {
            return Ok(None);
        }
        let mut hi = from;
        loop {
            let lo = hi.saturating_sub(self.config.chunk.max(1) - 1).max(start);
            let heights: Vec<u64> = (lo..=hi).collect();
            let calls: Vec<(&str, serde_json::Value)> = heights
                .iter()
                .map(|h| ("getblockhash", serde_json::json!([h])))
                .collect();
            let replies = self.rpc.batch(&calls)?;
            for (&h, r) in heights.iter().zip(replies).rev() {
                let node_hash = r?;
                if let Some(ours) = self.store.get(h)? {
                    if node_hash.as_str() == Some(ours.id.to_string().as_str()) {
                        return Ok(Some(h));
                    }
                }
            }
            if lo == start {
                return Ok(None);
            }
            hi = lo - 1;
        }
    }
}

/// The node's best-chain headers at heights `from..=to` as fetched (two batched requests), for
/// [`validate_run_with`]: what the follower checks each round, and [`range::check_range`] too.
pub fn fetch_run(rpc: &RpcClient, from: u64, to: u64) -> Result<Vec<Fetched>, FollowError> {
    let heights: Vec<u64> = (from..=to).collect();
    Ok(rpc
        .headers_at(&heights)?
        .into_iter()
        .zip(&heights)
        .map(|((reported, raw), &height)| Fetched {
            height,
            reported,
            raw,
        })
        .collect())
}

/// Convenience: open a follower with the default chunk size.
pub fn open_follower(
    path: &Path,
    rpc: RpcClient,
    start_height: u64,
    params: PowParams,
) -> Result<Follower, FollowError> {
    Follower::open(
        path,
        rpc,
        FollowerConfig {
            start_height,
            params,
            ..FollowerConfig::default()
        },
    )
}
