//! The chains a bridge hosts: a TOML file of `[[chain]]` tables, each a `ChainParams`
//! (`docs/protocol.md`), e.g.
//!
//! ```toml
//! [[chain]]
//! name = "alpha"
//! beacon = "530827f38f93b43ed12af0b3ad25a288dc02ed74d6d7857862df51fc56c416f9"
//! genesis_time_ms = 1767225600000   # the current time when the file is written (docs/bridge.md)
//! target_interval_ms = 2000
//! slot_ms = 12000
//! filter_bits = 0
//! min_k = 16
//! initial_difficulty = 2000
//! retarget_window = 16
//! max_future_drift_ms = 15000
//! ```
//!
//! An optional `[anchoring]` table sets when anchors go out and what they may cost
//! (`docs/anchoring.md`, "When anchors go out"; amounts in litoshi):
//!
//! ```toml
//! [anchoring]
//! interval_s = 60
//! fee_budget_per_hour = 1000000
//! fee_budget_per_day = 10000000
//! max_unconfirmed = 10
//! bump_after_blocks = 6
//! ```
//!
//! An optional `[alerts]` table sends the node's alerts to a webhook and/or a command
//! (`docs/bridge.md`, "Alerts"):
//!
//! ```toml
//! [alerts]
//! webhook = "http://127.0.0.1:9000/masspoc"
//! command = ["/usr/local/bin/page-me"]
//! min_interval_secs = 300
//! stalled_secs = 600
//! wallet_low_litoshi = 1000000
//! ```
//!
//! An optional `[network]` table sets the chain network (`docs/network.md`), as
//! `--p2p-listen` and `--peer` do on the command line:
//!
//! ```toml
//! [network]
//! listen = ["/ip4/127.0.0.1/tcp/9737"]
//! peers = ["/ip4/127.0.0.1/tcp/9738"]
//! ```

use crate::anchor::AnchorConfig;
use crate::error::HostError;
use crate::pow::Hash256;
use crate::rpc::RpcClient;
use masspoc_verifier::{ChainParams, ChainSpec};
use serde::Deserialize;
use std::path::Path;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChainsFile {
    chain: Vec<ChainParams>,
    #[serde(default)]
    network: NetworkTable,
    #[serde(default)]
    anchoring: AnchoringTable,
    #[serde(default)]
    alerts: AlertsTable,
}

/// `[alerts]`: where the node's alerts go and when they fire (`docs/bridge.md`, "Alerts").
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct AlertsTable {
    webhook: Option<String>,
    command: Option<Vec<String>>,
    min_interval_secs: Option<u64>,
    stalled_secs: Option<u64>,
    wallet_low_litoshi: Option<u64>,
}

/// `[anchoring]`: when anchors go out and what they may cost (`docs/anchoring.md`). Every key
/// is optional; a missing one keeps the network's default. `bridge run`'s `--anchor-*` flags
/// fill the same struct and apply over the file's.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct AnchoringTable {
    /// Seconds between anchoring passes.
    pub interval_s: Option<u64>,
    /// Fee budget per rolling hour, litoshi.
    pub fee_budget_per_hour: Option<u64>,
    /// Fee budget per rolling day, litoshi.
    pub fee_budget_per_day: Option<u64>,
    /// Anchor transactions in flight at most.
    pub max_unconfirmed: Option<u64>,
    /// Blocks without confirmation before a fee bump.
    pub bump_after_blocks: Option<u64>,
    /// Items per batch at most.
    pub max_batch: Option<usize>,
    /// Confirmations before an anchor is final.
    pub confirmations: Option<u64>,
}

