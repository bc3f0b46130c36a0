//! An adversary racing honest farmers on the real rules (`masspoc simulate --adversary`).
//!
//! The adversary holds a share `S` of the weight (plots of the smallest honest k) under one real
//! ed25519 farmer key, so its bound VRF key is the real `bound_vrf_public` of that key. Two views
//! of the chain run the verifier's rules side by side: the honest nodes' (`public`, every
//! published block) and the adversary's (`own`: the public blocks plus its unpublished ones).
//! Events are taken in timestamp order: the honest farmers' earliest block on the public tip, the
//! adversary's earliest block on its own tip. What a challenge gives the adversary's plots is a
//! function of the challenge (its draws are seeded by it, as a real plot's answers are), so a
//! different VRF output really means different chances at the next height.
//!
//! Strategies (`docs/protocol.md` §11, "Adversaries"):
//! - `vrf-grind`: on each block it wins it tries [`GRIND_KEYS`] other VRF keys, keeps the one
//!   whose output gives it the best next challenge and publishes that block; the real rule
//!   (`vrf_key_not_bound`) refuses it, and it falls back to its bound key.
//! - `withhold`: selfish mining: keeps its blocks private while ahead, publishes one to tie when
//!   the honest chain catches up to within one block, all of them when its lead would drop to one.
//! - `private-chain`: builds a secret branch from the public tip and publishes it whole once it
//!   is heavier than the public chain and would replace at least [`REVEAL_DEPTH`] public blocks;
//!   abandons it (and starts again from the public tip) when [`GIVE_UP_BEHIND`] blocks behind.

use crate::pow::PowClock;
use crate::sampler::sample_farmer;
use crate::{farmer_key, SimConfig};
use masspoc_proof::vrf::{bound_vrf_public, VrfOutput, VrfPublicKey, VrfSecretKey};
use masspoc_proof::{weight, FarmerPublicKey, Score};
use masspoc_verifier::challenge::{derive_challenge, Slot};
use masspoc_verifier::deadline::deadline_ms;
use masspoc_verifier::params::ChainSpec;
use masspoc_verifier::rules::earliest_timestamp;
use masspoc_verifier::state::{ChainState, SimBlock};
use masspoc_verifier::types::{HeaderHash, Height};
use masspoc_verifier::RejectError;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

/// VRF keys the grinding adversary tries per block it wins (besides its bound key).
pub const GRIND_KEYS: usize = 8;

/// How many blocks behind the public chain the private-chain adversary abandons its branch.
pub const GIVE_UP_BEHIND: u64 = 6;

/// How deep a reorganisation the private-chain adversary aims for: it reveals its branch once the
/// branch is heavier than the public chain and replaces at least this many public blocks (a
/// double spend against a merchant waiting this many confirmations).
pub const REVEAL_DEPTH: u64 = 6;

/// An adversary's strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// Selfish mining: publishes late when it helps.
    Withhold,
    /// Tries VRF keys to pick its next challenge.
    VrfGrind,
    /// Builds a secret branch and reveals it when heavier.
    PrivateChain,
}

impl FromStr for Strategy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "withhold" => Ok(Strategy::Withhold),
            "vrf-grind" => Ok(Strategy::VrfGrind),
            "private-chain" => Ok(Strategy::PrivateChain),
            other => Err(format!(
                "unknown adversary {other:?} (withhold, vrf-grind, private-chain)"
            )),
        }
    }
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Strategy::Withhold => "withhold",
            Strategy::VrfGrind => "vrf-grind",
            Strategy::PrivateChain => "private-chain",
        })
    }
}

/// The adversary of a simulation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdversaryConfig {
    /// What it does.
    pub strategy: Strategy,
    /// Its share of the total weight, in (0, 1).
    pub share: f64,
}

/// What the adversary achieved.
#[derive(Debug, Clone, Serialize)]
pub struct AdversaryReport {
    /// Its strategy.
    pub strategy: Strategy,
    /// Its share of the weight (from its whole plots: close to the share asked for).
    pub weight_share: f64,
    /// Its share of the best chain's blocks.
    pub block_share: f64,
    /// Best-tip switches its publications caused.
    pub reorgs_caused: u64,
    /// The deepest of them.
    pub max_reorg_depth: u64,
    /// Blocks the rules refused (the grinder's unbound VRF keys).
    pub refused_blocks: u64,
    /// What finality did (runs with finality on only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finality: Option<crate::pow::FinalityReport>,
}

