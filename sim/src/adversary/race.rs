//! The race between the honest farmers and the adversary: each side's earliest block on its tip,
//! the event loop taking them in timestamp order (handing the adversary's moves to its
//! strategy's file), and the report of what the adversary achieved.

use super::publish::{publish, Tally};
use super::{
    adversary_key, private_chain, vrf_grind, vrf_output, withhold, AdversaryConfig,
    AdversaryReport, Strategy,
};
use crate::pow::PowClock;
use crate::sampler::sample_farmer;
use crate::{honest_block, SimConfig};
use masspoc_proof::vrf::bound_vrf_public;
use masspoc_proof::{weight, Score};
use masspoc_verifier::challenge::{derive_challenge, Slot};
use masspoc_verifier::deadline::deadline_ms;
use masspoc_verifier::params::ChainSpec;
use masspoc_verifier::rules::earliest_timestamp;
use masspoc_verifier::state::{ChainState, SimBlock};
use masspoc_verifier::types::{HeaderHash, Height};
use rand::rngs::StdRng;
use rand::SeedableRng;

/// The honest farmers' total weight.
fn honest_weight(cfg: &SimConfig) -> f64 {
    cfg.farmers
        .iter()
        .map(|f| weight(f.k) as f64 * f64::from(f.count))
        .sum()
}

/// The adversary's plots: the smallest honest k, as many as give it `share` of the weight.
fn adversary_plots(cfg: &SimConfig, share: f64) -> (masspoc_proof::K, u32) {
    let k = cfg.farmers.iter().map(|f| f.k).min().expect("farmers");
    let count = (share / (1.0 - share) * honest_weight(cfg) / weight(k) as f64).round();
    (k, (count as u32).max(1))
}

/// Plot count of `count` plots at height `h` with the run's space change.
fn scaled(cfg: &SimConfig, count: u32, h: u64) -> u32 {
    let frac = h as f64 / cfg.heights.max(1) as f64;
    let n = f64::from(count) * cfg.space_change.powf(frac);
    (n.round() as u32).max(1)
}

/// The earliest block over the slots after a parent made at `parent_ts`: `draw(slot, offer)`
/// offers each score found at `slot` with what it came from (`T`); the first earliest is kept.
/// Returns its timestamp, slot, origin and score.
fn earliest<T>(
    parent_ts: u64,
    slot_ms: u64,
    difficulty: u64,
    mut draw: impl FnMut(Slot, &mut dyn FnMut(Score, T)),
) -> Option<(u64, Slot, T, Score)> {
    let mut best: Option<(u64, Slot, T, Score)> = None;
    for s in 0u32..10_000 {
        let open = parent_ts.saturating_add(u64::from(s) * slot_ms);
        if best.as_ref().is_some_and(|b| open >= b.0) {
            break;
        }
        draw(Slot(s), &mut |sc, origin| {
            let d = deadline_ms(sc, difficulty);
            let Some(ts) = earliest_timestamp(parent_ts, Slot(s), slot_ms, d) else {
                return;
            };
            if best.as_ref().is_none_or(|b| ts < b.0) {
                best = Some((ts, Slot(s), origin, sc));
            }
        });
    }
    best
}

/// One side's earliest block on `tip`.
pub(super) struct Found {
    pub(super) block: SimBlock,
    pub(super) challenge: [u8; 32],
}

/// The race's settings and the honest farmers' randomness.
pub(super) struct Race<'a> {
    cfg: &'a SimConfig,
    pub(super) spec: ChainSpec,
    adv_k: masspoc_proof::K,
    adv_count: u32,
    rng: StdRng,
}

impl Race<'_> {
    /// The honest farmers' earliest block on `tip` of `state` (one publication: the earliest).
    fn honest(&mut self, state: &ChainState, tip: &HeaderHash) -> Option<Found> {
        let node = state.node(tip)?.clone();
        let difficulty = state.next_difficulty(tip)?;
        let h = node.height.0;
        let cfg = self.cfg;
        let bits = (cfg.filter_bits, cfg.probe_bits);
        let rng = &mut self.rng;
        let (ts, slot, i, score) =
            earliest(node.timestamp_ms, cfg.slot_ms, difficulty, |_, offer| {
                for i in 0..cfg.farmers.len() {
                    let plots = cfg.plots_at(i, h);
                    if let Some(sc) = sample_farmer(rng, cfg.farmers[i].k, plots, bits) {
                        offer(sc, i);
                    }
                }
            })?;
        Some(Found {
            block: honest_block(&mut self.rng, *tip, i, slot, score, ts),
            challenge: [0; 32],
        })
    }

    /// The adversary's best score for one challenge: its draws are seeded by the challenge.
    pub(super) fn adversary_score(&self, challenge: &[u8; 32], h: u64) -> Option<Score> {
        let mut seed = blake3::Hasher::new();
        seed.update(b"masspoc/sim/adversary-draws");
        seed.update(&self.cfg.seed.to_le_bytes());
        seed.update(challenge);
        let mut rng = StdRng::from_seed(*seed.finalize().as_bytes());
        let plots = scaled(self.cfg, self.adv_count, h);
        sample_farmer(
            &mut rng,
            self.adv_k,
            plots,
            (self.cfg.filter_bits, self.cfg.probe_bits),
        )
    }

    /// The adversary's earliest block on `tip` of its own view (bound VRF key).
    fn adversary(&self, own: &ChainState, tip: &HeaderHash) -> Option<Found> {
        let node = own.node(tip)?.clone();
        let difficulty = own.next_difficulty(tip)?;
        let height = node.height.next()?;
        let (ts, slot, c, score) = earliest(
            node.timestamp_ms,
            self.cfg.slot_ms,
            difficulty,
            |s, offer| {
                let c = derive_challenge(&self.spec.chain_id, height, s, &node.beta).0;
                if let Some(sc) = self.adversary_score(&c, node.height.0) {
                    offer(sc, c);
                }
            },
        )?;
        let key = adversary_key();
        let vrf_pk = bound_vrf_public(&key).expect("a real key");
        Some(Found {
            block: SimBlock {
                parent: *tip,
                farmer: key,
                slot,
                score,
                timestamp_ms: ts,
                beta: vrf_output(&vrf_pk, &c),
                vrf_pk: Some(vrf_pk),
            },
            challenge: c,
        })
    }
}

