//! The devnet's files: the farmer key, the plots, the bridge's chains file and the farmer's
//! configuration, all under one directory (`docs/devnet.md` shows the layout).

use super::children::run_to_end;
use anyhow::Context;
use masspoc_proof::{weight, K};
use masspoc_verifier::{difficulty_for_weight, Beacon, ChainParams};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// Marks a directory as made by `masspoc devnet`, so a rerun may clear its state.
const MARKER: &str = ".masspoc-devnet";

/// Paths of one devnet directory.
pub struct Layout {
    /// The root (`--dir`).
    pub root: PathBuf,
}

impl Layout {
    /// Prepares `root`: creates it, or reuses one made by an earlier devnet (keeping the key and
    /// the plots, clearing chain, bridge and signing state that belonged to its old node).
    pub fn prepare(root: &Path) -> anyhow::Result<Layout> {
        if root.exists() {
            let empty = std::fs::read_dir(root)?.next().is_none();
            anyhow::ensure!(
                empty || root.join(MARKER).exists(),
                "{} exists and was not made by `masspoc devnet`; choose another --dir",
                root.display()
            );
        }
        std::fs::create_dir_all(root.join("logs"))
            .with_context(|| format!("creating {}", root.display()))?;
        std::fs::write(root.join(MARKER), "made by masspoc devnet\n")?;
        // Absolute, so the paths written into config files mean the same from any directory.
        let root =
            std::fs::canonicalize(root).with_context(|| format!("resolving {}", root.display()))?;
        let layout = Layout { root };
        for stale in [layout.bridge_dir(), layout.rogue_dir()] {
            if stale.exists() {
                std::fs::remove_dir_all(&stale)
                    .with_context(|| format!("clearing {}", stale.display()))?;
            }
        }
        for stale in [layout.history(), layout.root.join("logs/bridge.log")] {
            let _ = std::fs::remove_file(stale);
        }
        let _ = std::fs::remove_file(layout.root.join("logs/farmer.log"));
        Ok(layout)
    }

    /// The farmer key file.
    pub fn key(&self) -> PathBuf {
        self.root.join("farmer.key")
    }
    /// The farmer's signing history.
    pub fn history(&self) -> PathBuf {
        self.root.join("farmer.key.history")
    }
    /// The plot directory.
    pub fn plots(&self) -> PathBuf {
        self.root.join("plots")
    }
    /// The bridge's data directory.
    pub fn bridge_dir(&self) -> PathBuf {
        self.root.join("bridge")
    }
    /// The misbehaving second signer's directory.
    pub fn rogue_dir(&self) -> PathBuf {
        self.root.join("rogue")
    }
    /// The parameter file of one chain (JSON, for `verify-chain --params`).
    pub fn params(&self, chain_name: &str) -> PathBuf {
        self.root.join(format!("params-{chain_name}.json"))
    }
    /// A log file.
    pub fn log(&self, name: &str) -> PathBuf {
        self.root.join("logs").join(format!("{name}.log"))
    }
}

/// Creates the farmer key unless it exists; returns the public key (hex).
pub fn ensure_key(layout: &Layout) -> anyhow::Result<String> {
    let key = layout.key().display().to_string();
    if !layout.key().exists() {
        run_to_end(&["keygen".into(), "--out".into(), key.clone()], None)?;
    }
    let shown = run_to_end(
        &["keygen".into(), "--show".into(), key, "--json".into()],
        None,
    )?;
    let v: serde_json::Value = serde_json::from_str(&shown).context("keygen --show --json")?;
    Ok(v["farmer_pk"]
        .as_str()
        .context("keygen --show --json has no farmer_pk")?
        .to_string())
}

/// Makes plots of parameter `k` until `count` of them are in the plot directory.
pub fn ensure_plots(layout: &Layout, k: u8, count: usize, json: bool) -> anyhow::Result<usize> {
    std::fs::create_dir_all(layout.plots())?;
    let have = std::fs::read_dir(layout.plots())?
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".plot"))
        .count();
    if have < count {
        let mut args: Vec<String> = vec![
            "plot".into(),
            "--key".into(),
            layout.key().display().to_string(),
            "--k".into(),
            k.to_string(),
            "--out".into(),
            layout.plots().display().to_string(),
            "--count".into(),
            (count - have).to_string(),
        ];
        if json {
            args.push("--json".into());
            run_to_end(&args, Some(&layout.log("plot")))?;
        } else {
            // Inherit the terminal so the plotter's progress bar shows.
            let status = std::process::Command::new(std::env::current_exe()?)
                .args(&args)
                .status()
                .context("running masspoc plot")?;
            anyhow::ensure!(status.success(), "masspoc plot failed ({status})");
        }
    }
    Ok(count.max(have))
}

