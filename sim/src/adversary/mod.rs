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
//! Strategies (`docs/protocol.md` §11, "Adversaries"), one file each:
//! - `vrf-grind` ([`vrf_grind`]): on each block it wins it tries [`GRIND_KEYS`] other VRF keys,
//!   keeps the one whose output gives it the best next challenge and publishes that block; the
//!   real rule (`vrf_key_not_bound`) refuses it, and it falls back to its bound key.
//! - `withhold` ([`withhold`]): selfish mining: keeps its blocks private while ahead, publishes
//!   one to tie when the honest chain catches up to within one block, all of them when its lead
//!   would drop to one.
//! - `private-chain` ([`private_chain`]): builds a secret branch from the public tip and
//!   publishes it whole once it is heavier than the public chain and would replace at least
//!   [`REVEAL_DEPTH`] public blocks; abandons it (and starts again from the public tip) when
//!   [`GIVE_UP_BEHIND`] blocks behind.
//!
//! The race itself (both sides finding blocks, the event loop) is in `race`; publishing blocks
//! to the honest nodes and counting what that did is in `publish`.

mod private_chain;
mod publish;
mod race;
mod vrf_grind;
mod withhold;

pub use private_chain::{GIVE_UP_BEHIND, REVEAL_DEPTH};
pub(crate) use race::race;
pub use vrf_grind::GRIND_KEYS;

use masspoc_proof::vrf::{VrfOutput, VrfPublicKey, VrfSecretKey};
use masspoc_proof::FarmerPublicKey;
use serde::Serialize;
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

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
