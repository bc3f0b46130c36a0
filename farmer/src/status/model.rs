//! The JSON of the farmer's status endpoints (`GET /status.json`, `GET /history.json`), as typed
//! structs written once: the farmer serialises them, `masspoc farm summary` and the status page
//! read them. `docs/farming.md` ("Status page") shows the exact JSON.
//!
//! Additive evolution as in `masspoc-api`: new fields get `#[serde(default)]`.

pub use crate::remote::HarvesterView;
use serde::{Deserialize, Serialize};

/// `GET /status.json`: the farm now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FarmStatus {
    /// The farmer's clock, ms since the Unix epoch.
    pub now_ms: u64,
    /// When this farmer process started, ms since the Unix epoch.
    pub started_ms: u64,
    /// The farmer public key (hex).
    pub farmer_pk: String,
    /// Time between two history points, ms.
    pub interval_ms: u64,
    /// How far back the `*_24h` counts reach: 24 h, or less while the history is younger
    /// (or the interval shorter than 10 s).
    pub window_ms: u64,
    /// The lookup budget of one round, ms.
    pub lookup_budget_ms: u64,
    /// Local plots: count, bytes and weight (the sum of `k · 2^k`).
    pub local: Space,
    /// Space of the connected harvesters (weight estimated from bytes, see `docs/farming.md`).
    pub remote: Space,
    /// Plot directories (one per disk) and their plots.
    pub disks: Vec<DiskStatus>,
    /// The paired harvesters.
    pub harvesters: Vec<HarvesterView>,
    /// The farmed chains.
    pub chains: Vec<ChainStatus>,
    /// Alerts whose condition holds now.
    #[serde(default)]
    pub alerts: Vec<ActiveAlert>,
}

/// Plots, bytes and weight.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Space {
    /// Plots.
    pub plots: u64,
    /// Bytes of plot files.
    pub bytes: u64,
    /// Weight: the sum of `k · 2^k` (decimal string).
    #[serde(with = "masspoc_api::u128_string")]
    pub weight: u128,
}

/// One plot directory (one disk).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiskStatus {
    /// The directory.
    pub path: String,
    /// Whether it could be listed at its last scan.
    pub available: bool,
    /// Its plots in the set.
    pub plots: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Lookups of its plots that overran the budget and have not returned.
    pub stalled_lookups: u64,
    /// Files skipped at the last scan, with the reason (bad checksum, truncated, foreign key…).
    pub skipped: Vec<SkippedFile>,
    /// Its plots (the first [`super::MAX_PLOTS_LISTED`] by path), each with its state.
    pub plot_list: Vec<PlotStatus>,
}

/// A plot file the last scan skipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedFile {
    /// The file.
    pub path: String,
    /// Why.
    pub reason: String,
}

/// One plot and its state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlotStatus {
    /// The plot file.
    pub path: String,
    /// Its size parameter.
    pub k: u8,
    /// Its file length.
    pub bytes: u64,
    /// `ok`, `stalled` (a lookup overran the budget and has not returned) or `broken` (its map
    /// failed: truncated in place or a failing disk; dropped at the next rescan).
    pub state: PlotState,
}

/// The state of a plot in the set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlotState {
    /// Farmed.
    Ok,
    /// A lookup overran the budget and has not returned; skipped until it does.
    Stalled,
    /// Its map failed; dropped and opened again at the next rescan.
    Broken,
}

/// One farmed chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainStatus {
    /// Its label (name or id, as in the config).
    pub label: String,
    /// Its chain id (hex), once a chain node named it.
    pub chain_id: Option<String>,
    /// Whether the last status request to its chain node was answered.
    pub reachable: bool,
    /// Best tip height, per the chain node.
    pub height: Option<u64>,
    /// Difficulty of the next header.
    pub difficulty: Option<u64>,
    /// The chain's target interval, ms.
    pub target_interval_ms: Option<u64>,
    /// The chain's total weight estimated from its difficulty (decimal string).
    #[serde(with = "opt_u128")]
    pub network_weight: Option<u128>,
    /// This farmer's share of it (local plus harvesters), parts per million.
    pub share_ppm: Option<u64>,
    /// Expected time between this farmer's wins: target interval / share, ms.
    pub expected_win_ms: Option<u64>,
    /// Proofs found in the window (`window_ms`).
    pub proofs_24h: u64,
    /// Headers signed in the window.
    pub signed_24h: u64,
    /// Headers the chain node accepted in the window.
    pub accepted_24h: u64,
    /// Rounds whose lookups overran the budget in the window.
    pub over_budget_24h: u64,
    /// Since start: rounds, proofs, signed, accepted, rejected, over budget.
    pub totals: ChainTotals,
    /// The last error, if any.
    pub last_error: Option<LastError>,
}

/// Counters of a chain since the farmer started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainTotals {
    /// Rounds (challenges looked up).
    pub rounds: u64,
    /// Proofs found.
    pub proofs: u64,
    /// Headers signed.
    pub signed: u64,
    /// Headers accepted.
    pub accepted: u64,
    /// Headers refused.
    pub rejected: u64,
    /// Rounds over the lookup budget.
    pub over_budget: u64,
}

/// An error and when it happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastError {
    /// ms since the Unix epoch.
    pub at_ms: u64,
    /// What went wrong.
    pub message: String,
}

/// An alert whose condition holds now (see `docs/farming.md`, "Alerts").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActiveAlert {
    /// Its kind (`plot_missing`, `over_budget`, …).
    pub kind: String,
    /// Where (a plot path, a chain, a harvester).
    pub subject: String,
    /// What happened.
    pub what: String,
    /// What to do.
    pub todo: String,
    /// Since when it holds, ms since the Unix epoch.
    pub since_ms: u64,
}

/// `GET /history.json[?after=T]`: columns of the history ring, oldest first (only points later
/// than `T` ms when asked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    /// Time between points, ms.
    pub interval_ms: u64,
    /// Each point's time, ms since the Unix epoch.
    pub t_ms: Vec<u64>,
    /// Round lookup latency p50 over the interval, µs (`null`: no round).
    pub p50_us: Vec<Option<u64>>,
    /// Round lookup latency p99 over the interval, µs.
    pub p99_us: Vec<Option<u64>>,
    /// Per chain, in the order of `status.json`'s `chains`.
    pub chains: Vec<ChainHistory>,
}

/// One chain's columns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainHistory {
    /// The chain's label.
    pub label: String,
    /// Proofs found in each interval.
    pub proofs: Vec<u32>,
    /// Headers signed in each interval.
    pub signed: Vec<u32>,
    /// Headers accepted in each interval.
    pub accepted: Vec<u32>,
}

/// An optional u128 as an optional decimal string.
mod opt_u128 {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<u128>, s: S) -> Result<S::Ok, S::Error> {
        v.map(|x| x.to_string()).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u128>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|s| s.parse().map_err(serde::de::Error::custom))
            .transpose()
    }
}
