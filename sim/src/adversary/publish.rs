//! Publishing the adversary's (or the honest farmers') blocks to the honest nodes, and counting
//! what that did: reorganisations, refused blocks, and with finality on what the PoW anchors saw.

use crate::pow::PowClock;
use masspoc_verifier::state::{ChainState, SimBlock};
use masspoc_verifier::RejectError;

/// What publishing some blocks did.
#[derive(Default)]
pub(super) struct Tally {
    pub(super) reorgs: u64,
    pub(super) max_depth: u64,
    pub(super) refused: u64,
    /// The PoW clock when finality is on: accepted blocks are anchored by the honest nodes.
    pub(super) pow: Option<PowClock>,
}

/// Gives `blocks` in order to the honest nodes' view `public`, counting in `tally`.
pub(super) fn publish(public: &mut ChainState, blocks: &[SimBlock], tally: &mut Tally) {
    for b in blocks {
        let old_best = public.best().height.0;
        let final_height = public.final_block().height.0;
        match public.accept_simulated(b) {
            Ok(a) => {
                if let Some(r) = a.reorg {
                    tally.reorgs += 1;
                    tally.max_depth = tally.max_depth.max(r.depth);
                    if let Some(pow) = tally.pow.as_mut() {
                        // The fork point of the switch, against the final block of the moment.
                        if old_best.saturating_sub(r.depth) < final_height {
                            pow.reorgs_past_final += 1;
                        }
                    }
                }
                if let Some(pow) = tally.pow.as_mut() {
                    if !a.duplicate {
                        pow.honest.push(a.hash);
                    }
                }
            }
            Err(RejectError::VrfKeyNotBound(_)) => tally.refused += 1,
            // A block conflicting with the final block, or the child of one refused so.
            Err(RejectError::ConflictsWithFinal { .. } | RejectError::UnknownParent(_))
                if tally.pow.is_some() =>
            {
                if let Some(pow) = tally.pow.as_mut() {
                    pow.refused_conflicting += 1;
                }
            }
            Err(e) => panic!("an adversary block broke a rule it follows: {e}"),
        }
    }
}
