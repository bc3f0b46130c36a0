//! `devnet --harvesters N`: the devnet's plots split over N `masspoc harvester` processes on
//! loopback, each paired with the farmer (one peer id each side, `docs/harvesters.md`); the farmer
//! then has no plots of its own, so every proof comes over the harvester link.

use super::children::{log_tail, Child};
use super::setup::{free_port, Layout};
use super::Stop;
use anyhow::Context;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// One running harvester of the devnet.
pub struct DevHarvester {
    /// Its peer id.
    pub id: String,
    /// Its address, `/ip4/127.0.0.1/tcp/PORT/p2p/ID`, as the farmer's config lists it.
    pub addr: String,
    /// Plots linked into its directory.
    pub plots: usize,
    /// Its process.
    pub child: Child,
}

/// The farmer's link identity directory (its peer id is what every harvester pairs with).
pub fn farmer_link_dir(layout: &Layout) -> PathBuf {
    layout.root.join("farmer-link")
}

/// Starts `n` harvesters over the plots in the layout's plot directory (plot i goes to harvester
/// i mod n, hard-linked, or copied across file systems) and waits until each listens.
pub fn start(layout: &Layout, n: usize, stop: &Stop) -> anyhow::Result<Vec<DevHarvester>> {
    let farmer = masspoc_net::identity::load_or_create(&farmer_link_dir(layout))
        .context("the farmer's link identity")?
        .public()
        .to_peer_id();
    let mut plots: Vec<PathBuf> = std::fs::read_dir(layout.plots())?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "plot"))
        .collect();
    plots.sort();
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let dir = layout.root.join(format!("harvester-{i}"));
        let plot_dir = dir.join("plots");
        if plot_dir.exists() {
            std::fs::remove_dir_all(&plot_dir)
                .with_context(|| format!("clearing {}", plot_dir.display()))?;
        }
        std::fs::create_dir_all(&plot_dir)
            .with_context(|| format!("creating {}", plot_dir.display()))?;
        let mine: Vec<&PathBuf> = plots.iter().skip(i).step_by(n).collect();
        for p in &mine {
            link_or_copy(p, &plot_dir.join(p.file_name().unwrap_or_default()))?;
        }
        let id = masspoc_net::identity::load_or_create(&dir)
            .with_context(|| format!("harvester {i}'s identity"))?
            .public()
            .to_peer_id()
            .to_string();
        let port = free_port()?;
        let config = dir.join("harvester.toml");
        std::fs::write(
            &config,
            format!(
                "# Written by masspoc devnet.\nplot_dirs = [{:?}]\nlisten = [\"/ip4/127.0.0.1/tcp/{port}\"]\n\
                 farmers = [\"{farmer}\"]\nidentity_dir = {:?}\nrescan_interval_secs = 5\n",
                plot_dir.display().to_string(),
                dir.display().to_string(),
            ),
        )?;
        let log = layout.log(&format!("harvester-{i}"));
        let _ = std::fs::remove_file(&log);
        let child = Child::spawn(
            format!("harvester {i}"),
            &[
                "harvester".into(),
                "--config".into(),
                config.display().to_string(),
            ],
            &log,
        )?;
        out.push(DevHarvester {
            addr: format!("/ip4/127.0.0.1/tcp/{port}/p2p/{id}"),
            id,
            plots: mine.len(),
            child,
        });
    }
    for (i, h) in out.iter_mut().enumerate() {
        until_listening(&layout.log(&format!("harvester-{i}")), &mut h.child, stop)?;
    }
    Ok(out)
}

fn link_or_copy(from: &Path, to: &Path) -> anyhow::Result<()> {
    if std::fs::hard_link(from, to).is_ok() {
        return Ok(());
    }
    std::fs::copy(from, to)
        .map(|_| ())
        .with_context(|| format!("copying {} to {}", from.display(), to.display()))
}

/// Waits until a harvester's log says it listens (it prints its addresses once it does).
fn until_listening(log: &Path, child: &mut Child, stop: &Stop) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        stop.check()?;
        child.check_alive()?;
        if std::fs::read_to_string(log).is_ok_and(|t| t.contains("harvester listening on")) {
            return Ok(());
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "a harvester did not listen within 60 s; last lines of {}:\n{}",
            log.display(),
            log_tail(log, 15)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// One harvester in the devnet's summary.
#[derive(Debug, serde::Serialize)]
pub struct HarvesterSummary {
    /// Its peer id.
    pub id: String,
    /// Plots it served (the farmer's view from its last status answer; the plots given to it
    /// when the farmer never got one).
    pub plots: u64,
    /// Proofs of its plots the farmer merged into its rounds.
    pub proofs: u64,
}

/// Every harvester's figures, from the farmer's metrics text (`metrics`).
pub fn summarize(harvesters: &[DevHarvester], metrics: &str) -> Vec<HarvesterSummary> {
    let series = |name: &str| -> HashMap<String, u64> {
        let prefix = format!("masspoc_farmer_{name}{{harvester=\"");
        metrics
            .lines()
            .filter_map(|l| l.strip_prefix(prefix.as_str()))
            .filter_map(|rest| {
                let (id, value) = rest.split_once("\"} ")?;
                Some((id.to_string(), value.trim().parse().ok()?))
            })
            .collect()
    };
    let (plots, proofs) = (series("harvester_plots"), series("harvester_proofs_total"));
    harvesters
        .iter()
        .map(|h| HarvesterSummary {
            id: h.id.clone(),
            plots: plots
                .get(&h.id)
                .copied()
                .filter(|p| *p > 0)
                .unwrap_or(h.plots as u64),
            proofs: proofs.get(&h.id).copied().unwrap_or(0),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_each_harvesters_series_from_the_metrics() {
        let text = "# HELP masspoc_farmer_harvester_plots Plots the harvester serves.\n\
                    masspoc_farmer_harvester_plots{harvester=\"A\"} 3\n\
                    masspoc_farmer_harvester_plots{harvester=\"B\"} 0\n\
                    masspoc_farmer_harvester_proofs_total{harvester=\"A\"} 17\n\
                    masspoc_farmer_proofs_total{chain=\"devnet-1\"} 40\n";
        let fake = |id: &str, plots| DevHarvester {
            id: id.into(),
            addr: String::new(),
            plots,
            child: Child::none(id),
        };
        let s = summarize(&[fake("A", 3), fake("B", 2)], text);
        assert_eq!((s[0].plots, s[0].proofs), (3, 17));
        // B never reported a plot set: the plots it was given; no proofs merged.
        assert_eq!((s[1].plots, s[1].proofs), (2, 0));
    }
}
