//! The shared harness of the harvester tests (`docs/harvesters.md`): real `masspoc harvester`
//! processes on loopback serving real k=16 plots ([`Proc`], [`three_harvesters`]), a farmer link
//! to them ([`farmer_of`]), rounds over the link and over the same plots read locally, and what
//! the tests compare (proofs, metrics).

use super::{masspoc, Run};
use masspoc_farmer::lookup::RoundOutcome;
use masspoc_farmer::plots::{PlotSet, ReaderOpener};
use masspoc_farmer::remote::{farm_round, Harvesters};
use masspoc_net::{Keypair, Multiaddr};
use masspoc_proof::{Challenge, FarmerPublicKey, FilterBits, ProbeBits};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The farmer public key every test plot is made for (hex).
pub const PK: &str = "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a";
/// Plots each harvester serves.
pub const PLOTS_PER_HARVESTER: u8 = 2;
/// The lookup budget of a round.
pub const BUDGET: Duration = Duration::from_millis(1500);
/// What a round may take beyond its budget (scheduling on a loaded 2-core machine).
pub const SLACK: Duration = Duration::from_millis(700);

/// [`PK`] as a key.
pub fn farmer_pk() -> FarmerPublicKey {
    FarmerPublicKey::from_hex(PK).unwrap()
}

/// The probe window of the test rounds.
pub fn probe() -> ProbeBits {
    ProbeBits::new(2).unwrap()
}

/// The `i`-th test challenge.
pub fn challenge(i: u64) -> Challenge {
    Challenge(*blake3::hash(&(i ^ 0x4841_5256).to_le_bytes()).as_bytes())
}

/// One harvester process: its directory (plots, config, identity) and its address.
pub struct Proc {
    /// Its directory (plots in `plots/`).
    pub dir: PathBuf,
    /// Its config file.
    pub config: PathBuf,
    child: Option<Child>,
    /// The address it printed.
    pub addr: Multiaddr,
}

impl Proc {
    /// Starts `masspoc harvester` on `config` and waits for the address it prints.
    pub fn start(dir: &Path, config: &Path, fault: Option<&str>) -> Proc {
        let mut cmd = masspoc();
        cmd.args(["harvester", "--config"])
            .arg(config)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if let Some(f) = fault {
            cmd.env("MASSPOC_HARVESTER_FAULT", f);
        }
        let mut child = cmd.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let addr = loop {
            let line = rx
                .recv_timeout(Duration::from_secs(30))
                .expect("the harvester prints its address");
            if let Some(a) = line.strip_prefix("harvester listening on ") {
                break a.parse().unwrap();
            }
        };
        Proc {
            dir: dir.to_path_buf(),
            config: config.to_path_buf(),
            child: Some(child),
            addr,
        }
    }

    /// Sends `sig` to the process.
    pub fn signal(&self, sig: libc::c_int) {
        let pid = self.child.as_ref().unwrap().id() as libc::pid_t;
        // SAFETY: kill(2) on our own child, which has not been reaped.
        assert_eq!(unsafe { libc::kill(pid, sig) }, 0);
    }

    /// SIGKILLs the process and reaps it.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill(); // SIGKILL
            let _ = c.wait();
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if self.child.is_some() {
            self.signal(libc::SIGCONT);
        }
        self.kill();
    }
}