impl AnchoringTable {
    /// `self`'s settings over `base` (unset ones keep `base`'s), checked: `where_` names the
    /// source in errors (the chains file's `[anchoring]` table, or the command line's flags).
    pub fn apply(&self, base: AnchorConfig, where_: &str) -> Result<AnchorConfig, HostError> {
        let bad = |what: &str| HostError::Config(format!("{where_}: {what}"));
        let mut c = base;
        if let Some(s) = self.interval_s {
            c.interval = std::time::Duration::from_secs(s);
        }
        c.budget.per_hour = self.fee_budget_per_hour.unwrap_or(c.budget.per_hour);
        c.budget.per_day = self.fee_budget_per_day.unwrap_or(c.budget.per_day);
        c.max_unconfirmed = self.max_unconfirmed.unwrap_or(c.max_unconfirmed);
        c.bump_after_blocks = self.bump_after_blocks.unwrap_or(c.bump_after_blocks);
        c.max_batch = self.max_batch.unwrap_or(c.max_batch);
        c.confirmations = self.confirmations.unwrap_or(c.confirmations);
        if c.max_unconfirmed == 0 {
            return Err(bad("max_unconfirmed = 0 would never send an anchor"));
        }
        if c.max_batch == 0 {
            return Err(bad("max_batch must be at least 1"));
        }
        if c.budget.per_day < c.budget.per_hour {
            return Err(bad(&format!(
                "fee_budget_per_day ({}) is below fee_budget_per_hour ({})",
                c.budget.per_day, c.budget.per_hour
            )));
        }
        Ok(c)
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct NetworkTable {
    #[serde(default)]
    listen: Vec<String>,
    #[serde(default)]
    peers: Vec<String>,
}

fn read_file(path: &Path) -> Result<ChainsFile, HostError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| HostError::Config(format!("{}: {e}", path.display())))?;
    toml::from_str(&text).map_err(|e| HostError::Config(format!("{}: {e}", path.display())))
}

/// Reads the chains file's `[network]` table (empty settings without one).
pub fn load_network(path: &Path) -> Result<crate::service::P2pSettings, HostError> {
    let file = read_file(path)?;
    let parse = |list: &[String]| {
        list.iter()
            .map(|a| {
                a.parse::<masspoc_net::Multiaddr>().map_err(|e| {
                    HostError::Config(format!("{}: network address {a:?}: {e}", path.display()))
                })
            })
            .collect::<Result<Vec<_>, _>>()
    };
    Ok(crate::service::P2pSettings {
        listen: parse(&file.network.listen)?,
        peers: parse(&file.network.peers)?,
    })
}

/// Reads the chains file's `[alerts]` table (the defaults without one).
pub fn load_alerts(path: &Path) -> Result<crate::alerts::NodeAlertsConfig, HostError> {
    let t = read_file(path)?.alerts;
    let mut c = crate::alerts::NodeAlertsConfig::default();
    c.delivery.webhook = t.webhook;
    c.delivery.command = t.command;
    c.min_interval_secs = t.min_interval_secs.unwrap_or(c.min_interval_secs);
    c.stalled_secs = t.stalled_secs.unwrap_or(c.stalled_secs);
    c.wallet_low_litoshi = t.wallet_low_litoshi.unwrap_or(c.wallet_low_litoshi);
    c.delivery
        .validate("[alerts]")
        .map_err(|e| HostError::Config(format!("{}: {e}", path.display())))?;
    Ok(c)
}

/// Reads the chains file's `[anchoring]` table over `base` (the network's defaults).
pub fn load_anchoring(path: &Path, base: AnchorConfig) -> Result<AnchorConfig, HostError> {
    read_file(path)?
        .anchoring
        .apply(base, &format!("{}: [anchoring]", path.display()))
}

/// Reads and validates the chains file.
pub fn load_chains(path: &Path) -> Result<Vec<ChainSpec>, HostError> {
    read_file(path)?
        .chain
        .into_iter()
        .map(|p| {
            let name = p.name.clone();
            ChainSpec::new(p).map_err(|e| HostError::Config(format!("chain {name:?}: {e}")))
        })
        .collect()
}

/// Checks that every chain's genesis beacon is a block on the node's best chain, at least
/// `min_confirmations` deep.
pub fn check_beacons(
    specs: &[ChainSpec],
    rpc: &RpcClient,
    min_confirmations: i64,
) -> Result<(), HostError> {
    for spec in specs {
        let name = &spec.params.name;
        let beacon = Hash256::from_display_hex(&spec.params.beacon.to_hex())
            .map_err(|e| HostError::Config(format!("chain {name:?}: beacon: {e}")))?;
        let info = rpc.header_info(&beacon).map_err(|e| {
            HostError::Config(format!(
                "chain {name:?}: beacon {beacon} not known to the node: {e}"
            ))
        })?;
        if info.confirmations < min_confirmations {
            return Err(HostError::Config(format!(
                "chain {name:?}: beacon {beacon} has {} confirmations, {min_confirmations} needed",
                info.confirmations
            )));
        }
        check_genesis_after_beacon(name, spec.params.genesis_time_ms, info.time)?;
    }
    Ok(())
}

