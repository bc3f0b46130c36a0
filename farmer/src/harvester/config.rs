//! The harvester's configuration file (`harvester.toml`, see `plots.example/harvester.toml`).
//! Relative paths are resolved against the file's directory; unknown keys are refused.

use crate::config::{invalid, parse_toml, resolve, ConfigError};
use masspoc_net::{Multiaddr, PeerId};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    plot_dirs: Vec<PathBuf>,
    listen: Vec<String>,
    farmers: Vec<String>,
    identity_dir: Option<PathBuf>,
    rescan_interval_secs: Option<u64>,
}

/// A loaded, validated harvester configuration.
#[derive(Debug, Clone)]
pub struct HarvesterConfig {
    /// Plot directories, one per disk.
    pub plot_dirs: Vec<PathBuf>,
    /// Addresses to listen on for farmers (`/ip4/0.0.0.0/tcp/9740`).
    pub listen: Vec<Multiaddr>,
    /// The peer ids of the farmers it answers; every other peer is refused.
    pub farmers: Vec<PeerId>,
    /// Where the harvester's peer identity (`p2p-identity.key`, 0600) lives; default: the
    /// config file's directory.
    pub identity_dir: PathBuf,
    /// How often plot directories are rescanned.
    pub rescan_interval: Duration,
}

impl HarvesterConfig {
    /// Reads and validates a configuration file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        crate::config::load_file(path, Self::parse)
    }

    /// Parses configuration text; relative paths are taken relative to `base`.
    pub fn parse(text: &str, base: &Path) -> Result<Self, ConfigError> {
        let raw: RawConfig = parse_toml(text)?;
        let abs = |p: &Path| resolve(base, p);
        let mut listen = Vec::with_capacity(raw.listen.len());
        for a in &raw.listen {
            listen.push(
                a.parse::<Multiaddr>()
                    .map_err(|e| invalid(format!("listen {a:?}: {e}")))?,
            );
        }
        if listen.is_empty() {
            return Err(invalid("listen: at least one address".into()));
        }
        let mut farmers = Vec::with_capacity(raw.farmers.len());
        for f in &raw.farmers {
            farmers.push(
                f.parse::<PeerId>()
                    .map_err(|e| invalid(format!("farmers: {f:?} is not a peer id ({e})")))?,
            );
        }
        if farmers.is_empty() {
            return Err(invalid(
                "farmers: list the peer id of at least one farmer (`masspoc peer-id --farmer farmer.toml` prints it)".into(),
            ));
        }
        let rescan_interval = Duration::from_secs(
            raw.rescan_interval_secs
                .unwrap_or(crate::config::DEFAULT_RESCAN.as_secs()),
        );
        if rescan_interval.is_zero() {
            return Err(invalid("rescan_interval_secs must be at least 1".into()));
        }
        Ok(HarvesterConfig {
            plot_dirs: raw.plot_dirs.iter().map(|p| abs(p)).collect(),
            listen,
            farmers,
            identity_dir: raw
                .identity_dir
                .map_or_else(|| base.to_path_buf(), |p| abs(&p)),
            rescan_interval,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_refuses() {
        let farmer = masspoc_net::Keypair::generate_ed25519()
            .public()
            .to_peer_id();
        #[allow(non_snake_case)]
        let FARMER = farmer.to_string();
        let text = format!(
            "plot_dirs = ['a', '/b']\nlisten = ['/ip4/0.0.0.0/tcp/9740']\nfarmers = ['{FARMER}']\n"
        );
        let c = HarvesterConfig::parse(&text, Path::new("/etc/h")).unwrap();
        assert_eq!(
            c.plot_dirs,
            [PathBuf::from("/etc/h/a"), PathBuf::from("/b")]
        );
        assert_eq!(c.identity_dir, Path::new("/etc/h"));
        assert_eq!(c.farmers[0].to_string(), FARMER);
        for bad in [
            "listen = ['/ip4/0.0.0.0/tcp/9740']\nfarmers = []\n".to_string(),
            format!("listen = []\nfarmers = ['{FARMER}']\n"),
            format!("listen = ['nonsense']\nfarmers = ['{FARMER}']\n"),
            "listen = ['/ip4/0.0.0.0/tcp/1']\nfarmers = ['not-a-peer']\n".to_string(),
            format!("listen = ['/ip4/0.0.0.0/tcp/1']\nfarmers = ['{FARMER}']\ntypo = 1\n"),
        ] {
            assert!(
                HarvesterConfig::parse(&bad, Path::new(".")).is_err(),
                "{bad}"
            );
        }
    }
}
