//! Honest block production over small in-memory plots, for tests, benchmarks and demos.
//!
//! [`MemPlot`] holds every valid pair of a small plot indexed by `F`; [`TestFarmer`] answers
//! challenges from its plots, evaluates the VRF and signs headers exactly as a real farmer must
//! (`docs/protocol.md`, "Producing a block"). Not for production farming: everything is in RAM.

use crate::block::Block;
use crate::body::Body;
use crate::challenge::{derive_challenge, Slot};
use crate::deadline::deadline_ms;
use crate::header::Header;
use crate::params::{ChainParams, ChainSpec};
use crate::rules::{earliest_timestamp, ParentInfo};
use crate::types::Beacon;
use crate::types::{HeaderHash, Height, PayloadRoot};
use ed25519_dalek::{Signer, SigningKey};
use masspoc_plot::reading::{read_candidates, PairIndex, PlotIdentity};
use masspoc_plot::ReadError;
use masspoc_proof::vrf::{self, VrfSecretKey};
use masspoc_proof::{
    f_many, p_fill, probe, quality, score, Challenge, FarmerPublicKey, FilterBits, PlotSeed,
    ProbeBits, Proof, Score, Window, F_BATCH, K,
};
use std::ops::ControlFlow;

/// Every valid pair of one plot, sorted by `(F(x, x'), x, x')` in memory; answers challenges
/// through the plot crate's reading seam ([`read_candidates`]), like a plot file.
#[derive(Debug, Clone)]
pub struct MemPlot {
    identity: PlotIdentity,
    /// `(F(x, x'), x, x')` of every valid pair, sorted.
    pairs: Vec<(u64, u64, u64)>,
}

/// No entry (end of a bucket chain).
const NONE: u32 = u32::MAX;

/// Calls `visit(x, x')` for every valid pair of a plot, in `x` order, until it breaks: the P
/// table bucketed by value (a linked list per value), each `x` whose P has the top bit clear
/// paired with every `x'` whose P is its complement. Linear in `2^k`; k <= 24.
fn for_each_pair<B>(
    plot_id: &masspoc_proof::PlotId,
    k: K,
    mut visit: impl FnMut(u64, u64) -> ControlFlow<B>,
) -> Option<B> {
    assert!(k.get() <= 24, "testkit plots are small (k <= 24)");
    let n = k.domain() as usize;
    let mut p = vec![0u64; n];
    p_fill(plot_id, k, 0, &mut p, &mut Vec::new());
    let mut head = vec![NONE; n];
    let mut next = vec![NONE; n];
    for (x, &v) in p.iter().enumerate() {
        next[x] = head[v as usize];
        head[v as usize] = x as u32;
    }
    for (x, &v) in p.iter().enumerate().filter(|(_, &v)| v < k.half()) {
        let mut y = head[(v ^ k.mask()) as usize];
        while y != NONE {
            if let ControlFlow::Break(b) = visit(x as u64, u64::from(y)) {
                return Some(b);
            }
            y = next[y as usize];
        }
    }
    None
}

/// A plot kept as nothing but its identity: each lookup recomputes its P table and pairs and
/// stops at the first pair whose `F` lies in the window of one of the given challenges (a valid
/// proof, not necessarily the plot's best). Makes thousands of farmers cheap where a test needs
/// many keys rather than a fair race (`tests/many_farmers.rs`). Returns the challenge's index.
fn first_answer(
    identity: &PlotIdentity,
    challenges: &[Challenge],
    filter_bits: FilterBits,
    probe_bits: ProbeBits,
) -> Option<(usize, Proof, Score)> {
    let (k, plot_id) = (identity.k, identity.plot_id);
    let wanted: Vec<(Window, usize)> = challenges
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            let pr = probe(&plot_id, k, c);
            let w = probe_bits.window(k, pr.z).ok()?;
            pr.passes(filter_bits).then_some((w, i))
        })
        .collect();
    if wanted.is_empty() {
        return None;
    }
    let mut batch: Vec<(u64, u64)> = Vec::with_capacity(F_BATCH);
    let mut f = vec![0u64; F_BATCH];
    let mut check = |batch: &mut Vec<(u64, u64)>| {
        f_many(&plot_id, k, batch, &mut f);
        let found = batch.iter().zip(&f).find_map(|(&(x, x_prime), z)| {
            let &(_, i) = wanted.iter().find(|(w, _)| w.contains(*z))?;
            let q = quality(&plot_id, &challenges[i], x, x_prime);
            Some((i, identity.proof(x, x_prime), score(&q, k)))
        });
        batch.clear();
        found
    };
    for_each_pair(&plot_id, k, |x, xp| {
        batch.push((x, xp));
        if batch.len() < F_BATCH {
            return ControlFlow::Continue(());
        }
        check(&mut batch).map_or(ControlFlow::Continue(()), ControlFlow::Break)
    })
    .or_else(|| check(&mut batch))
}