/// How far a chain's genesis may lie before its beacon block's timestamp: a PoW block's time may
/// run up to two hours ahead of real time (Bitcoin's and Litecoin's `MAX_FUTURE_BLOCK_TIME`).
pub const GENESIS_BEFORE_BEACON_MS: u64 = 2 * 60 * 60 * 1000;

/// Refuses a genesis more than [`GENESIS_BEFORE_BEACON_MS`] before its beacon block's time
/// (`beacon_time_s`, seconds; 0 = unknown, not checked): such a genesis was copied from an old
/// example, and the first farmer would claim every slot since it at once (docs/bridge.md).
pub fn check_genesis_after_beacon(
    name: &str,
    genesis_time_ms: u64,
    beacon_time_s: u64,
) -> Result<(), HostError> {
    let beacon_ms = beacon_time_s.saturating_mul(1000);
    if beacon_time_s == 0 || genesis_time_ms.saturating_add(GENESIS_BEFORE_BEACON_MS) >= beacon_ms {
        return Ok(());
    }
    let hours = (beacon_ms - genesis_time_ms) / (60 * 60 * 1000);
    Err(HostError::Config(format!(
        "chain {name:?}: genesis_time_ms {genesis_time_ms} is {hours} h before its beacon block's \
         time ({beacon_ms} ms); a farmer would produce a block for every slot since at once. Set \
         genesis_time_ms to the current time, e.g. $(( $(date +%s) * 1000 )) (docs/bridge.md)"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_genesis_long_before_its_beacon_is_refused() {
        // The docs' old example (2023-11-14) under a beacon mined on 2026-12-02.
        let beacon_s = 1_796_212_800;
        let err = check_genesis_after_beacon("alpha", 1_700_000_000_000, beacon_s)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("chain \"alpha\"") && err.contains("26725 h before its beacon"),
            "{err}"
        );
        // Up to two hours early is the PoW chain's own clock tolerance; later is always fine.
        let beacon_ms = beacon_s * 1000;
        check_genesis_after_beacon("alpha", beacon_ms - GENESIS_BEFORE_BEACON_MS, beacon_s)
            .unwrap();
        check_genesis_after_beacon("alpha", beacon_ms + 5, beacon_s).unwrap();
        assert!(check_genesis_after_beacon(
            "alpha",
            beacon_ms - GENESIS_BEFORE_BEACON_MS - 1,
            beacon_s
        )
        .is_err());
        // A node that does not report the time is not second-guessed.
        check_genesis_after_beacon("alpha", 0, 0).unwrap();
    }

    #[test]
    fn reads_a_chains_file_and_refuses_bad_ones() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("chains.toml");
        let chain = |name: &str| {
            format!(
                "[[chain]]\nname = \"{name}\"\nbeacon = \"{}\"\ngenesis_time_ms = 1700000000000\n\
                 target_interval_ms = 2000\nslot_ms = 12000\nfilter_bits = 0\nmin_k = 16\n\
                 initial_difficulty = 2000\nretarget_window = 16\nmax_future_drift_ms = 15000\n",
                "11".repeat(32)
            )
        };
        std::fs::write(&path, chain("alpha") + &chain("beta")).unwrap();
        let specs = load_chains(&path).unwrap();
        assert_eq!(specs.len(), 2);
        assert_ne!(specs[0].chain_id, specs[1].chain_id);
        std::fs::write(
            &path,
            chain("alpha").replace("slot_ms = 12000", "slot_ms = 1"),
        )
        .unwrap();
        assert!(load_chains(&path)
            .unwrap_err()
            .to_string()
            .contains("slot_ms"));
        std::fs::write(&path, chain("alpha") + "surprise = 1\n").unwrap();
        assert!(load_chains(&path).is_err());
        assert!(load_network(&path).is_err());
        std::fs::write(&path, chain("alpha")).unwrap();
        let net = load_network(&path).unwrap();
        assert!(net.listen.is_empty() && net.peers.is_empty());
        std::fs::write(
            &path,
            chain("alpha")
                + "[network]\nlisten = [\"/ip4/127.0.0.1/tcp/9737\"]\n\
                   peers = [\"/ip4/127.0.0.1/tcp/9738\", \"/ip4/127.0.0.1/tcp/9739\"]\n",
        )
        .unwrap();
        assert_eq!(load_chains(&path).unwrap().len(), 1);
        let net = load_network(&path).unwrap();
        assert_eq!(net.listen[0].to_string(), "/ip4/127.0.0.1/tcp/9737");
        assert_eq!(net.peers.len(), 2);
        std::fs::write(
            &path,
            chain("alpha") + "[network]\npeers = [\"not an address\"]\n",
        )
        .unwrap();
        assert!(load_network(&path)
            .unwrap_err()
            .to_string()
            .contains("not an address"));
        assert!(load_chains(&dir.path().join("missing.toml")).is_err());
    }

    #[test]
    fn reads_the_anchoring_table_over_the_network_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("chains.toml");
        let example = include_str!("../../../plots.example/chains.toml");
        std::fs::write(&path, example).unwrap();
        assert_eq!(load_chains(&path).unwrap().len(), 1);
        let c = load_anchoring(&path, AnchorConfig::for_network("regtest")).unwrap();
        assert_eq!(c.interval, std::time::Duration::from_secs(60));
        assert_eq!(c.budget.per_hour, 1_000_000);
        assert_eq!(c.budget.per_day, 10_000_000);
        assert_eq!(c.max_unconfirmed, 10);
        assert_eq!(c.bump_after_blocks, 6);
        let without = example.split("[anchoring]").next().unwrap();
        std::fs::write(&path, without).unwrap();
        let c = load_anchoring(&path, AnchorConfig::for_network("regtest")).unwrap();
        assert_eq!(c.interval, std::time::Duration::from_secs(5));
        std::fs::write(
            &path,
            format!("{without}[anchoring]\nfee_budget_per_hour = 5\nfee_budget_per_day = 4\n"),
        )
        .unwrap();
        let e = load_anchoring(&path, AnchorConfig::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("fee_budget_per_day (4) is below fee_budget_per_hour (5)"),
            "{e}"
        );
        std::fs::write(&path, format!("{without}[anchoring]\nfee_budget = 5\n")).unwrap();
        let e = load_anchoring(&path, AnchorConfig::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("fee_budget"), "{e}");
        std::fs::write(
            &path,
            format!("{without}[anchoring]\nmax_unconfirmed = 0\n"),
        )
        .unwrap();
        assert!(load_anchoring(&path, AnchorConfig::default()).is_err());
    }

    #[test]
    fn flags_apply_over_the_file_which_applies_over_the_defaults() {
        // The file's `[anchoring]` table, as read_file parses it.
        let table: AnchoringTable = toml::from_str(
            "interval_s = 30\nfee_budget_per_hour = 5000\nfee_budget_per_day = 9000\n",
        )
        .unwrap();
        let defaults = AnchorConfig::default();
        let file = table
            .apply(defaults.clone(), "chains.toml: [anchoring]")
            .unwrap();
        assert_eq!(file.interval, std::time::Duration::from_secs(30));
        assert_eq!(file.budget.per_hour, 5000);
        assert_eq!(file.max_batch, defaults.max_batch, "unset: the default");
        let flags = AnchoringTable {
            fee_budget_per_hour: Some(7000),
            max_batch: Some(8),
            ..AnchoringTable::default()
        };
        let both = flags.apply(file, "the command line").unwrap();
        assert_eq!(both.budget.per_hour, 7000, "the flag wins over the file");
        assert_eq!(
            both.budget.per_day, 9000,
            "the file's where no flag is given"
        );
        assert_eq!(both.interval, std::time::Duration::from_secs(30));
        assert_eq!(both.max_batch, 8);
        // A flag that breaks a bound is refused, naming where it came from.
        let too_much = AnchoringTable {
            fee_budget_per_hour: Some(10_000),
            ..AnchoringTable::default()
        };
        let err = too_much
            .apply(both, "--anchor-fee-budget-per-hour")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("--anchor-fee-budget-per-hour")
                && err.contains("below fee_budget_per_hour"),
            "{err}"
        );
    }
}
