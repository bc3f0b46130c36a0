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
//! An optional `[network]` table sets the chain network (`docs/network.md`), as
//! `--p2p-listen` and `--peer` do on the command line:
//!
//! ```toml
//! [network]
//! listen = ["/ip4/127.0.0.1/tcp/9737"]
//! peers = ["/ip4/127.0.0.1/tcp/9738"]
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
    #[serde(default)]
    network: NetworkTable,
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
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
