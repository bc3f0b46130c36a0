//! A simulated PoW chain for finality (`docs/protocol.md` §14): a PoW block every
//! `pow_interval_ms` of simulated time anchors every block the honest nodes accepted since the
//! previous one, and every block the adversary built in secret (it anchors its withheld branch as it
//! goes: the worst case). The honest nodes' state is fed these anchors and the PoW tip exactly as a
//! chain node's follower feeds it; every block that was ever final is checked to still be on the
//! best chain at the end.

use masspoc_verifier::state::ChainState;
use masspoc_verifier::types::{HeaderHash, Height};
use serde::Serialize;

/// Finality settings of a simulation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimFinality {
    /// Simulated time between PoW blocks, ms (Litecoin: 150,000).
    pub pow_interval_ms: u64,
    /// The chain's `anchor_confirmations`.
    pub anchor_confirmations: u32,
    /// The chain's `finality_window` (R, PoW blocks).
    pub finality_window: u32,
    /// The chain's `finality_depth` (c, PoC blocks).
    pub finality_depth: u32,
}

/// What finality did in a run.
#[derive(Debug, Clone, Serialize)]
pub struct FinalityReport {
    /// Simulated time between PoW blocks, seconds.
    pub pow_interval_s: f64,
    /// PoW blocks mined during the run.
    pub pow_blocks: u64,
    /// Height of the final block at the end.
    pub final_height: u64,
    /// Best height minus final height at the end.
    pub final_lag_blocks: u64,
    /// How many times the final block moved (each new final block is checked at the end).
    pub final_moves: u64,
    /// Reorganisations whose fork point was below the final block of the moment: must be 0.
    pub reorgs_past_final: u64,
    /// Blocks that were final at some moment and are not on the best chain at the end: must be 0.
    pub final_blocks_lost: u64,
    /// Published blocks refused as `conflicts_with_final` (reveals that came too late).
    pub refused_conflicting: u64,
    /// Best-tip moves forced by finality (the tip was outside the new final block's subtree).
    pub finality_reorgs: u64,
}

/// The PoW clock and what it recorded.
pub(crate) struct PowClock {
    cfg: SimFinality,
    next_ms: u64,
    height: u64,
    /// Blocks the honest nodes accepted since the last PoW block.
    pub(crate) honest: Vec<HeaderHash>,
    /// Blocks the adversary built in secret since the last PoW block.
    pub(crate) adversary: Vec<HeaderHash>,
    finals: Vec<(Height, HeaderHash)>,
    pub(crate) reorgs_past_final: u64,
    pub(crate) refused_conflicting: u64,
    finality_reorgs: u64,
}

impl PowClock {
    pub(crate) fn new(cfg: SimFinality, genesis_ms: u64) -> PowClock {
        PowClock {
            cfg,
            next_ms: genesis_ms + cfg.pow_interval_ms,
            height: 0,
            honest: Vec::new(),
            adversary: Vec::new(),
            finals: Vec::new(),
            reorgs_past_final: 0,
            refused_conflicting: 0,
            finality_reorgs: 0,
        }
    }

    /// Mines every PoW block due by `now_ms` into `public`.
    pub(crate) fn advance_to(&mut self, public: &mut ChainState, now_ms: u64) {
        while self.next_ms <= now_ms {
            self.height += 1;
            let mut anchors = std::mem::take(&mut self.adversary);
            anchors.append(&mut self.honest);
            public.record_anchors(self.height, &anchors);
            let up = public.set_pow_tip(self.height);
            if up.advanced {
                self.finals.push((up.final_height, up.final_hash));
            }
            if up.reorg.is_some() {
                self.finality_reorgs += 1;
            }
            self.next_ms += self.cfg.pow_interval_ms;
        }
    }

    /// The report, checking every block that was final against the end state.
    pub(crate) fn report(&self, public: &ChainState) -> FinalityReport {
        let lost = self
            .finals
            .iter()
            .filter(|(h, hash)| public.main_at(*h) != Some(*hash))
            .count() as u64;
        let f = public.final_block();
        FinalityReport {
            pow_interval_s: self.cfg.pow_interval_ms as f64 / 1000.0,
            pow_blocks: self.height,
            final_height: f.height.0,
            final_lag_blocks: public.best().height.0 - f.height.0,
            final_moves: self.finals.len() as u64,
            reorgs_past_final: self.reorgs_past_final,
            final_blocks_lost: lost,
            refused_conflicting: self.refused_conflicting,
            finality_reorgs: self.finality_reorgs,
        }
    }
}
