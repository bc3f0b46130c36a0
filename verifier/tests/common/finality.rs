//! Shared setup of the finality tests (`docs/protocol.md` §14): chain parameters with small
//! anchoring numbers, an attacker farmer, a PoW chain modelled as the list of anchored PoC hashes
//! per PoW height (what a node's follower reads from its verified PoW headers), growing real
//! branches, anchoring them, following the PoW chain, delivering blocks like a node, and the final
//! height the rule gives.

use super::{block_on, candidate, farmers};
use masspoc_verifier::testkit::TestFarmer;
use masspoc_verifier::{Block, ChainParams, ChainSpec, ChainState, HeaderHash, RejectError};
use std::sync::OnceLock;

/// Confirmations an anchor needs (`anchor_confirmations`).
pub const CONF: u32 = 2;
/// PoW blocks an anchored height takes to mature (`finality_window`).
pub const R: u32 = 3;
/// PoC blocks the final block stays below the confirmed candidate (`finality_depth`).
pub const C: u32 = 4;

/// The test chain's parameters with [`CONF`], [`R`] and [`C`].
pub fn params() -> ChainParams {
    let mut p = super::params();
    p.anchor_confirmations = CONF;
    p.finality_window = R;
    p.finality_depth = C;
    p
}

/// The chain spec of [`params`].
pub fn spec() -> ChainSpec {
    ChainSpec::new(params()).unwrap()
}

/// An attacker with three times the space of one honest farmer (12 k = 16 plots against 4).
pub fn attacker() -> &'static TestFarmer {
    static A: OnceLock<TestFarmer> = OnceLock::new();
    A.get_or_init(|| TestFarmer::new([40; 32], &[16; 12]))
}

/// A PoW chain: `pow[j]` = the PoC hashes anchored at PoW height `j` (height 0 is the beacon).
pub type Pow = Vec<Vec<HeaderHash>>;

/// Grows `n` blocks on `parent` in a builder state (no anchors, so it accepts any branch), each
/// block by whichever of `who` offers the earliest timestamp (a race); returns them in order.
pub fn grow(
    builder: &mut ChainState,
    parent: HeaderHash,
    who: &[&TestFarmer],
    n: usize,
    tag: u8,
) -> Vec<Block> {
    let mut out = Vec::new();
    let mut p = parent;
    for _ in 0..n {
        let f = who
            .iter()
            .min_by_key(|f| candidate(builder, f, &p).2.timestamp_ms)
            .expect("a farmer");
        let b = block_on(builder, f, &p, tag);
        builder.accept_block(&b, None).expect("builder accepts");
        p = b.hash();
        out.push(b);
    }
    out
}

/// A builder state and `n` blocks on its genesis raced by honest farmers 0 and 1 (tag 1).
pub fn honest_chain(n: usize) -> (ChainState, Vec<Block>) {
    let mut builder = ChainState::new(spec());
    let g = builder.best().hash;
    let chain = grow(&mut builder, g, &[&farmers()[0], &farmers()[1]], n, 1);
    (builder, chain)
}

/// Honest anchoring: PoW block `j ≥ 1` anchors the blocks `per·(j−1) .. per·j` of `chain`.
pub fn anchor_each(chain: &[Block], per: usize) -> Pow {
    let mut pow: Pow = vec![Vec::new()];
    for c in chain.chunks(per) {
        pow.push(c.iter().map(Block::hash).collect());
    }
    pow
}

/// Records every PoW height's anchors, then moves the tip there (what a follower does).
pub fn follow(s: &mut ChainState, pow: &Pow, from: usize) {
    for (j, anchors) in pow.iter().enumerate().skip(from) {
        s.record_anchors(j as u64, anchors);
        s.set_pow_tip(j as u64);
    }
}

/// Accepts blocks like a node: a block whose parent is unknown waits and is retried; returns the
/// refusals other than a missing parent (hash, reason).
pub fn deliver(
    s: &mut ChainState,
    waiting: &mut Vec<Block>,
    blocks: &[Block],
) -> Vec<(HeaderHash, RejectError)> {
    let mut refused = Vec::new();
    waiting.extend_from_slice(blocks);
    loop {
        let mut progress = false;
        for w in std::mem::take(waiting) {
            match s.accept_block(&w, None) {
                Ok(_) => progress = true,
                Err(RejectError::UnknownParent(_)) => waiting.push(w),
                Err(e) => refused.push((w.hash(), e)),
            }
        }
        if !progress {
            return refused;
        }
    }
}

/// The final height the rule of `docs/protocol.md` §14 gives for one chain anchored `per` blocks
/// per PoW block (PoW block `j` anchors up to height `per·j`), `len` blocks long, PoW tip `tip`:
/// at confirmed height `p`, `C` is at `min(per·p, len)`, `M` at `min(per·(p−R), len)`, and the final
/// height is `min(M, C − c)` (never below what it was).
pub fn expected_final(per: u64, len: u64, tip: u64) -> u64 {
    let (conf, r, c) = (u64::from(CONF), u64::from(R), u64::from(C));
    let mut f = 0;
    for p in 1..=(tip + 1).saturating_sub(conf) {
        let cand = (per * p).min(len);
        let matured = if p > r { (per * (p - r)).min(len) } else { 0 };
        f = f.max(matured.min(cand.saturating_sub(c)));
    }
    f
}