impl MemPlot {
    /// Builds the plot of `farmer_pk`, `k`, `seed` (k = 16 takes a few milliseconds; k above 24
    /// is refused by a panic: test plots are small).
    #[must_use]
    pub fn generate(farmer_pk: FarmerPublicKey, k: K, seed: PlotSeed) -> MemPlot {
        let identity = PlotIdentity::new(farmer_pk, k, seed);
        let plot_id = identity.plot_id;
        let mut pairs = Vec::with_capacity(k.domain() as usize / 2);
        for_each_pair(&plot_id, k, |x, xp| {
            pairs.push((x, xp));
            ControlFlow::<()>::Continue(())
        });
        let mut f = vec![0u64; pairs.len()];
        f_many(&plot_id, k, &pairs, &mut f);
        let mut pairs: Vec<(u64, u64, u64)> = pairs
            .into_iter()
            .zip(f)
            .map(|((x, xp), z)| (z, x, xp))
            .collect();
        pairs.sort_unstable();
        MemPlot { identity, pairs }
    }

    /// The best-scoring proof for a challenge, if the plot passes the filter and holds a pair
    /// in the challenge's window.
    #[must_use]
    pub fn prove(
        &self,
        challenge: &Challenge,
        filter_bits: FilterBits,
        probe_bits: ProbeBits,
    ) -> Option<(Proof, Score)> {
        read_candidates(self, &self.identity, challenge, filter_bits, probe_bits)
            .ok()??
            .into_iter()
            .map(|f| (f.proof, f.score))
            .min_by_key(|(_, s)| *s)
    }
}

impl PairIndex for MemPlot {
    fn window_pairs(&self, window: Window, out: &mut Vec<(u64, u64)>) -> Result<(), ReadError> {
        let start = self.pairs.partition_point(|p| p.0 < window.first());
        out.extend(
            self.pairs[start..]
                .iter()
                .take_while(|p| p.0 <= window.last())
                .map(|&(_, x, xp)| (x, xp)),
        );
        Ok(())
    }
}

/// An honest farmer with in-memory plots.
#[derive(Debug, Clone)]
pub struct TestFarmer {
    signing: SigningKey,
    vrf: VrfSecretKey,
    plots: Vec<MemPlot>,
    /// Plots not stored but recomputed at each lookup ([`TestFarmer::recomputing`]).
    recomputed: Vec<PlotIdentity>,
}

/// A block candidate: the proof, slot and earliest timestamp a farmer can offer.
#[derive(Debug, Clone, Copy)]
pub struct Candidate {
    /// The slot answered.
    pub slot: Slot,
    /// The proof.
    pub proof: Proof,
    /// The earliest allowed timestamp.
    pub timestamp_ms: u64,
}

impl TestFarmer {
    /// A farmer whose signing key is the ed25519 key of `seed`, VRF key the one bound to it
    /// ([`vrf::bound_vrf_secret`]), and one plot per entry of `ks` (plot seeds derived from
    /// `seed`).
    #[must_use]
    pub fn new(seed: [u8; 32], ks: &[u8]) -> TestFarmer {
        let mut f = TestFarmer::recomputing(seed, ks);
        f.plots = f
            .recomputed
            .drain(..)
            .map(|p| MemPlot::generate(p.farmer_pk, p.k, p.plot_seed))
            .collect();
        f
    }