/// The adversary's farmer key: a real ed25519 public key (so its bound VRF key exists).
pub fn adversary_key() -> FarmerPublicKey {
    static KEY: OnceLock<FarmerPublicKey> = OnceLock::new();
    *KEY.get_or_init(|| FarmerPublicKey(VrfSecretKey::from_seed(&[0xad; 32]).public().0))
}

/// The grinder's pool of other VRF keys (fixed: what it grinds is the challenge they give).
fn grind_keys() -> &'static [VrfPublicKey] {
    static KEYS: OnceLock<Vec<VrfPublicKey>> = OnceLock::new();
    KEYS.get_or_init(|| {
        (0..GRIND_KEYS)
            .map(|i| {
                let mut seed = [0x6b; 32];
                seed[..8].copy_from_slice(&(i as u64).to_le_bytes());
                VrfSecretKey::from_seed(&seed).public()
            })
            .collect()
    })
}

/// The stand-in VRF output of key `pk` over `challenge` (the simulator does not run the VRF;
/// what matters is that each key gives one output per challenge).
fn vrf_output(pk: &VrfPublicKey, challenge: &[u8; 32]) -> VrfOutput {
    let mut h = blake3::Hasher::new();
    h.update(b"masspoc/sim/vrf");
    h.update(&pk.0);
    h.update(challenge);
    let mut out = [0u8; 64];
    h.finalize_xof().fill(&mut out);
    VrfOutput(out)
}

/// The adversary's plots: the smallest honest k, as many as give it `share` of the weight.
fn adversary_plots(cfg: &SimConfig, share: f64) -> (masspoc_proof::K, u32) {
    let k = cfg.farmers.iter().map(|f| f.k).min().expect("farmers");
    let honest: f64 = cfg
        .farmers
        .iter()
        .map(|f| weight(f.k) as f64 * f64::from(f.count))
        .sum();
    let count = (share / (1.0 - share) * honest / weight(k) as f64).round();
    (k, (count as u32).max(1))
}

/// One side's earliest block on `tip`.
struct Found {
    block: SimBlock,
    challenge: [u8; 32],
}

struct Race<'a> {
    cfg: &'a SimConfig,
    spec: ChainSpec,
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
        let bits = (self.cfg.filter_bits, self.cfg.probe_bits);
        let mut best: Option<(u64, Slot, usize, Score)> = None;
        for s in 0u32..10_000 {
            let open = node
                .timestamp_ms
                .saturating_add(u64::from(s) * self.cfg.slot_ms);
            if best.is_some_and(|b| open >= b.0) {
                break;
            }
            for i in 0..self.cfg.farmers.len() {
                let plots = self.cfg.plots_at(i, h);
                let Some(sc) = sample_farmer(&mut self.rng, self.cfg.farmers[i].k, plots, bits)
                else {
                    continue;
                };
                let d = deadline_ms(sc, difficulty);
                let Some(ts) = earliest_timestamp(node.timestamp_ms, Slot(s), self.cfg.slot_ms, d)
                else {
                    continue;
                };
                if best.is_none_or(|b| ts < b.0) {
                    best = Some((ts, Slot(s), i, sc));
                }
            }
        }
        let (ts, slot, i, score) = best?;
        let mut beta = [0u8; 64];
        self.rng.fill(&mut beta[..]);
        Some(Found {
            block: SimBlock {
                parent: *tip,
                farmer: farmer_key(i),
                slot,
                score,
                timestamp_ms: ts,
                beta: VrfOutput(beta),
                vrf_pk: None,
            },
            challenge: [0; 32],
        })
    }

    /// The adversary's best score for one challenge: its draws are seeded by the challenge.
    fn adversary_score(&self, challenge: &[u8; 32], h: u64) -> Option<Score> {
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
        let mut best: Option<(u64, Slot, [u8; 32], Score)> = None;
        for s in 0u32..10_000 {
            let open = node
                .timestamp_ms
                .saturating_add(u64::from(s) * self.cfg.slot_ms);
            if best.is_some_and(|b| open >= b.0) {
                break;
            }
            let c = derive_challenge(&self.spec.chain_id, height, Slot(s), &node.beta).0;
            let Some(sc) = self.adversary_score(&c, node.height.0) else {
                continue;
            };
            let d = deadline_ms(sc, difficulty);
            let Some(ts) = earliest_timestamp(node.timestamp_ms, Slot(s), self.cfg.slot_ms, d)
            else {
                continue;
            };
            if best.is_none_or(|b| ts < b.0) {
                best = Some((ts, Slot(s), c, sc));
            }
        }
        let (ts, slot, c, score) = best?;
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

    /// The grinder's choice among its keys: the one whose output gives it the earliest-looking
    /// next block (lowest score at slot 0 of the next height).
    fn grind(&self, found: &Found, height: Height) -> Option<SimBlock> {
        let next = height.next()?;
        let mut best: Option<(Score, VrfPublicKey, VrfOutput)> = None;
        for pk in grind_keys() {
            let beta = vrf_output(pk, &found.challenge);
            let c = derive_challenge(&self.spec.chain_id, next, Slot(0), &beta).0;
            let Some(sc) = self.adversary_score(&c, height.0) else {
                continue;
            };
            if best.as_ref().is_none_or(|b| sc < b.0) {
                best = Some((sc, *pk, beta));
            }
        }
        let (_, pk, beta) = best?;
        Some(SimBlock {
            vrf_pk: Some(pk),
            beta,
            ..found.block
        })
    }
}

