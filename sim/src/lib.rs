//! masspoc-sim, the chain simulator: farmers with sampled proofs race on the real chain rules of
//! `masspoc-verifier` (retarget, deadline and timestamp rules, fork choice in [`ChainState`]);
//! reports block shares beside weight shares, block intervals and reorganisations. It is a crate
//! of its own so that the verifier can deny floating point outright: f64 appears here, in
//! sampling and reports, never in a rule.

pub mod adversary;
pub mod pow;
pub mod report;
pub mod sampler;
pub mod spec;

pub use adversary::{AdversaryConfig, AdversaryReport, Strategy};
use masspoc_proof::vrf::VrfOutput;
use masspoc_proof::{weight, FarmerPublicKey, FilterBits, ProbeBits};
use masspoc_verifier::challenge::Slot;
use masspoc_verifier::deadline::{deadline_ms, difficulty_for_weight};
use masspoc_verifier::params::{ChainParams, ChainSpec};
use masspoc_verifier::rules::earliest_timestamp;
use masspoc_verifier::state::{ChainState, SimBlock};
use masspoc_verifier::types::Beacon;
pub use pow::{FinalityReport, SimFinality};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
pub use report::{FarmerReport, SimReport};
pub use spec::{parse_farmers, FarmerSpec, SpecError};

/// Simulation settings.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Heights to produce.
    pub heights: u64,
    /// One entry per farmer.
    pub farmers: Vec<FarmerSpec>,
    /// RNG seed.
    pub seed: u64,
    /// Total space is multiplied by this factor over the run (geometrically), `1.0` = constant.
    pub space_change: f64,
    /// Target interval, ms.
    pub target_interval_ms: u64,
    /// Slot delay, ms.
    pub slot_ms: u64,
    /// Filter bits.
    pub filter_bits: FilterBits,
    /// Probe window bits: each plot holds Poisson(`2^(b-1)`) pairs per challenge.
    pub probe_bits: ProbeBits,
    /// Retarget window.
    pub retarget_window: u32,
    /// Propagation delay, ms: every farmer whose block is due less than this after the earliest
    /// one publishes it too, and the node receives them in random order.
    pub delay_ms: u64,
    /// Finality from a simulated PoW chain (adversary runs only); `None` = off.
    pub finality: Option<pow::SimFinality>,
}

impl SimConfig {
    /// Defaults: 10 s target, 60 s slots, filter 0, probe bits 0, window 64, 500 ms propagation
    /// delay.
    #[must_use]
    pub fn new(heights: u64, farmers: Vec<FarmerSpec>, seed: u64) -> SimConfig {
        SimConfig {
            heights,
            farmers,
            seed,
            space_change: 1.0,
            target_interval_ms: 10_000,
            slot_ms: 60_000,
            filter_bits: FilterBits::NONE,
            probe_bits: ProbeBits::NONE,
            retarget_window: 64,
            delay_ms: 500,
            finality: None,
        }
    }

    /// Active plots of farmer `i` at height `h`.
    pub(crate) fn plots_at(&self, i: usize, h: u64) -> u32 {
        let frac = h as f64 / self.heights.max(1) as f64;
        let n = f64::from(self.farmers[i].count) * self.space_change.powf(frac);
        (n.round() as u32).max(1)
    }

    fn params(&self) -> ChainParams {
        let total: u128 = self
            .farmers
            .iter()
            .map(|f| u128::from(weight(f.k)) * u128::from(f.count))
            .sum();
        ChainParams {
            name: "simulation".into(),
            beacon: Beacon([0; 32]),
            genesis_time_ms: 0,
            target_interval_ms: self.target_interval_ms,
            slot_ms: self.slot_ms,
            filter_bits: self.filter_bits,
            min_k: masspoc_proof::K::MIN,
            initial_difficulty: difficulty_for_weight(
                total,
                self.target_interval_ms,
                self.filter_bits,
                self.probe_bits,
            ),
            retarget_window: self.retarget_window,
            max_future_drift_ms: 15_000,
            probe_bits: self.probe_bits,
            anchor_confirmations: self.finality.map_or(
                masspoc_verifier::params::DEFAULT_ANCHOR_CONFIRMATIONS,
                |f| f.anchor_confirmations,
            ),
            finality_window: self
                .finality
                .map_or(masspoc_verifier::params::DEFAULT_FINALITY_WINDOW, |f| {
                    f.finality_window
                }),
            finality_depth: self
                .finality
                .map_or(masspoc_verifier::params::DEFAULT_FINALITY_DEPTH, |f| {
                    f.finality_depth
                }),
        }
    }
}

