//! The farmer's configuration file (`farmer.toml`, see `plots.example/farmer.toml`).
//!
//! Relative paths are resolved against the directory of the configuration file, so a config and
//! its key can move together. Unknown keys are refused, so a typo never silently turns a setting
//! off.

use masspoc_proof::FilterBits;
use masspoc_verifier::ChainId;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config {path}")]
    Read {
        /// The config path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid TOML or does not match the schema.
    #[error("config {path} is not valid: {message}")]
    Parse {
        /// The config path.
        path: PathBuf,
        /// What the parser said (line and column included).
        message: String,
    },
    /// The file parses but a value is not acceptable.
    #[error("config {path}: {message}")]
    Invalid {
        /// The config path.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The passphrase could not be obtained from its configured source.
    #[error("cannot read the key passphrase: {0}")]
    Passphrase(String),
}

/// The raw TOML schema (all optional fields have defaults).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    key_file: PathBuf,
    passphrase_env: Option<String>,
    passphrase_file: Option<PathBuf>,
    signing_history: Option<PathBuf>,
    #[serde(default)]
    plot_dirs: Vec<PathBuf>,
    rescan_interval_secs: Option<u64>,
    lookup_budget_ms: Option<u64>,
    metrics_listen: Option<SocketAddr>,
    status_listen: Option<SocketAddr>,
    status_interval_secs: Option<u64>,
    #[serde(default)]
    alerts: crate::alerts::AlertsConfig,
    #[serde(default)]
    harvesters: Vec<String>,
    harvester_identity_dir: Option<PathBuf>,
    #[serde(default, rename = "chain")]
    chains: Vec<RawChain>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChain {
    chain_id: Option<String>,
    name: Option<String>,
    bridge: OneOrMany,
    filter_bits: Option<u32>,
}

/// `bridge = "http://…"` or `bridge = ["http://a…", "http://b…"]` (fail-over order).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

/// Where the key file's passphrase comes from (never the config file itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PassphraseSource {
    /// The key file is not encrypted.
    None,
    /// An environment variable holds the passphrase.
    Env(String),
    /// A file holds the passphrase on its first line.
    File(PathBuf),
}

impl PassphraseSource {
    /// Reads the passphrase (zeroized when dropped); `None` when the key file is not
    /// encrypted. A file must be the owner's alone (mode 0600 or stricter), as
    /// `masspoc keygen --passphrase-file` requires too; its first line is the passphrase.
    pub fn read(&self) -> Result<Option<zeroize::Zeroizing<String>>, ConfigError> {
        match self {
            PassphraseSource::None => Ok(None),
            PassphraseSource::Env(var) => std::env::var(var)
                .map(|v| Some(zeroize::Zeroizing::new(v)))
                .map_err(|_| {
                    ConfigError::Passphrase(format!("environment variable {var} is not set"))
                }),
            PassphraseSource::File(path) => crate::keys::read_passphrase_file(path)
                .map(Some)
                .map_err(|e| ConfigError::Passphrase(masspoc_report::Report(&e).to_string())),
        }
    }
}

/// How a chain instance is named in the config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainSelector {
    /// By its 32-byte chain id.
    Id(ChainId),
    /// By the name the bridge gives it (resolved with `GET /v1/chains`).
    Name(String),
}

impl std::fmt::Display for ChainSelector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChainSelector::Id(id) => id.fmt(f),
            ChainSelector::Name(n) => f.write_str(n),
        }
    }
}

/// One chain instance to farm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainConfig {
    /// Which chain.
    pub chain: ChainSelector,
    /// Base URLs of the chain nodes serving it, e.g. `http://127.0.0.1:8420`, in fail-over
    /// order (at least one): the farmer moves to the next when one stops answering.
    pub bridges: Vec<String>,
    /// Filter bits to use instead of the ones the bridge announces (testing only: proofs made
    /// with fewer bits than the chain's are still valid, but waste lookups).
    pub filter_bits: Option<FilterBits>,
}