/// Chain timing of the devnet.
pub struct Timing {
    /// Target block interval.
    pub target_ms: u64,
    /// Slot length.
    pub slot_ms: u64,
}

/// The probe window of the devnet's chains: the value `docs/protocol.md` recommends (§1, "Probe
/// window"), so that the devnet's few plots each win their share of blocks.
pub const DEVNET_PROBE_BITS: u32 = 6;

/// The parameters of `chains` chains sharing the PoW beacon `beacon` (display hex), with a
/// starting difficulty that gives about the target interval for the devnet's plots.
pub fn chain_params(
    chains: usize,
    beacon: &str,
    k: u8,
    plots: usize,
    timing: &Timing,
) -> anyhow::Result<Vec<ChainParams>> {
    let now_ms = u64::try_from(SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis())?;
    let total_weight = u128::from(weight(K::new(k)?)) * plots as u128;
    let probe_bits = masspoc_proof::ProbeBits::new(DEVNET_PROBE_BITS)?;
    let difficulty = difficulty_for_weight(
        total_weight,
        timing.target_ms,
        masspoc_proof::FilterBits::NONE,
        probe_bits,
    )
    .max(1);
    (1..=chains)
        .map(|i| {
            let p = ChainParams {
                name: format!("devnet-{i}"),
                beacon: Beacon::from_hex(beacon).context("beacon hash")?,
                genesis_time_ms: now_ms,
                target_interval_ms: timing.target_ms,
                slot_ms: timing.slot_ms,
                filter_bits: masspoc_proof::FilterBits::NONE,
                min_k: 16,
                initial_difficulty: difficulty,
                retarget_window: 8,
                max_future_drift_ms: 15_000,
                probe_bits,
                anchor_confirmations: masspoc_verifier::params::DEFAULT_ANCHOR_CONFIRMATIONS,
                finality_window: masspoc_verifier::params::DEFAULT_FINALITY_WINDOW,
                finality_depth: masspoc_verifier::params::DEFAULT_FINALITY_DEPTH,
            };
            p.validate()
                .map_err(|e| anyhow::anyhow!("chain parameters: {e}"))?;
            Ok(p)
        })
        .collect()
}

/// Writes the bridge's chains file and one parameter file per chain for `verify-chain`;
/// returns the chains file's path.
pub fn write_chain_files(layout: &Layout, params: &[ChainParams]) -> anyhow::Result<PathBuf> {
    #[derive(serde::Serialize)]
    struct ChainsFile<'a> {
        chain: &'a [ChainParams],
    }
    let text = toml::to_string(&ChainsFile { chain: params })?;
    let path = layout.root.join("chains.toml");
    std::fs::write(&path, format!("# Written by masspoc devnet.\n{text}"))?;
    for p in params {
        std::fs::write(layout.params(&p.name), serde_json::to_string_pretty(p)?)?;
    }
    Ok(path)
}

/// The farmer's loopback ports: Prometheus metrics and the status page.
#[derive(Debug, Clone, Copy)]
pub struct FarmerPorts {
    /// `metrics_listen`.
    pub metrics: u16,
    /// `status_listen`.
    pub status: u16,
}

/// Writes the farmer's configuration for the hosted chains.
///
/// With `harvesters` (their `/p2p/` addresses) the farmer has no plot directory of its own: it
/// asks those harvesters, with its link identity in `link_dir`.
pub fn write_farmer_config(
    layout: &Layout,
    chain_names: &[String],
    bridge_url: &str,
    ports: FarmerPorts,
    harvesters: &[String],
    link_dir: &Path,
) -> anyhow::Result<PathBuf> {
    let FarmerPorts {
        metrics: metrics_port,
        status: status_port,
    } = ports;
    let plot_dirs = if harvesters.is_empty() {
        format!("[{:?}]", layout.plots().display().to_string())
    } else {
        "[]".to_string()
    };
    let mut text = format!(
        "# Written by masspoc devnet.\nkey_file = {:?}\nsigning_history = {:?}\nplot_dirs = {plot_dirs}\n\
         rescan_interval_secs = 5\nlookup_budget_ms = 2000\nmetrics_listen = \"127.0.0.1:{metrics_port}\"\n\
         status_listen = \"127.0.0.1:{status_port}\"\n",
        layout.key().display().to_string(),
        layout.history().display().to_string(),
    );
    if !harvesters.is_empty() {
        writeln!(
            text,
            "harvesters = {harvesters:?}\nharvester_identity_dir = {:?}",
            link_dir.display().to_string()
        )?;
    }
    for name in chain_names {
        write!(
            text,
            "\n[[chain]]\nname = {name:?}\nbridge = {bridge_url:?}\n"
        )?;
    }
    let path = layout.root.join("farmer.toml");
    std::fs::write(&path, text)?;
    Ok(path)
}

/// A loopback port that was free a moment ago.
pub fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}
