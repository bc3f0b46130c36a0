//! The one seam between the network and a chain node: what arrived from a peer goes to the
//! node's own acceptance path; sync reads the node's block tree.

use masspoc_verifier::{Accepted, Block, ChainId, Evidence, HeaderHash, Height, RejectError};

/// The node's answer to something a peer sent.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verdict {
    /// Accepted and new: relayed to other peers.
    New {
        /// It became the best tip.
        best: bool,
    },
    /// Already known: not relayed again, no penalty.
    Known,
    /// Its parent is unknown: kept in the orphan pool while the ancestors are fetched.
    Orphan,
    /// Not acceptable now but not provably bad (e.g. a timestamp ahead of this node's clock, or
    /// the node's store failed): dropped, no penalty.
    Later(String),
    /// Breaks the rules: never relayed, and the peer that sent it loses score.
    Invalid(String),
}

impl Verdict {
    /// The verdict of the chain rules' acceptance.
    #[must_use]
    pub fn of_accepted(accepted: &Accepted) -> Verdict {
        if accepted.duplicate {
            Verdict::Known
        } else {
            Verdict::New {
                best: accepted.best,
            }
        }
    }

    /// The verdict of a rule's refusal: an unknown parent makes an orphan, a timestamp ahead of
    /// this node's clock is `Later` (the peer's clock may be right), everything else is invalid.
    #[must_use]
    pub fn of_reject(e: &RejectError) -> Verdict {
        match e {
            RejectError::UnknownParent(_) => Verdict::Orphan,
            RejectError::TooFarInFuture { .. } => Verdict::Later(e.to_string()),
            other => Verdict::Invalid(format!("{}: {other}", other.code())),
        }
    }
}

/// A chain node as the network sees it. Calls may block (rule checks, store commits): the
/// network makes them on tokio's blocking pool.
pub trait ChainSink: Send + Sync + 'static {
    /// The hosted chains (one gossip topic each).
    fn chain_ids(&self) -> Vec<ChainId>;
    /// The best tip: its height, hash and cumulative difficulty.
    fn best(&self, chain: &ChainId) -> Option<(Height, HeaderHash, u128)>;
    /// The best chain's block at `height` (genesis at 0).
    fn main_at(&self, chain: &ChainId, height: Height) -> Option<HeaderHash>;
    /// A known block, header and body (any branch; `None` for genesis and unknown hashes).
    fn block(&self, chain: &ChainId, hash: &HeaderHash) -> Option<Block>;
    /// Blocks along the best chain from `from` (genesis never listed), at most `limit`, their
    /// bodies within the page budget (`masspoc_api::routes::MAX_PAGE_BODY_BYTES`, at least one).
    fn main_blocks(&self, chain: &ChainId, from: Height, limit: u64) -> Vec<Block>;
    /// Runs the node's acceptance path on a block (header and body) from a peer.
    fn accept_block(&self, chain: &ChainId, block: &Block) -> Verdict;
    /// Runs the node's acceptance path on evidence from a peer.
    fn accept_evidence(&self, evidence: &Evidence) -> Verdict;
}
