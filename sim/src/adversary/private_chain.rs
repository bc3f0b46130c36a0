//! The `private-chain` attack: the adversary builds a secret branch from the public tip and
//! publishes it whole once it is heavier than the public chain and would replace at least
//! [`REVEAL_DEPTH`] public blocks; it abandons the branch when [`GIVE_UP_BEHIND`] blocks behind.

use super::publish::{publish, Tally};
use masspoc_verifier::state::{ChainState, SimBlock};

/// How many blocks behind the public chain the private-chain adversary abandons its branch.
pub const GIVE_UP_BEHIND: u64 = 6;

/// How deep a reorganisation the private-chain adversary aims for: it reveals its branch once the
/// branch is heavier than the public chain and replaces at least this many public blocks (a
/// double spend against a merchant waiting this many confirmations).
pub const REVEAL_DEPTH: u64 = 6;

/// The private-chain adversary's reveal: its whole branch, once heavier than the public chain and
/// forking at least [`REVEAL_DEPTH`] blocks below the public tip.
fn reveal_if_deep(
    public: &mut ChainState,
    own: &ChainState,
    private: &mut Vec<SimBlock>,
    tally: &mut Tally,
) {
    let Some(first) = private.first() else {
        return;
    };
    let fork_height = own.node(&first.parent).expect("known").height.0;
    let tip = own
        .node(&private.last().expect("non-empty").hash())
        .expect("known");
    let best = public.best();
    if tip.cumulative > best.cumulative && best.height.0 - fork_height >= REVEAL_DEPTH {
        publish(public, private, tally);
        private.clear();
    }
}

/// The adversary won a block (already in its view `own`): it extends its branch and reveals it
/// if deep enough.
pub(super) fn on_own_block(
    public: &mut ChainState,
    own: &ChainState,
    private: &mut Vec<SimBlock>,
    block: SimBlock,
    tally: &mut Tally,
) {
    private.push(block);
    reveal_if_deep(public, own, private, tally);
}

/// The honest farmers published a block; the adversary's branch (non-empty) ends at
/// `priv_height`: it gives up when too far behind, else reveals if deep enough.
pub(super) fn on_honest_block(
    public: &mut ChainState,
    own: &ChainState,
    private: &mut Vec<SimBlock>,
    priv_height: u64,
    tally: &mut Tally,
) {
    let behind = public.best().height.0.saturating_sub(priv_height);
    if behind > GIVE_UP_BEHIND {
        private.clear();
    } else {
        reveal_if_deep(public, own, private, tally);
    }
}
