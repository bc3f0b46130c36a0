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
    /// Runs the node's acceptance path on a page of blocks from one peer (a sync or ancestors
    /// answer: a chain, each block's parent known or earlier in the page), in order, ending
    /// after the first [`Verdict::Invalid`]: one verdict per block offered, each what
    /// [`ChainSink::accept_block`] would say in that order. The default is [`accept_each`]; a
    /// node may check the page faster (the chain host checks it on all cores and stores it in
    /// one commit), with the same verdicts.
    fn accept_page(&self, chain: &ChainId, blocks: &[Block]) -> Vec<Verdict> {
        accept_each(self, chain, blocks)
    }
    /// Runs the node's acceptance path on evidence from a peer.
    fn accept_evidence(&self, evidence: &Evidence) -> Verdict;
    /// Up to `max` anchor-batch roots the node saw in its PoW chain and lacks the items of
    /// (asked of every peer; successive calls may go round a longer list). None by default.
    fn wanted_batches(&self, _max: usize) -> Vec<[u8; 32]> {
        Vec::new()
    }
    /// The leaves (33-byte leaf data each) of batch `root`, when the node holds them. None by
    /// default.
    fn batch_leaves(&self, _root: &[u8; 32]) -> Option<Vec<[u8; 33]>> {
        None
    }
    /// A peer's leaves for batch `root`: `New` when wanted and stored, `Known` when held or not
    /// asked for, `Invalid` when they do not hash to the root. `Known` by default.
    fn offer_batch(&self, _root: &[u8; 32], _leaves: &[[u8; 33]]) -> Verdict {
        Verdict::Known
    }
}

/// A page offered block by block to [`ChainSink::accept_block`], ending after the first invalid
/// block ([`in_order`]): [`ChainSink::accept_page`]'s default, and what a faster one must equal.
pub fn accept_each<S: ChainSink + ?Sized>(
    sink: &S,
    chain: &ChainId,
    blocks: &[Block],
) -> Vec<Verdict> {
    in_order(blocks, |b| sink.accept_block(chain, b))
}

/// The verdicts of `judge` on `items` in order, ending after the first [`Verdict::Invalid`] (what
/// follows an invalid block of a chain is not offered).
pub fn in_order<T>(
    items: impl IntoIterator<Item = T>,
    mut judge: impl FnMut(T) -> Verdict,
) -> Vec<Verdict> {
    let mut out = Vec::new();
    for item in items {
        let verdict = judge(item);
        let invalid = matches!(verdict, Verdict::Invalid(_));
        out.push(verdict);
        if invalid {
            break;
        }
    }
    out
}