/// A loaded, validated farmer configuration.
#[derive(Debug, Clone)]
pub struct FarmerConfig {
    /// The farmer key file.
    pub key_file: PathBuf,
    /// Where the key file's passphrase comes from.
    pub passphrase: PassphraseSource,
    /// The durable signing history (slashing protection) store; default `<key_file>.history`.
    pub signing_history: PathBuf,
    /// Plot directories, one per disk.
    pub plot_dirs: Vec<PathBuf>,
    /// How often plot directories are rescanned.
    pub rescan_interval: Duration,
    /// Time budget of one round's lookups; plots that have not answered by then are skipped.
    pub lookup_budget: Duration,
    /// Where to serve Prometheus metrics, if anywhere.
    pub metrics_listen: Option<SocketAddr>,
    /// Where to serve the status page and its JSON (`docs/farming.md`, "Status page"), if
    /// anywhere.
    pub status_listen: Option<SocketAddr>,
    /// Time between two status history points (and alert checks).
    pub status_interval: Duration,
    /// How alerts are delivered (a log line is always written).
    pub alerts: crate::alerts::AlertsConfig,
    /// The chain instances to farm.
    pub chains: Vec<ChainConfig>,
    /// Paired harvesters (`docs/harvesters.md`), each a multiaddr ending in `/p2p/<peer id>`.
    pub harvesters: Vec<masspoc_net::Multiaddr>,
    /// Where the farmer's link identity (`p2p-identity.key`) lives; default: the key file's
    /// directory.
    pub harvester_identity_dir: PathBuf,
}

/// Default rescan interval.
pub const DEFAULT_RESCAN: Duration = Duration::from_secs(60);
/// Default lookup budget.
pub const DEFAULT_LOOKUP_BUDGET: Duration = Duration::from_millis(2000);

impl FarmerConfig {
    /// Reads and validates a configuration file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        load_file(path, Self::parse)
    }

    /// Parses configuration text; relative paths are taken relative to `base`.
    pub fn parse(text: &str, base: &Path) -> Result<Self, ConfigError> {
        let raw: RawConfig = parse_toml(text)?;
        let abs = |p: &Path| resolve(base, p);
        let passphrase = match (raw.passphrase_env, raw.passphrase_file) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "set at most one of passphrase_env and passphrase_file".into(),
                ))
            }
            (Some(v), None) => PassphraseSource::Env(v),
            (None, Some(f)) => PassphraseSource::File(abs(&f)),
            (None, None) => PassphraseSource::None,
        };
        let key_file = abs(&raw.key_file);
        let signing_history = raw
            .signing_history
            .map(|p| abs(&p))
            .unwrap_or_else(|| crate::signing_history::history_path_for(&key_file));
        let rescan_interval = raw
            .rescan_interval_secs
            .map(Duration::from_secs)
            .unwrap_or(DEFAULT_RESCAN);
        if rescan_interval.is_zero() {
            return Err(invalid("rescan_interval_secs must be at least 1".into()));
        }
        let lookup_budget = raw
            .lookup_budget_ms
            .map(Duration::from_millis)
            .unwrap_or(DEFAULT_LOOKUP_BUDGET);
        if lookup_budget.is_zero() {
            return Err(invalid("lookup_budget_ms must be at least 1".into()));
        }
        let status_interval = raw
            .status_interval_secs
            .map_or(crate::status::DEFAULT_INTERVAL, Duration::from_secs);
        if !(1..=3600).contains(&status_interval.as_secs()) {
            return Err(invalid("status_interval_secs must be 1 to 3600".into()));
        }
        raw.alerts.validate().map_err(invalid)?;
        if raw.chains.is_empty() {
            return Err(invalid("no [[chain]] to farm".into()));
        }
        let mut chains = Vec::with_capacity(raw.chains.len());
        for (i, c) in raw.chains.into_iter().enumerate() {
            let chain = match (c.chain_id, c.name) {
                (Some(id), None) => {
                    let id = ChainId::from_hex(&id).map_err(|_| {
                        invalid(format!("chain {i}: chain_id must be 64 hex digits"))
                    })?;
                    ChainSelector::Id(id)
                }
                (None, Some(name)) if !name.is_empty() => ChainSelector::Name(name),
                _ => {
                    return Err(invalid(format!(
                        "chain {i}: set exactly one of chain_id and name"
                    )))
                }
            };
            let bridges = match c.bridge {
                OneOrMany::One(b) => vec![b],
                OneOrMany::Many(list) => list,
            };
            if bridges.is_empty() {
                return Err(invalid(format!("chain {i}: bridge lists no URL")));
            }
            if let Some(bad) = bridges.iter().find(|b| !b.starts_with("http://")) {
                return Err(invalid(format!(
                    "chain {i}: bridge must be an http:// URL, got {bad:?}"
                )));
            }
            let filter_bits = c
                .filter_bits
                .map(FilterBits::new)
                .transpose()
                .map_err(|_| invalid(format!("chain {i}: filter_bits must be at most 32")))?;
            chains.push(ChainConfig {
                chain,
                bridges: bridges
                    .iter()
                    .map(|b| b.trim_end_matches('/').to_string())
                    .collect(),
                filter_bits,
            });
        }
        let mut harvesters = Vec::with_capacity(raw.harvesters.len());
        for a in &raw.harvesters {
            let addr: masspoc_net::Multiaddr = a
                .parse()
                .map_err(|e| invalid(format!("harvesters: {a:?}: {e}")))?;
            if masspoc_net::harvest::client::peer_of(&addr).is_none() {
                return Err(invalid(format!(
                    "harvesters: {a:?} must end in /p2p/<the harvester's peer id>"
                )));
            }
            harvesters.push(addr);
        }
        let harvester_identity_dir = raw.harvester_identity_dir.map_or_else(
            || key_file.parent().unwrap_or(base).to_path_buf(),
            |p| abs(&p),
        );
        Ok(FarmerConfig {
            harvesters,
            harvester_identity_dir,
            key_file,
            passphrase,
            signing_history,
            plot_dirs: raw.plot_dirs.iter().map(|p| abs(p)).collect(),
            rescan_interval,
            lookup_budget,
            metrics_listen: raw.metrics_listen,
            status_listen: raw.status_listen,
            status_interval,
            alerts: raw.alerts,
            chains,
        })
    }
}

