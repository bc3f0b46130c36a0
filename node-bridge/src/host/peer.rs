//! The chain host's one seam with the chain network (`masspoc-net`, `docs/network.md`): a
//! block (header and body) or evidence from a peer goes through the same acceptance path as an
//! HTTP submission ([`ChainHost::submit_block`], [`ChainHost::submit_evidence`]); a sync page goes
//! through [`ChainHost::submit_page`], the same rules checked on all cores and stored in one
//! commit; sync reads the chain states, bodies included; anchor batches seen in the PoW chain are
//! asked of peers and served to them ([`ChainHost::offer_batch`], [`ChainHost::batch_leaves`]).
//! What the host accepts from farmers is published by the HTTP layer ([`Shared::announce`]).

use super::http::Shared;
use super::BatchOffer;
use crate::error::HostError;
use masspoc_net::{ChainSink, Verdict};
use masspoc_verifier::{Block, ChainId, ChainState, DetectorError, Evidence, HeaderHash, Height};
use std::sync::Arc;

/// The verdict of a host refusal: rule refusals map as the rules say, store failures are not
/// the peer's fault.
fn verdict_of(e: &HostError) -> Verdict {
    match e {
        HostError::Rejected(r) | HostError::Detector(DetectorError::Rejected(r)) => {
            Verdict::of_reject(r)
        }
        HostError::Evidence(_) | HostError::UnknownChain(_) | HostError::BadRequest(_) => {
            Verdict::Invalid(format!("{}: {e}", e.code()))
        }
        other => Verdict::Later(other.to_string()),
    }
}

/// The host as the network sees it.
#[derive(Debug, Clone)]
pub struct PeerSeam(pub Arc<Shared>);

impl PeerSeam {
    fn read<T>(&self, chain: &ChainId, f: impl FnOnce(&ChainState) -> T) -> Option<T> {
        self.0.host.with_state(chain, f)
    }
}

impl ChainSink for PeerSeam {
    fn chain_ids(&self) -> Vec<ChainId> {
        self.0.host.chain_ids()
    }

    fn best(&self, chain: &ChainId) -> Option<(Height, HeaderHash, u128)> {
        self.read(chain, |s| {
            (s.best().height, s.best().hash, s.best().cumulative)
        })
    }

    fn main_at(&self, chain: &ChainId, height: Height) -> Option<HeaderHash> {
        self.read(chain, |s| s.main_at(height)).flatten()
    }

    fn block(&self, chain: &ChainId, hash: &HeaderHash) -> Option<Block> {
        self.read(chain, |s| {
            let n = s.node(hash)?;
            Some(Block {
                header: n.header?,
                body: n.body().clone(),
            })
        })
        .flatten()
    }

    fn main_blocks(&self, chain: &ChainId, from: Height, limit: u64) -> Vec<Block> {
        self.read(chain, |s| masspoc_api::main_blocks(s, from, limit))
            .unwrap_or_default()
    }

    fn accept_block(&self, chain: &ChainId, block: &Block) -> Verdict {
        let host = &self.0.host;
        if host
            .with_state(chain, |s| s.node(&block.hash()).is_some())
            .unwrap_or(false)
        {
            return Verdict::Known;
        }
        let result = host.submit_block(chain, block, super::http::now_ms());
        match result {
            Ok(reply) => {
                if reply.best {
                    self.0.tips.notify_waiters();
                }
                Verdict::New { best: reply.best }
            }
            Err(e) => verdict_of(&e),
        }
    }

    /// [`super::ChainHost::submit_page`]: checked on all cores, stored in one commit, ended
    /// after the first block whose verdict is invalid.
    fn accept_page(&self, chain: &ChainId, blocks: &[Block]) -> Vec<Verdict> {
        let results = self
            .0
            .host
            .submit_page(chain, blocks, super::http::now_ms(), |e| {
                matches!(verdict_of(e), Verdict::Invalid(_))
            });
        let mut best = false;
        let verdicts = results
            .iter()
            .map(|r| match r {
                Ok(a) => {
                    best |= a.best && !a.duplicate;
                    Verdict::of_accepted(a)
                }
                Err(e) => verdict_of(e),
            })
            .collect();
        if best {
            self.0.tips.notify_waiters();
        }
        verdicts
    }

    fn accept_evidence(&self, evidence: &Evidence) -> Verdict {
        match self.0.host.submit_evidence(&evidence.encode()) {
            Ok(reply) if reply.new => {
                self.0.tips.notify_waiters();
                Verdict::New { best: false }
            }
            Ok(_) => Verdict::Known,
            Err(e) => verdict_of(&e),
        }
    }

    fn wanted_batches(&self, max: usize) -> Vec<[u8; 32]> {
        self.0.host.wanted_batches(max)
    }

    fn batch_leaves(&self, root: &[u8; 32]) -> Option<Vec<[u8; 33]>> {
        self.0.host.batch_leaves(root)
    }

    fn offer_batch(&self, root: &[u8; 32], leaves: &[[u8; 33]]) -> Verdict {
        match self.0.host.offer_batch(root, leaves) {
            Ok(BatchOffer::Stored) => Verdict::New { best: false },
            Ok(BatchOffer::Known) => Verdict::Known,
            Ok(BatchOffer::Invalid) => {
                Verdict::Invalid("the leaves do not hash to the batch root".into())
            }
            Err(e) => Verdict::Later(e.to_string()),
        }
    }
}