    /// The same farmer, with the same plots, but storing none of them: every lookup recomputes
    /// the plot and takes the first pair that answers one of the slots' challenges, so a
    /// candidate is valid but not the farmer's best (for tests that need many farmer keys, not a
    /// fair race; a few milliseconds per lookup and no memory).
    #[must_use]
    pub fn recomputing(seed: [u8; 32], ks: &[u8]) -> TestFarmer {
        let signing = SigningKey::from_bytes(&seed);
        let vrf = vrf::bound_vrf_secret(&seed);
        let pk = FarmerPublicKey(signing.verifying_key().to_bytes());
        let recomputed = ks
            .iter()
            .enumerate()
            .map(|(i, &k)| {
                let mut h = blake3::Hasher::new();
                h.update(b"testkit plot seed");
                h.update(&seed);
                h.update(&(i as u64).to_le_bytes());
                let k = K::new(k).expect("testkit k in [16, 40]");
                PlotIdentity::new(pk, k, PlotSeed(*h.finalize().as_bytes()))
            })
            .collect();
        TestFarmer {
            signing,
            vrf,
            plots: Vec::new(),
            recomputed,
        }
    }

    /// The farmer's signing key.
    #[must_use]
    pub fn farmer_pk(&self) -> FarmerPublicKey {
        FarmerPublicKey(self.signing.verifying_key().to_bytes())
    }

    /// The best proof across the farmer's plots.
    #[must_use]
    pub fn best_proof(
        &self,
        challenge: &Challenge,
        filter_bits: FilterBits,
        probe_bits: ProbeBits,
    ) -> Option<(Proof, Score)> {
        self.plots
            .iter()
            .filter_map(|p| p.prove(challenge, filter_bits, probe_bits))
            .min_by_key(|(_, s)| *s)
    }

    /// The candidate with the earliest timestamp over slots `0..max_slots`.
    #[must_use]
    pub fn candidate(
        &self,
        spec: &ChainSpec,
        parent: &ParentInfo,
        difficulty: u64,
        max_slots: u32,
    ) -> Option<Candidate> {
        let height = Height(parent.height.0 + 1);
        let challenges: Vec<Challenge> = (0..max_slots)
            .map(|s| derive_challenge(&spec.chain_id, height, Slot(s), &parent.beta))
            .collect();
        let (fb, pb) = (spec.params.filter_bits, spec.params.probe_bits);
        let stored = challenges
            .iter()
            .enumerate()
            .filter_map(|(s, c)| self.best_proof(c, fb, pb).map(|(p, sc)| (s, p, sc)));
        let recomputed = self
            .recomputed
            .iter()
            .filter_map(|p| first_answer(p, &challenges, fb, pb));
        stored
            .chain(recomputed)
            .filter_map(|(s, proof, sc)| {
                let slot = Slot(u32::try_from(s).ok()?);
                let d = deadline_ms(sc, difficulty);
                let ts = earliest_timestamp(parent.timestamp_ms, slot, spec.params.slot_ms, d)?;
                Some(Candidate {
                    slot,
                    proof,
                    timestamp_ms: ts,
                })
            })
            .min_by_key(|c| c.timestamp_ms)
    }

    /// A signed header for a candidate (any fields may be changed afterwards and re-signed with
    /// [`TestFarmer::sign`] to build negative tests).
    #[must_use]
    pub fn header(
        &self,
        spec: &ChainSpec,
        parent: &ParentInfo,
        difficulty: u64,
        c: &Candidate,
        payload_root: PayloadRoot,
    ) -> Header {
        let height = Height(parent.height.0 + 1);
        let challenge = derive_challenge(&spec.chain_id, height, c.slot, &parent.beta);
        let mut h = Header {
            chain_id: spec.chain_id,
            height,
            prev_hash: parent.hash,
            timestamp_ms: c.timestamp_ms,
            slot: c.slot,
            difficulty,
            proof: c.proof,
            vrf_pk: self.vrf.public(),
            vrf_proof: vrf::prove(&self.vrf, challenge.as_bytes()),
            payload_root,
            signature: [0; 64],
        };
        self.sign(&mut h);
        h
    }

