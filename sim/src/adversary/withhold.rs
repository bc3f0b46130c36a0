//! The `withhold` attack (selfish mining): the adversary keeps its blocks private while ahead,
//! publishes to tie or win when the honest chain comes within one or two blocks, and otherwise
//! publishes just enough to keep its lead.

use super::publish::{publish, Tally};
use masspoc_verifier::state::{ChainState, SimBlock};

/// The withholder won a block: it keeps it private.
pub(super) fn on_own_block(private: &mut Vec<SimBlock>, block: SimBlock) {
    private.push(block);
}

/// The honest farmers published a block that raised the public chain from `old_height`; the
/// withholder's private branch (non-empty) ends at `priv_height`.
pub(super) fn on_honest_block(
    public: &mut ChainState,
    private: &mut Vec<SimBlock>,
    priv_height: u64,
    old_height: u64,
    tally: &mut Tally,
) {
    let lead_before = priv_height.saturating_sub(old_height);
    if lead_before <= 2 {
        // Tie (lead 1) or win by one (lead 2): publish everything.
        publish(public, private, tally);
        private.clear();
    } else {
        // Keep the lead: publish up to the new public height.
        let new_height = public.best().height.0;
        let keep = (priv_height - new_height) as usize;
        let n = private.len().saturating_sub(keep);
        publish(public, &private[..n], tally);
        private.drain(..n);
    }
}