/// Reads a TOML config file and parses it with `parse`, relative paths taken from the file's
/// folder, and names the file in a parse or validation error (the farmer's and the harvester's
/// configs load alike).
pub(crate) fn load_file<T>(
    path: &Path,
    parse: impl FnOnce(&str, &Path) -> Result<T, ConfigError>,
) -> Result<T, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
    let base = std::path::absolute(parent.unwrap_or(Path::new(".")))
        .unwrap_or_else(|_| parent.unwrap_or(Path::new(".")).to_path_buf());
    parse(&text, &base).map_err(|e| match e {
        ConfigError::Parse { message, .. } => ConfigError::Parse {
            path: path.to_path_buf(),
            message,
        },
        ConfigError::Invalid { message, .. } => ConfigError::Invalid {
            path: path.to_path_buf(),
            message,
        },
        other => other,
    })
}

/// Parses configuration text as TOML into `T` (the file's path is filled in by [`load_file`]).
pub(crate) fn parse_toml<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, ConfigError> {
    toml::from_str(text).map_err(|e| ConfigError::Parse {
        path: PathBuf::new(),
        message: e.to_string(),
    })
}

/// A configuration that parsed but says something impossible (the path is filled in by
/// [`load_file`]).
pub(crate) fn invalid(message: String) -> ConfigError {
    ConfigError::Invalid {
        path: PathBuf::new(),
        message,
    }
}