/// Three plot directories of real k=16 plots, each served by a harvester process paired with
/// `farmer_key`; `faults[i]` is harvester i's fault hook.
pub fn three_harvesters(root: &Path, farmer_key: &Keypair, faults: [Option<&str>; 3]) -> Vec<Proc> {
    let farmer = farmer_key.public().to_peer_id();
    let mut procs = Vec::new();
    for (i, fault) in faults.into_iter().enumerate() {
        let dir = root.join(format!("harvester-{i}"));
        let plots = dir.join("plots");
        for j in 0..PLOTS_PER_HARVESTER {
            let seed = format!("{:02x}", 16 * i as u8 + j + 1).repeat(32);
            masspoc()
                .args(["plot", "--farmer-pk", PK, "--k", "16", "--create", "--json"])
                .args(["--seed", &seed, "--out"])
                .arg(&plots)
                .ok();
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let config = dir.join("harvester.toml");
        std::fs::write(
            &config,
            format!(
                "plot_dirs = [\"plots\"]\nlisten = [\"/ip4/127.0.0.1/tcp/{port}\"]\n\
                 farmers = [\"{farmer}\"]\nrescan_interval_secs = 60\n"
            ),
        )
        .unwrap();
        procs.push(Proc::start(&dir, &config, fault));
    }
    procs
}

/// A local plot set over `dirs` (the farmer's own reading of the same plots).
pub fn local(dirs: &[PathBuf]) -> Arc<PlotSet> {
    let set = PlotSet::new(
        dirs,
        Arc::new(ReaderOpener {
            farmer_pk: Some(farmer_pk()),
        }),
    );
    assert_eq!(
        set.rescan_blocking().plots,
        dirs.len() * usize::from(PLOTS_PER_HARVESTER)
    );
    set
}

/// The plot directories of `procs`.
pub fn plot_dirs(procs: &[&Proc]) -> Vec<PathBuf> {
    procs.iter().map(|p| p.dir.join("plots")).collect()
}

/// The encoded proofs of a round, sorted.
pub fn proofs(out: &RoundOutcome) -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = out
        .all
        .iter()
        .map(|p| p.found.proof.encode().to_vec())
        .collect();
    v.sort();
    v
}

/// One round of the farmer linked to harvesters `farmer` over `set` (and the harvesters).
pub async fn round(farmer: &Harvesters, set: &PlotSet, c: Challenge) -> RoundOutcome {
    farm_round(
        set,
        Some(farmer),
        farmer_pk(),
        c,
        FilterBits::NONE,
        probe(),
        BUDGET,
    )
    .await
}

/// One round over the local plot set `set` alone.
pub async fn local_round(set: &PlotSet, c: Challenge) -> RoundOutcome {
    farm_round(set, None, farmer_pk(), c, FilterBits::NONE, probe(), BUDGET).await
}

/// Waits (20 s at most) until the harvesters `which` are all `connected` (or all not).
pub async fn until_connected(farmer: &Harvesters, which: &[usize], connected: bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let views = farmer.views();
        if which.iter().all(|i| views[*i].connected == connected) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "harvesters {which:?} not connected={connected}: {views:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A farmer link to `procs` and an empty local plot set (all its plots are on harvesters).
pub async fn farmer_of(key: Keypair, procs: &[Proc]) -> (Arc<Harvesters>, Arc<PlotSet>) {
    let addrs: Vec<Multiaddr> = procs.iter().map(|p| p.addr.clone()).collect();
    let farmer = Harvesters::start(key, &addrs, farmer_pk()).unwrap();
    until_connected(&farmer, &[0, 1, 2], true).await;
    let none = PlotSet::new(&[], Arc::new(ReaderOpener { farmer_pk: None }));
    (farmer, none)
}

/// The address the farmer dials for harvester `i` is the one the restarted process printed.
pub fn farmer_addr_of(farmer: &Harvesters, i: usize, p: &Proc) -> Multiaddr {
    let id = farmer.views()[i].id.clone();
    assert!(p.addr.to_string().ends_with(&id), "{} is not {id}", p.addr);
    p.addr.clone()
}

/// Challenges whose local round over `set` finds proofs, with at most 64 per harvester directory
/// (what a farmer asks one harvester for).
pub async fn challenges_with_proofs(set: &PlotSet, n: usize) -> Vec<Challenge> {
    let mut out = Vec::new();
    for i in 0..200 {
        let c = challenge(i);
        let r = local_round(set, c).await;
        if !r.all.is_empty() {
            assert!(
                r.all.len() <= 64,
                "{} proofs for one challenge",
                r.all.len()
            );
            out.push(c);
            if out.len() == n {
                break;
            }
        }
    }
    assert_eq!(out.len(), n, "too few challenges with proofs");
    out
}

/// The farmer link's metrics, rendered as the status page serves them.
pub fn rendered_metrics(farmer: &Harvesters) -> String {
    let mut metrics = String::new();
    farmer.render_metrics(&mut metrics);
    metrics
}
