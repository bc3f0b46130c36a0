//! The chains a bridge hosts: a TOML file of `[[chain]]` tables, each a `ChainParams`
//! (`docs/protocol.md`), e.g.
//!
//! ```toml
//! [[chain]]
//! name = "alpha"
//! beacon = "530827f38f93b43ed12af0b3ad25a288dc02ed74d6d7857862df51fc56c416f9"
//! genesis_time_ms = 1700000000000
//! target_interval_ms = 2000
//! slot_ms = 12000
//! filter_bits = 0
//! min_k = 16
//! initial_difficulty = 2000
//! retarget_window = 16
//! max_future_drift_ms = 15000
//! ```

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
}

/// Reads and validates the chains file.
pub fn load_chains(path: &Path) -> Result<Vec<ChainSpec>, HostError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| HostError::Config(format!("{}: {e}", path.display())))?;
    let file: ChainsFile =
        toml::from_str(&text).map_err(|e| HostError::Config(format!("{}: {e}", path.display())))?;
    file.chain
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
    }
    Ok(())
}