/// `p` as written in a configuration file whose directory is `base`: absolute paths stay,
/// relative ones are taken relative to `base`.
pub(crate) fn resolve(base: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `plots.example/farmer.toml` runs as copied beside a key from `masspoc keygen --out
    /// farmer.key` (unencrypted) and a bridge started with its default `--listen`.
    #[test]
    fn the_shipped_example_parses_and_needs_no_passphrase() {
        let text = include_str!("../../plots.example/farmer.toml");
        let c = FarmerConfig::parse(text, Path::new("/etc/masspoc")).unwrap();
        assert_eq!(c.passphrase, PassphraseSource::None);
        assert_eq!(c.key_file, Path::new("/etc/masspoc/farmer.key"));
        assert!(!c.chains.is_empty());
        for chain in &c.chains {
            assert_eq!(
                chain.bridges[0], "http://127.0.0.1:8737",
                "the bridge's default --listen first"
            );
        }
    }

    #[test]
    fn parses_the_example_shape() {
        let text = r#"
            key_file = "farmer.key"
            passphrase_env = "PASS"
            plot_dirs = ["/mnt/a", "b"]
            lookup_budget_ms = 500
            metrics_listen = "127.0.0.1:9184"
            status_listen = "127.0.0.1:8750"
            [alerts]
            webhook = "http://127.0.0.1:9000/hook"
            command = ["logger", "-t", "masspoc"]
            [[chain]]
            name = "alpha"
            bridge = "http://127.0.0.1:8420/"
            [[chain]]
            chain_id = "0101010101010101010101010101010101010101010101010101010101010101"
            bridge = ["http://127.0.0.1:8420", "http://127.0.0.1:8421/"]
            filter_bits = 0
        "#;
        let c = FarmerConfig::parse(text, Path::new("/etc/masspoc")).unwrap();
        assert_eq!(c.key_file, Path::new("/etc/masspoc/farmer.key"));
        assert_eq!(c.plot_dirs[1], Path::new("/etc/masspoc/b"));
        assert_eq!(c.lookup_budget, Duration::from_millis(500));
        assert_eq!(c.chains[0].bridges, ["http://127.0.0.1:8420"]);
        assert_eq!(
            c.chains[1].bridges,
            ["http://127.0.0.1:8420", "http://127.0.0.1:8421"]
        );
        assert_eq!(c.chains[1].chain, ChainSelector::Id(ChainId([1; 32])));
        assert_eq!(c.passphrase, PassphraseSource::Env("PASS".into()));
        assert_eq!(c.status_listen, Some("127.0.0.1:8750".parse().unwrap()));
        assert_eq!(c.status_interval, crate::status::DEFAULT_INTERVAL);
        assert_eq!(
            c.alerts.webhook.as_deref(),
            Some("http://127.0.0.1:9000/hook")
        );
        assert_eq!(c.alerts.command.as_ref().unwrap()[0], "logger");
        assert_eq!((c.alerts.min_interval_secs, c.alerts.missed_wins), (300, 5));
    }

    #[test]
    fn refuses_bad_configs() {
        for text in [
            "key_file = 'k'\n",                                                    // no chain
            "key_file = 'k'\ntypo = 1\n[[chain]]\nname='a'\nbridge='http://x'",    // unknown key
            "key_file = 'k'\n[[chain]]\nbridge='http://x'",                        // no id or name
            "key_file = 'k'\n[[chain]]\nname='a'\nbridge=[]",                      // no url
            "key_file = 'k'\n[[chain]]\nname='a'\nbridge=['http://x', 'ftp://y']", // bad url
            "key_file = 'k'\n[[chain]]\nname='a'\nbridge='ftp://x'",               // bad url
            "key_file = 'k'\n[[chain]]\nchain_id='zz'\nbridge='http://x'",         // bad id
            "key_file = 'k'\nlookup_budget_ms = 0\n[[chain]]\nname='a'\nbridge='http://x'",
            "key_file = 'k'\nstatus_interval_secs = 0\n[[chain]]\nname='a'\nbridge='http://x'",
            "key_file = 'k'\n[alerts]\nwebhook = 'https://x'\n[[chain]]\nname='a'\nbridge='http://x'",
            "key_file = 'k'\n[alerts]\ncommand = []\n[[chain]]\nname='a'\nbridge='http://x'",
            "key_file = 'k'\n[alerts]\ntypo = 1\n[[chain]]\nname='a'\nbridge='http://x'",
        ] {
            assert!(FarmerConfig::parse(text, Path::new(".")).is_err(), "{text}");
        }
    }
}
