//! Chain parameters, the chain id that commits to them, and the genesis they define.

use crate::error::ParamsError;
use crate::types::{Beacon, ChainId, HeaderHash, Height};
use masspoc_proof::vrf::VrfOutput;
use masspoc_proof::{FilterBits, ProbeBits};
use serde::{Deserialize, Serialize};

/// Domain tag of the chain id.
pub const CHAIN_ID_TAG: &[u8] = b"masspoc/v1/chain";
/// Domain tag of the genesis hash.
pub const GENESIS_HASH_TAG: &[u8] = b"masspoc/v1/genesis";
/// Domain tag of the genesis VRF output (the "parent beta" of height 1).
pub const GENESIS_BETA_TAG: &[u8] = b"masspoc/v1/genesis-beta";
/// Most bytes one core may fake per target interval on a chain `bridge run` hosts without
/// `--allow-weak-params`: 1 GiB.
pub const WEAK_PARAMS_LIMIT_BYTES: u128 = 1 << 30;
/// Longest chain name, in bytes of UTF-8.
pub const MAX_NAME_LEN: usize = 64;

/// The consensus parameters of one chain instance. All of them are committed to by the chain id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainParams {
    /// Human-readable name, 1 to 64 bytes of UTF-8.
    pub name: String,
    /// The proof-of-work block hash the chain starts from (display order, as RPC shows it).
    pub beacon: Beacon,
    /// Timestamp of genesis, ms since the Unix epoch.
    pub genesis_time_ms: u64,
    /// Target mean block interval, ms (at least 1).
    pub target_interval_ms: u64,
    /// Extra delay per slot, ms (at least the target interval).
    pub slot_ms: u64,
    /// Challenge filter bits, 0 to 32 (checked when parsed).
    pub filter_bits: FilterBits,
    /// Smallest plot k accepted, 16 to 40.
    pub min_k: u8,
    /// Difficulty of height 1 (at least 1).
    pub initial_difficulty: u64,
    /// Retarget window in blocks (1 to 10,000).
    pub retarget_window: u32,
    /// How far a timestamp may be ahead of the checker's clock, ms.
    pub max_future_drift_ms: u64,
    /// The probe window's bit count `b`, 0 to 16 and below `min_k`: a proof answers a challenge
    /// when its `F` agrees with the challenge's index on the top `k − b` bits (0, the default
    /// when a parameter file omits it, is the single index).
    #[serde(default)]
    pub probe_bits: ProbeBits,
    /// How many PoW blocks must contain or follow an anchor before it counts for finality (1 to
    /// 1,000; 6 when a parameter file omits it). `docs/protocol.md` §14.
    #[serde(default = "default_anchor_confirmations")]
    pub anchor_confirmations: u32,
    /// `R`: how many PoW blocks an anchor must be older than before the blocks below it may become
    /// final (1 to 100,000; 48 when omitted).
    #[serde(default = "default_finality_window")]
    pub finality_window: u32,
    /// `c`: how many PoC blocks a final block lies at least below the best anchored block (1 to
    /// 100,000; 32 when omitted).
    #[serde(default = "default_finality_depth")]
    pub finality_depth: u32,
}

/// `anchor_confirmations` when a parameter file omits it.
pub const DEFAULT_ANCHOR_CONFIRMATIONS: u32 = 6;
/// `finality_window` (R) when a parameter file omits it.
pub const DEFAULT_FINALITY_WINDOW: u32 = 48;
/// `finality_depth` (c) when a parameter file omits it.
pub const DEFAULT_FINALITY_DEPTH: u32 = 32;

fn default_anchor_confirmations() -> u32 {
    DEFAULT_ANCHOR_CONFIRMATIONS
}
fn default_finality_window() -> u32 {
    DEFAULT_FINALITY_WINDOW
}
fn default_finality_depth() -> u32 {
    DEFAULT_FINALITY_DEPTH
}

impl ChainParams {
    /// Checks every parameter's range.
    pub fn validate(&self) -> Result<(), ParamsError> {
        let bad = |name, why: &str| {
            Err(ParamsError::Invalid {
                name,
                why: why.to_string(),
            })
        };
        if self.name.is_empty() || self.name.len() > MAX_NAME_LEN {
            return bad("name", "must be 1 to 64 bytes");
        }
        if self.target_interval_ms == 0 {
            return bad("target_interval_ms", "must be at least 1");
        }
        if self.slot_ms < self.target_interval_ms {
            return bad("slot_ms", "must be at least target_interval_ms");
        }
        if !(masspoc_proof::K::MIN..=masspoc_proof::K::MAX).contains(&self.min_k) {
            return bad("min_k", "must be in [16, 40]");
        }
        if self.initial_difficulty == 0 {
            return bad("initial_difficulty", "must be at least 1");
        }
        if self.retarget_window == 0 || self.retarget_window > 10_000 {
            return bad("retarget_window", "must be in [1, 10000]");
        }
        if self.probe_bits.get() >= u32::from(self.min_k) {
            return bad("probe_bits", "must be below min_k");
        }
        if !(1..=1_000).contains(&self.anchor_confirmations) {
            return bad("anchor_confirmations", "must be in [1, 1000]");
        }
        if !(1..=100_000).contains(&self.finality_window) {
            return bad("finality_window", "must be in [1, 100000]");
        }
        if !(1..=100_000).contains(&self.finality_depth) {
            return bad("finality_depth", "must be in [1, 100000]");
        }
        Ok(())
    }

