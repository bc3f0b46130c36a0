//! The simulator's report (f64 is fine here: nothing in it is consensus).

use super::SimConfig;
use masspoc_proof::{weight, FarmerPublicKey};
use masspoc_verifier::state::ChainState;
use masspoc_verifier::types::Height;
use serde::Serialize;

/// One farmer's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct FarmerReport {
    /// `f<index>:<k>:<count>`.
    pub name: String,
    /// Plot size parameter.
    pub k: u8,
    /// Plots at the start.
    pub plots: u32,
    /// Share of the total weight (at the start; all farmers scale alike).
    pub weight_share: f64,
    /// Share of the best chain's blocks.
    pub block_share: f64,
    /// Blocks on the best chain.
    pub blocks: u64,
}

/// What a simulation measured.
#[derive(Debug, Clone, Serialize)]
pub struct SimReport {
    /// Per farmer.
    pub farmers: Vec<FarmerReport>,
    /// Height of the best tip.
    pub heights: u64,
    /// Mean block interval on the best chain, seconds.
    pub mean_interval_s: f64,
    /// The chain's target, seconds.
    pub target_interval_s: f64,
    /// Standard deviation of the intervals, seconds.
    pub interval_stddev_s: f64,
    /// Mean interval over the first and the last quarter of the run, seconds.
    pub mean_interval_quarters_s: [f64; 2],
    /// Best-tip switches to a branch that did not extend the tip.
    pub reorgs: u64,
    /// Deepest such switch.
    pub max_reorg_depth: u64,
    /// Blocks accepted but not on the best chain.
    pub orphans: u64,
    /// Blocks that used a slot above 0.
    pub late_slot_blocks: u64,
    /// Difficulty of the tip.
    pub final_difficulty: u64,
    /// What the adversary achieved (runs with `--adversary` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adversary: Option<super::AdversaryReport>,
}

/// Builds the report from the final state.
pub fn build(
    cfg: &SimConfig,
    state: &ChainState,
    max_reorg_depth: u64,
    key: &dyn Fn(usize) -> FarmerPublicKey,
) -> SimReport {
    let tip = state.best();
    let heights = tip.height.0;
    let mut blocks = vec![0u64; cfg.farmers.len()];
    let mut intervals = Vec::with_capacity(heights as usize);
    let mut late = 0u64;
    for h in 1..=heights {
        let node = state
            .node(&state.main_at(Height(h)).expect("main chain"))
            .expect("known");
        let parent = state.node(&node.parent).expect("known");
        intervals.push((node.timestamp_ms - parent.timestamp_ms) as f64 / 1000.0);
        if let Some(i) = (0..cfg.farmers.len()).find(|&i| node.farmer == Some(key(i))) {
            blocks[i] += 1;
        }
        if node.timestamp_ms >= parent.timestamp_ms + cfg.slot_ms {
            late += 1;
        }
    }
    let total_w: f64 = cfg
        .farmers
        .iter()
        .map(|f| weight(f.k) as f64 * f64::from(f.count))
        .sum();
    let farmers = cfg
        .farmers
        .iter()
        .enumerate()
        .map(|(i, f)| FarmerReport {
            name: format!("f{i}:{}:{}", f.k, f.count),
            k: f.k.get(),
            plots: f.count,
            weight_share: weight(f.k) as f64 * f64::from(f.count) / total_w,
            block_share: blocks[i] as f64 / heights.max(1) as f64,
            blocks: blocks[i],
        })
        .collect();
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    let m = mean(&intervals);
    let var =
        intervals.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / intervals.len().max(1) as f64;
    let q = intervals.len() / 4;
    SimReport {
        farmers,
        heights,
        mean_interval_s: m,
        target_interval_s: cfg.target_interval_ms as f64 / 1000.0,
        interval_stddev_s: var.sqrt(),
        mean_interval_quarters_s: [
            mean(&intervals[..q]),
            mean(&intervals[intervals.len() - q..]),
        ],
        reorgs: state.reorg_count(),
        max_reorg_depth,
        orphans: (state.len() as u64).saturating_sub(heights + 1),
        late_slot_blocks: late,
        final_difficulty: tip.difficulty,
        adversary: None,
    }
}