    /// A signed block for a candidate carrying `body` (the header commits to its root).
    #[must_use]
    pub fn block(
        &self,
        spec: &ChainSpec,
        parent: &ParentInfo,
        difficulty: u64,
        c: &Candidate,
        body: Body,
    ) -> Block {
        Block {
            header: self.header(spec, parent, difficulty, c, body.root()),
            body,
        }
    }

    /// Re-evaluates the VRF over the header's challenge on top of `parent_beta`.
    pub fn reprove_vrf(&self, h: &mut Header, parent_beta: &masspoc_proof::vrf::VrfOutput) {
        let challenge = derive_challenge(&h.chain_id, h.height, h.slot, parent_beta);
        h.vrf_proof = vrf::prove(&self.vrf, challenge.as_bytes());
    }

    /// Signs (or re-signs) a header.
    pub fn sign(&self, h: &mut Header) {
        h.signature = self.signing.sign(&h.signing_message()).to_bytes();
    }

    /// The VRF secret key (to build headers with another one in tests).
    #[must_use]
    pub fn vrf_key(&self) -> &VrfSecretKey {
        &self.vrf
    }
}

/// Grows a chain of `n` honest headers on top of `parent` with farmers racing for each height
/// (the earliest candidate wins); returns the headers in order.
#[must_use]
pub fn grow_chain(
    state: &crate::state::ChainState,
    farmers: &[TestFarmer],
    parent: HeaderHash,
    n: usize,
) -> Vec<Header> {
    let mut state = state.clone();
    let mut tip = parent;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let info = state.parent_info(&tip).expect("tip known");
        let difficulty = state.next_difficulty(&tip).expect("tip known");
        let best = farmers
            .iter()
            .filter_map(|f| {
                f.candidate(state.spec(), &info, difficulty, 64)
                    .map(|c| (c, f))
            })
            .min_by_key(|(c, _)| c.timestamp_ms);
        let (c, f) = best.expect("some farmer has a proof within 64 slots");
        let h = f.header(state.spec(), &info, difficulty, &c, Body::empty_root());
        state.accept_header(&h, None).expect("honest header valid");
        tip = h.hash();
        out.push(h);
    }
    out
}

/// A weak test chain `name` on `beacon`: 2 s blocks in 12 s slots, k = 16 plots, no plot filter
/// and no probe window, a difficulty a few k = 16 plots meet within seconds, a genesis in
/// November 2023 and the protocol's finality defaults. Tests change what they need with
/// `ChainParams { field: …, ..weak_params(…) }`; far too weak for a real chain (`bridge run`
/// refuses it without `--allow-weak-params`).
#[must_use]
pub fn weak_params(name: &str, beacon: Beacon) -> ChainParams {
    ChainParams {
        name: name.into(),
        beacon,
        genesis_time_ms: 1_700_000_000_000,
        target_interval_ms: 2_000,
        slot_ms: 12_000,
        filter_bits: FilterBits::NONE,
        min_k: 16,
        initial_difficulty: 2_000,
        retarget_window: 16,
        max_future_drift_ms: 15_000,
        probe_bits: ProbeBits::NONE,
        anchor_confirmations: crate::params::DEFAULT_ANCHOR_CONFIRMATIONS,
        finality_window: crate::params::DEFAULT_FINALITY_WINDOW,
        finality_depth: crate::params::DEFAULT_FINALITY_DEPTH,
    }
}

/// The chain parameters of the benchmarks (`cargo bench -p masspoc-verifier` and
/// `masspoc bench verify`): filter 0 and k = 16 plots, so every plot answers every challenge.
#[must_use]
pub fn bench_params() -> ChainParams {
    ChainParams {
        name: "bench".into(),
        beacon: Beacon([1; 32]),
        genesis_time_ms: 0,
        target_interval_ms: 1_000,
        slot_ms: 6_000,
        filter_bits: FilterBits::NONE,
        min_k: 16,
        initial_difficulty: 20_000,
        retarget_window: 64,
        max_future_drift_ms: 15_000,
        probe_bits: ProbeBits::NONE,
        anchor_confirmations: crate::params::DEFAULT_ANCHOR_CONFIRMATIONS,
        finality_window: crate::params::DEFAULT_FINALITY_WINDOW,
        finality_depth: crate::params::DEFAULT_FINALITY_DEPTH,
    }
}