/// Plot count of `count` plots at height `h` with the run's space change.
fn scaled(cfg: &SimConfig, count: u32, h: u64) -> u32 {
    let frac = h as f64 / cfg.heights.max(1) as f64;
    let n = f64::from(count) * cfg.space_change.powf(frac);
    (n.round() as u32).max(1)
}

/// What publishing some blocks did.
#[derive(Default)]
struct Tally {
    reorgs: u64,
    max_depth: u64,
    refused: u64,
    /// The PoW clock when finality is on: accepted blocks are anchored by the honest nodes.
    pow: Option<PowClock>,
}

fn publish(public: &mut ChainState, blocks: &[SimBlock], tally: &mut Tally) {
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
            Err(RejectError::ConflictsWithFinal { .. }) if tally.pow.is_some() => {
                if let Some(pow) = tally.pow.as_mut() {
                    pow.refused_conflicting += 1;
                }
            }
            Err(RejectError::UnknownParent(_)) if tally.pow.is_some() => {
                // The child of a block refused as conflicting with the final block.
                if let Some(pow) = tally.pow.as_mut() {
                    pow.refused_conflicting += 1;
                }
            }
            Err(e) => panic!("an adversary block broke a rule it follows: {e}"),
        }
    }
}

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
                    let height = own
                        .node(&found.block.parent)
                        .map(|n| n.height.next().unwrap_or(n.height))
                        .expect("known parent");
                    if let Some(ground) = r.grind(&found, height) {
                        let before = tally.refused;
                        publish(&mut public, &[ground], &mut tally);
                        if tally.refused == before {
                            own.accept_simulated(&ground).expect("accepted publicly");
                            continue;
                        }
                    }
                    publish(&mut public, &[found.block], &mut tally);
                }
                Strategy::Withhold => private.push(found.block),
                Strategy::PrivateChain => {
                    private.push(found.block);
                    reveal_if_deep(&mut public, &own, &mut private, &mut tally);
                }
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
            let lead_before = priv_height.saturating_sub(old_height);
            match adv.strategy {
                Strategy::Withhold => {
                    if lead_before <= 2 {
                        // Tie (lead 1) or win by one (lead 2): publish everything.
                        publish(&mut public, &private, &mut tally);
                        private.clear();
                    } else {
                        // Keep the lead: publish up to the new public height.
                        let new_height = public.best().height.0;
                        let keep = (priv_height - new_height) as usize;
                        let n = private.len().saturating_sub(keep);
                        publish(&mut public, &private[..n], &mut tally);
                        private.drain(..n);
                    }
                }
                Strategy::PrivateChain => {
                    let behind = public.best().height.0.saturating_sub(priv_height);
                    if behind > GIVE_UP_BEHIND {
                        private.clear();
                    } else {
                        reveal_if_deep(&mut public, &own, &mut private, &mut tally);
                    }
                }
                Strategy::VrfGrind => private.clear(),
            }
        }
    }
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
    let honest_w: f64 = cfg
        .farmers
        .iter()
        .map(|f| weight(f.k) as f64 * f64::from(f.count))
        .sum();
    let adv_w = weight(adv_k) as f64 * f64::from(adv_count);
    let report = AdversaryReport {
        strategy: adv.strategy,
        weight_share: adv_w / (adv_w + honest_w),
        block_share: blocks as f64 / heights.max(1) as f64,
        reorgs_caused: tally.reorgs,
        max_reorg_depth: tally.max_depth,
        refused_blocks: tally.refused,
        finality: tally.pow.as_ref().map(|p| p.report(&public)),
    };
    (public, report, (adv_k, adv_count))
}