/// The key of honest simulated farmer `i` (not a real point: its VRF key is taken as given).
pub(crate) fn farmer_key(i: usize) -> FarmerPublicKey {
    let mut k = [0u8; 32];
    k[..8].copy_from_slice(&(i as u64).to_le_bytes());
    FarmerPublicKey(k)
}

/// Honest farmer `i`'s block on `parent` (slot, score and timestamp as drawn; the VRF output's
/// 64 bytes drawn from `rng`, the key taken as given).
pub(crate) fn honest_block(
    rng: &mut StdRng,
    parent: masspoc_verifier::HeaderHash,
    i: usize,
    slot: Slot,
    score: masspoc_proof::Score,
    timestamp_ms: u64,
) -> SimBlock {
    let mut beta = [0u8; 64];
    rng.fill(&mut beta[..]);
    SimBlock {
        parent,
        farmer: farmer_key(i),
        slot,
        score,
        timestamp_ms,
        beta: VrfOutput(beta),
        vrf_pk: None,
    }
}

/// Runs a simulation and returns the final chain state with the report.
pub fn run(cfg: &SimConfig) -> Result<(ChainState, SimReport), masspoc_verifier::ParamsError> {
    let spec = ChainSpec::new(cfg.params())?;
    let mut state = ChainState::new(spec);
    let mut rng = StdRng::seed_from_u64(cfg.seed);
    let n = cfg.farmers.len();
    let mut max_reorg = 0u64;
    let bits = (cfg.filter_bits, cfg.probe_bits);
    for h in 0..cfg.heights {
        let tip = state.best().clone();
        let difficulty = state.next_difficulty(&tip.hash).expect("tip known");
        let plots: Vec<u32> = (0..n).map(|i| cfg.plots_at(i, h)).collect();
        // Per farmer: (timestamp, slot, score) of its earliest block over the slots.
        let mut cands: Vec<Option<(u64, Slot, masspoc_proof::Score)>> = vec![None; n];
        let mut best_ts = u64::MAX;
        for s in 0u32.. {
            let open = tip.timestamp_ms.saturating_add(u64::from(s) * cfg.slot_ms);
            if open >= best_ts || s == 10_000 {
                break;
            }
            for i in 0..n {
                let k = cfg.farmers[i].k;
                let Some(sc) = sampler::sample_farmer(&mut rng, k, plots[i], bits) else {
                    continue;
                };
                let d = deadline_ms(sc, difficulty);
                let Some(ts) = earliest_timestamp(tip.timestamp_ms, Slot(s), cfg.slot_ms, d) else {
                    continue;
                };
                if cands[i].is_none_or(|c| ts < c.0) {
                    cands[i] = Some((ts, Slot(s), sc));
                    best_ts = best_ts.min(ts);
                }
            }
        }
        let mut published: Vec<SimBlock> = cands
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.map(|c| (i, c)))
            .filter(|(_, (ts, _, _))| *ts < best_ts.saturating_add(cfg.delay_ms.max(1)))
            .map(|(i, (ts, slot, score))| honest_block(&mut rng, tip.hash, i, slot, score, ts))
            .collect();
        published.shuffle(&mut rng);
        for b in &published {
            let a = state
                .accept_simulated(b)
                .expect("simulated blocks follow the rules");
            if let Some(r) = a.reorg {
                max_reorg = max_reorg.max(r.depth);
            }
        }
    }
    let report = report::build(cfg, &state, max_reorg, &farmer_key);
    Ok((state, report))
}

/// Runs a simulation with an adversary holding `adv.share` of the weight (`adversary`): the
/// report's farmers end with the adversary (`fa:<k>:<count>`) and its `adversary` field is set.
/// Honest farmers publish only their earliest block per tip here (no propagation delay), so every
/// reorganisation is the adversary's doing.
pub fn run_with_adversary(
    cfg: &SimConfig,
    adv: &AdversaryConfig,
) -> Result<(ChainState, SimReport), masspoc_verifier::ParamsError> {
    let spec = ChainSpec::new(cfg.params())?;
    let (state, adv_report, (k, count)) = adversary::race(cfg, spec, adv);
    let mut all = cfg.clone();
    all.farmers.push(FarmerSpec { k, count });
    let n = cfg.farmers.len();
    let key = move |i: usize| {
        if i == n {
            adversary::adversary_key()
        } else {
            farmer_key(i)
        }
    };
    let mut report = report::build(&all, &state, adv_report.max_reorg_depth, &key);
    report.farmers[n].name = format!("fa:{}:{}", k, count);
    report.adversary = Some(adv_report);
    Ok((state, report))
}