    /// The canonical encoding hashed into the chain id (`docs/protocol.md`, "Chain id").
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(128);
        b.push(self.name.len() as u8);
        b.extend_from_slice(self.name.as_bytes());
        b.extend_from_slice(self.beacon.as_bytes());
        b.extend_from_slice(&self.genesis_time_ms.to_le_bytes());
        b.extend_from_slice(&self.target_interval_ms.to_le_bytes());
        b.extend_from_slice(&self.slot_ms.to_le_bytes());
        b.push(self.filter_bits.get() as u8);
        b.push(self.min_k);
        b.extend_from_slice(&self.initial_difficulty.to_le_bytes());
        b.extend_from_slice(&self.retarget_window.to_le_bytes());
        b.extend_from_slice(&self.max_future_drift_ms.to_le_bytes());
        b.push(self.probe_bits.get() as u8);
        b.extend_from_slice(&self.anchor_confirmations.to_le_bytes());
        b.extend_from_slice(&self.finality_window.to_le_bytes());
        b.extend_from_slice(&self.finality_depth.to_le_bytes());
        b
    }

    /// What one core fakes per target interval at these parameters by recomputing plots instead
    /// of storing them (`masspoc_proof::forge`, `docs/protocol.md` "What faking space costs").
    /// `None` if `min_k` is out of range (a parameter set that does not validate).
    #[must_use]
    pub fn fake_capacity(&self) -> Option<masspoc_proof::forge::FakeCapacity> {
        let k = masspoc_proof::K::new(self.min_k).ok()?;
        Some(masspoc_proof::forge::fake_capacity(
            k,
            self.filter_bits.get(),
            self.target_interval_ms,
        ))
    }

    /// Whether one core fakes more than [`WEAK_PARAMS_LIMIT_BYTES`] per target interval at these
    /// parameters (`bridge run` refuses such chains unless `--allow-weak-params`).
    #[must_use]
    pub fn is_weak(&self) -> bool {
        self.fake_capacity()
            .is_none_or(|c| c.bytes > WEAK_PARAMS_LIMIT_BYTES)
    }

    /// `BLAKE3(CHAIN_ID_TAG || encode(params))`.
    #[must_use]
    pub fn chain_id(&self) -> ChainId {
        let mut h = blake3::Hasher::new();
        h.update(CHAIN_ID_TAG);
        h.update(&self.encode());
        ChainId(*h.finalize().as_bytes())
    }

    /// The genesis these parameters define.
    #[must_use]
    pub fn genesis(&self) -> Genesis {
        Genesis::of(self)
    }
}

/// The virtual block at height 0: no proof, no signature, only what height 1 builds on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Genesis {
    /// The chain id.
    pub chain_id: ChainId,
    /// `BLAKE3(GENESIS_HASH_TAG || chain_id)`: the `prev_hash` of height 1.
    pub hash: HeaderHash,
    /// The first 64 bytes of the BLAKE3 XOF of `GENESIS_BETA_TAG || chain_id`: the parent VRF
    /// output from which height 1's challenges are derived.
    pub beta: VrfOutput,
    /// The genesis timestamp.
    pub timestamp_ms: u64,
    /// Height 0.
    pub height: Height,
}

impl Genesis {
    /// Derives the genesis of a parameter set.
    #[must_use]
    pub fn of(params: &ChainParams) -> Genesis {
        let chain_id = params.chain_id();
        let mut h = blake3::Hasher::new();
        h.update(GENESIS_HASH_TAG);
        h.update(chain_id.as_bytes());
        let hash = HeaderHash(*h.finalize().as_bytes());
        let mut h = blake3::Hasher::new();
        h.update(GENESIS_BETA_TAG);
        h.update(chain_id.as_bytes());
        let mut beta = [0u8; 64];
        h.finalize_xof().fill(&mut beta);
        Genesis {
            chain_id,
            hash,
            beta: VrfOutput(beta),
            timestamp_ms: params.genesis_time_ms,
            height: Height(0),
        }
    }
}

/// Validated parameters with their derived chain id and genesis, computed once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainSpec {
    /// The parameters.
    pub params: ChainParams,
    /// Their chain id.
    pub chain_id: ChainId,
    /// Their genesis.
    pub genesis: Genesis,
}

impl ChainSpec {
    /// Validates the parameters and derives the chain id and genesis.
    pub fn new(params: ChainParams) -> Result<ChainSpec, ParamsError> {
        params.validate()?;
        let genesis = params.genesis();
        Ok(ChainSpec {
            chain_id: genesis.chain_id,
            genesis,
            params,
        })
    }
}