/// Runs the race and returns the honest nodes' final state with the adversary's report; the
/// adversary's plots are `(k, count)`.
pub(crate) fn race(
    cfg: &SimConfig,
    spec: ChainSpec,
    adv: &AdversaryConfig,
) -> (ChainState, AdversaryReport, (masspoc_proof::K, u32)) {
    let (adv_k, adv_count) = adversary_plots(cfg, adv.share);
    let mut public = ChainState::new(spec.clone());
    let mut own = ChainState::new(spec.clone());
    let mut r = Race {
        cfg,
        spec,
        adv_k,
        adv_count,
        rng: StdRng::seed_from_u64(cfg.seed),
    };
    let mut private: Vec<SimBlock> = Vec::new();
    let mut tally = Tally {
        pow: cfg
            .finality
            .map(|f| PowClock::new(f, public.spec().params.genesis_time_ms)),
        ..Tally::default()
    };
    let mut honest_cache: Option<(HeaderHash, Found)> = None;
    let mut adv_cache: Option<(HeaderHash, Found)> = None;
    while public.best().height.0 < cfg.heights {
        let pub_tip = public.best().hash;
        let adv_tip = private.last().map_or(pub_tip, SimBlock::hash);
        if honest_cache.as_ref().is_none_or(|c| c.0 != pub_tip) {
            let f = r
                .honest(&public, &pub_tip)
                .expect("honest farmers find a block");
            honest_cache = Some((pub_tip, f));
        }
        if adv_cache.as_ref().is_none_or(|c| c.0 != adv_tip) {
            let f = r
                .adversary(&own, &adv_tip)
                .expect("the adversary finds a block");
            adv_cache = Some((adv_tip, f));
        }
        let h_ts = honest_cache.as_ref().expect("set").1.block.timestamp_ms;
        let a_ts = adv_cache.as_ref().expect("set").1.block.timestamp_ms;
        if let Some(pow) = tally.pow.as_mut() {
            pow.advance_to(&mut public, h_ts.min(a_ts));
            if public.best().hash != pub_tip {
                // Finality moved the tip into its subtree: find blocks on the new tip.
                honest_cache = None;
                continue;
            }
        }
        if a_ts < h_ts {
            let found = adv_cache.take().expect("set").1;
            own.accept_simulated(&found.block).expect("own rules");
            if let Some(pow) = tally.pow.as_mut() {
                if adv.strategy != Strategy::VrfGrind {
                    pow.adversary.push(found.block.hash());
                }
            }
            match adv.strategy {
                Strategy::VrfGrind => {
                    vrf_grind::on_own_block(&r, &mut public, &mut own, found, &mut tally)
                }
                Strategy::Withhold => withhold::on_own_block(&mut private, found.block),
                Strategy::PrivateChain => private_chain::on_own_block(
                    &mut public,
                    &own,
                    &mut private,
                    found.block,
                    &mut tally,
                ),
            }
        } else {
            let found = honest_cache.take().expect("set").1;
            let old_height = public.best().height.0;
            publish(&mut public, &[found.block], &mut tally);
            own.accept_simulated(&found.block)
                .expect("public blocks are valid");
            if private.is_empty() {
                continue;
            }
            let priv_height = own
                .node(&private.last().expect("non-empty").hash())
                .expect("known")
                .height
                .0;
            match adv.strategy {
                Strategy::Withhold => withhold::on_honest_block(
                    &mut public,
                    &mut private,
                    priv_height,
                    old_height,
                    &mut tally,
                ),
                Strategy::PrivateChain => private_chain::on_honest_block(
                    &mut public,
                    &own,
                    &mut private,
                    priv_height,
                    &mut tally,
                ),
                Strategy::VrfGrind => private.clear(),
            }
        }
    }
    let report = report(cfg, adv, &public, &tally, (adv_k, adv_count));
    (public, report, (adv_k, adv_count))
}

/// What the adversary with plots `(adv_k, adv_count)` achieved on the honest nodes' chain.
fn report(
    cfg: &SimConfig,
    adv: &AdversaryConfig,
    public: &ChainState,
    tally: &Tally,
    (adv_k, adv_count): (masspoc_proof::K, u32),
) -> AdversaryReport {
    let key = adversary_key();
    let heights = public.best().height.0;
    let blocks = (1..=heights)
        .filter(|&h| {
            public
                .main_at(Height(h))
                .and_then(|x| public.node(&x))
                .is_some_and(|n| n.farmer == Some(key))
        })
        .count() as u64;
    let adv_w = weight(adv_k) as f64 * f64::from(adv_count);
    AdversaryReport {
        strategy: adv.strategy,
        weight_share: adv_w / (adv_w + honest_weight(cfg)),
        block_share: blocks as f64 / heights.max(1) as f64,
        reorgs_caused: tally.reorgs,
        max_reorg_depth: tally.max_depth,
        refused_blocks: tally.refused,
        finality: tally.pow.as_ref().map(|p| p.report(public)),
    }
}
