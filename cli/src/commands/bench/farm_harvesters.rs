//! `masspoc bench farm --harvesters N`: challenge-to-best-proof latency (p50, p99) of rounds over
//! N `masspoc harvester` processes on loopback — the benchmark plots split over them (plot i to
//! harvester i mod N, hard-linked) — beside rounds over the same plots farmed locally, in one
//! run, on the farmer's own code (`remote::farm_round`, `lookup::run_round`). Each round's best
//! proof must be the same both ways (`best_mismatches` counts where it is not). Target:
//! remote p99 ≤ 2 ms over loopback (issue 15).

use anyhow::Context;
use masspoc_farmer::bench::{bench_challenge, bench_runtime, BenchPlots, BENCH_FARMER};
use masspoc_farmer::lookup::run_round;
use masspoc_farmer::plots::{PlotSet, ReaderOpener};
use masspoc_farmer::remote::{farm_round, Harvesters};
use masspoc_net::{Keypair, Multiaddr};
use masspoc_proof::{FilterBits, ProbeBits};
use serde::Serialize;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The lookup budget of a benchmark round (the farmer's default).
const BUDGET: Duration = Duration::from_secs(2);
/// Untimed rounds first, both ways (page cache, connections, allocator).
const WARMUP_ROUNDS: usize = 50;

/// Latency percentiles of one way of farming.
#[derive(Debug, Serialize)]
pub struct Latency {
    /// Challenge to merged best proof, median, µs.
    pub p50_us: f64,
    /// 99th percentile, µs.
    pub p99_us: f64,
}

/// The report.
#[derive(Debug, Serialize)]
pub struct HarvesterBenchReport {
    /// Harvester processes.
    pub harvesters: usize,
    /// Plots in all.
    pub plots: usize,
    /// Their k.
    pub k: u8,
    /// Timed rounds, each made both ways.
    pub rounds: usize,
    /// The plots read by the farmer itself.
    pub local: Latency,
    /// The same plots across the harvester processes.
    pub remote: Latency,
    /// Rounds whose best proof differed between the two ways (must be 0).
    pub best_mismatches: usize,
    /// Rounds with a proof.
    pub rounds_with_proof: usize,
    /// The target for `remote.p99_us` over loopback.
    pub target_p99_us: f64,
}

/// Runs the benchmark over the opened benchmark `plots` (in `dir`).
pub fn run(
    plots: &BenchPlots,
    dir: &Path,
    n: usize,
    rounds: usize,
    filter_bits: FilterBits,
    probe_bits: ProbeBits,
) -> anyhow::Result<HarvesterBenchReport> {
    let key = Keypair::generate_ed25519();
    let farmer = key.public().to_peer_id();
    let mut procs = Procs(Vec::new());
    let mut addrs: Vec<Multiaddr> = Vec::new();
    for i in 0..n {
        let hdir = dir.join(format!("harvesters-{n}")).join(format!("h{i}"));
        let pdir = hdir.join("plots");
        if pdir.exists() {
            std::fs::remove_dir_all(&pdir)
                .with_context(|| format!("clearing {}", pdir.display()))?;
        }
        std::fs::create_dir_all(&pdir).with_context(|| format!("creating {}", pdir.display()))?;
        for p in plots.paths.iter().skip(i).step_by(n) {
            let to = pdir.join(p.file_name().unwrap_or_default());
            std::fs::hard_link(p, &to)
                .or_else(|_| std::fs::copy(p, &to).map(|_| ()))
                .with_context(|| format!("linking {} into {}", p.display(), pdir.display()))?;
        }
        let config = hdir.join("harvester.toml");
        std::fs::write(
            &config,
            format!(
                "plot_dirs = [\"plots\"]\nlisten = [\"/ip4/127.0.0.1/tcp/0\"]\nfarmers = [\"{farmer}\"]\n"
            ),
        )?;
        let (child, addr) = spawn_harvester(&config)?;
        procs.0.push(child);
        addrs.push(addr);
    }
    let rt = bench_runtime()?;
    let local_plots = &plots.set;
    let none = PlotSet::new(&[], Arc::new(ReaderOpener { farmer_pk: None }));
    rt.block_on(async move {
        let link = Harvesters::start(key, &addrs, BENCH_FARMER)?;
        let deadline = Instant::now() + Duration::from_secs(30);
        while link.views().iter().any(|v| !v.connected) {
            anyhow::ensure!(
                Instant::now() < deadline,
                "harvesters not connected after 30 s: {:?}",
                link.views()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let (mut local, mut remote) = (Vec::new(), Vec::new());
        let (mut mismatches, mut with_proof) = (0, 0);
        for r in 0..WARMUP_ROUNDS + rounds {
            let ch = bench_challenge(7, r as u64);
            let t = Instant::now();
            let l = run_round(
                &plots.snapshot,
                local_plots.dirs(),
                ch,
                filter_bits,
                probe_bits,
                BUDGET,
            )
            .await;
            let lt = t.elapsed();
            let t = Instant::now();
            let m = farm_round(
                &none,
                Some(&link),
                BENCH_FARMER,
                ch,
                filter_bits,
                probe_bits,
                BUDGET,
            )
            .await;
            let mt = t.elapsed();
            if r < WARMUP_ROUNDS {
                continue;
            }
            local.push(lt);
            remote.push(mt);
            let score =
                |o: &masspoc_farmer::lookup::RoundOutcome| o.best.as_ref().map(|b| b.found.score);
            if score(&l) != score(&m) {
                mismatches += 1;
            }
            with_proof += usize::from(l.best.is_some());
        }
        Ok(HarvesterBenchReport {
            harvesters: n,
            plots: plots.paths.len(),
            k: plots.snapshot.first().map_or(0, |e| e.info.k.get()),
            rounds,
            local: latency(&mut local),
            remote: latency(&mut remote),
            best_mismatches: mismatches,
            rounds_with_proof: with_proof,
            target_p99_us: 2000.0,
        })
    })
}

fn latency(v: &mut [Duration]) -> Latency {
    v.sort_unstable();
    let at = |q: f64| {
        v.get(((v.len() as f64 - 1.0) * q).round() as usize)
            .map_or(0.0, |d| d.as_nanos() as f64 / 1000.0)
    };
    Latency {
        p50_us: at(0.5),
        p99_us: at(0.99),
    }
}

/// The harvester processes, stopped (SIGTERM, then SIGKILL) when dropped.
struct Procs(Vec<Child>);

impl Drop for Procs {
    fn drop(&mut self) {
        for c in &mut self.0 {
            if let Ok(pid) = libc::pid_t::try_from(c.id()) {
                // SAFETY: kill(2) on our own child, not yet reaped.
                unsafe { libc::kill(pid, libc::SIGTERM) };
            }
        }
        for c in &mut self.0 {
            let deadline = Instant::now() + Duration::from_secs(5);
            while matches!(c.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Starts `masspoc harvester --config CONFIG` and returns it with the address it printed.
fn spawn_harvester(config: &PathBuf) -> anyhow::Result<(Child, Multiaddr)> {
    let exe = std::env::current_exe().context("locating the masspoc executable")?;
    let mut child = Command::new(exe)
        .args(["--log", "warn", "harvester", "--config"])
        .arg(config)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context("starting a harvester")?;
    let stdout = child.stdout.take().context("the harvester's stdout")?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    loop {
        let line = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                anyhow::bail!("the harvester of {} printed no address", config.display());
            }
        };
        if let Some(a) = line.strip_prefix("harvester listening on ") {
            let addr = a.parse().with_context(|| format!("address {a:?}"))?;
            return Ok((child, addr));
        }
    }
}

/// Prints the report as a table.
pub fn print_table(r: &HarvesterBenchReport) {
    println!(
        "farm benchmark over {} harvester process(es): {} plots of k={}, {} challenges",
        r.harvesters, r.plots, r.k, r.rounds
    );
    println!(
        "  local  challenge → best proof p50 {:>10.1} µs  p99 {:>10.1} µs",
        r.local.p50_us, r.local.p99_us
    );
    println!(
        "  remote challenge → best proof p50 {:>10.1} µs  p99 {:>10.1} µs (target p99 ≤ {:.0} µs)",
        r.remote.p50_us, r.remote.p99_us, r.target_p99_us
    );
    println!(
        "  rounds with a proof {}, best proof differed in {}",
        r.rounds_with_proof, r.best_mismatches
    );
}
