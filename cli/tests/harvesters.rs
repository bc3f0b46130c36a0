//! Harvesters as real processes on loopback (`docs/harvesters.md`): three `masspoc harvester`
//! processes serve plots to a farmer's link (the farmer's own `remote::farm_round` and
//! `Harvesters`, the code `masspoc farm` runs). The farmer finds exactly the proofs a local round
//! over the same plots finds; a harvester SIGKILLed mid-round, one that hangs (SIGSTOP) and one
//! that lies (the harvester's fault hook) each cost a round at most its budget, the others'
//! proofs still arrive, the liar is reported and ignored, the metrics show each harvester's state,
//! and a restarted harvester rejoins by itself.

use crate::common;

use common::{masspoc, Run};
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

const PK: &str = "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a";
const PLOTS_PER_HARVESTER: u8 = 2;
const BUDGET: Duration = Duration::from_millis(1500);
/// What a round may take beyond its budget (scheduling on a loaded 2-core machine).
const SLACK: Duration = Duration::from_millis(700);

fn farmer_pk() -> FarmerPublicKey {
    FarmerPublicKey::from_hex(PK).unwrap()
}

fn probe() -> ProbeBits {
    ProbeBits::new(2).unwrap()
}

fn challenge(i: u64) -> Challenge {
    Challenge(*blake3::hash(&(i ^ 0x4841_5256).to_le_bytes()).as_bytes())
}

/// One harvester process: its directory (plots, config, identity) and its address.
struct Proc {
    dir: PathBuf,
    config: PathBuf,
    child: Option<Child>,
    addr: Multiaddr,
}

impl Proc {
    /// Starts `masspoc harvester` on `config` and waits for the address it prints.
    fn start(dir: &Path, config: &Path, fault: Option<&str>) -> Proc {
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

    fn signal(&self, sig: libc::c_int) {
        let pid = self.child.as_ref().unwrap().id() as libc::pid_t;
        // SAFETY: kill(2) on our own child, which has not been reaped.
        assert_eq!(unsafe { libc::kill(pid, sig) }, 0);
    }

    fn kill(&mut self) {
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
fn three_harvesters(root: &Path, farmer_key: &Keypair, faults: [Option<&str>; 3]) -> Vec<Proc> {
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
fn local(dirs: &[PathBuf]) -> Arc<PlotSet> {
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

fn plot_dirs(procs: &[&Proc]) -> Vec<PathBuf> {
    procs.iter().map(|p| p.dir.join("plots")).collect()
}

/// The encoded proofs of a round, sorted.
fn proofs(out: &RoundOutcome) -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = out
        .all
        .iter()
        .map(|p| p.found.proof.encode().to_vec())
        .collect();
    v.sort();
    v
}

async fn round(farmer: &Harvesters, set: &PlotSet, c: Challenge) -> RoundOutcome {
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

async fn local_round(set: &PlotSet, c: Challenge) -> RoundOutcome {
    farm_round(set, None, farmer_pk(), c, FilterBits::NONE, probe(), BUDGET).await
}

async fn until_connected(farmer: &Harvesters, which: &[usize], connected: bool) {
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
async fn farmer_of(key: Keypair, procs: &[Proc]) -> (Arc<Harvesters>, Arc<PlotSet>) {
    let addrs: Vec<Multiaddr> = procs.iter().map(|p| p.addr.clone()).collect();
    let farmer = Harvesters::start(key, &addrs, farmer_pk()).unwrap();
    until_connected(&farmer, &[0, 1, 2], true).await;
    let none = PlotSet::new(&[], Arc::new(ReaderOpener { farmer_pk: None }));
    (farmer, none)
}

/// The address the farmer dials for harvester `i` is the one the restarted process printed.
fn farmer_addr_of(farmer: &Harvesters, i: usize, p: &Proc) -> Multiaddr {
    let id = farmer.views()[i].id.clone();
    assert!(p.addr.to_string().ends_with(&id), "{} is not {id}", p.addr);
    p.addr.clone()
}

/// Challenges whose local round over `set` finds proofs, with at most 64 per harvester directory
/// (what a farmer asks one harvester for).
async fn challenges_with_proofs(set: &PlotSet, n: usize) -> Vec<Challenge> {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_harvesters_find_exactly_the_proofs_of_a_local_farm() {
    let tmp = common::scratch();
    let key = Keypair::generate_ed25519();
    let procs = three_harvesters(tmp.path(), &key, [None, None, None]);
    let all = local(&plot_dirs(&procs.iter().collect::<Vec<_>>()));
    let (farmer, none) = farmer_of(key, &procs).await;
    let mut compared = 0;
    for c in challenges_with_proofs(&all, 12).await {
        let want = local_round(&all, c).await;
        let got = round(&farmer, &none, c).await;
        assert!(got.errors.is_empty(), "{:?}", got.errors);
        assert_eq!(proofs(&got), proofs(&want));
        assert_eq!(
            got.best.as_ref().map(|b| b.found.score),
            want.best.as_ref().map(|b| b.found.score)
        );
        assert!(got.elapsed < BUDGET, "{:?}", got.elapsed);
        compared += want.all.len();
    }
    assert!(compared >= 12);
    // Each harvester's plots were counted, and every proof is credited to one of them.
    let views = farmer.views();
    assert_eq!(
        views.iter().map(|v| v.proofs).sum::<u64>(),
        compared as u64,
        "{views:?}"
    );
    assert!(
        views.iter().all(|v| v.lookups >= 12 && v.timeouts == 0),
        "{views:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_harvester_costs_at_most_the_budget_and_rejoins_when_restarted() {
    let tmp = common::scratch();
    let key = Keypair::generate_ed25519();
    let mut procs = three_harvesters(tmp.path(), &key, [None, None, None]);
    let all = local(&plot_dirs(&procs.iter().collect::<Vec<_>>()));
    let others = local(&plot_dirs(&[&procs[1], &procs[2]]));
    let (farmer, none) = farmer_of(key, &procs).await;
    let cs = challenges_with_proofs(&all, 6).await;

    // SIGKILL in the middle of a round.
    let (f2, n2, c0) = (farmer.clone(), none.clone(), cs[0]);
    let started = Instant::now();
    let pending = tokio::spawn(async move { round(&f2, &n2, c0).await });
    procs[0].kill();
    let got = pending.await.unwrap();
    assert!(
        started.elapsed() < BUDGET + SLACK,
        "{:?}",
        started.elapsed()
    );
    // The round kept the others' proofs (the killed one's answer may have come first).
    let want_others = proofs(&local_round(&others, c0).await);
    let got = proofs(&got);
    assert!(
        want_others.iter().all(|p| got.contains(p)),
        "lost a live harvester's proofs"
    );

    until_connected(&farmer, &[0], false).await;
    let mut metrics = String::new();
    farmer.render_metrics(&mut metrics);
    let id0 = farmer.views()[0].id.clone();
    assert!(
        metrics.contains(&format!(
            "masspoc_farmer_harvester_connected{{harvester=\"{id0}\"}} 0"
        )),
        "{metrics}"
    );
    for c in &cs[1..3] {
        let t = Instant::now();
        let got = round(&farmer, &none, *c).await;
        assert!(t.elapsed() < BUDGET + SLACK, "{:?}", t.elapsed());
        assert_eq!(proofs(&got), proofs(&local_round(&others, *c).await));
    }

    // Restarted with the same identity and address: the farmer redials it by itself.
    let (dir, config) = (procs[0].dir.clone(), procs[0].config.clone());
    procs[0] = Proc::start(&dir, &config, None);
    assert_eq!(procs[0].addr, farmer_addr_of(&farmer, 0, &procs[0]));
    until_connected(&farmer, &[0, 1, 2], true).await;
    for c in &cs[3..] {
        let got = round(&farmer, &none, *c).await;
        assert_eq!(proofs(&got), proofs(&local_round(&all, *c).await));
    }
    let mut metrics = String::new();
    farmer.render_metrics(&mut metrics);
    assert!(
        metrics.contains(&format!(
            "masspoc_farmer_harvester_connected{{harvester=\"{id0}\"}} 1"
        )),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_harvester_is_bounded_by_the_budget_and_a_liar_is_reported_and_ignored() {
    let tmp = common::scratch();
    let key = Keypair::generate_ed25519();
    let procs = three_harvesters(tmp.path(), &key, [None, None, Some("invalid-proofs")]);
    let honest = local(&plot_dirs(&[&procs[0], &procs[1]]));
    let all = local(&plot_dirs(&procs.iter().collect::<Vec<_>>()));
    let (farmer, none) = farmer_of(key, &procs).await;
    let liar = farmer.views()[2].id.clone();
    let cs = challenges_with_proofs(&all, 6).await;

    // The liar: its answers are refused and reported, the honest proofs are all there.
    for c in &cs[..2] {
        let got = round(&farmer, &none, *c).await;
        assert_eq!(proofs(&got), proofs(&local_round(&honest, *c).await));
    }
    let views = farmer.views();
    assert!(views[2].invalid >= 1, "{views:?}");
    assert_eq!(views[2].proofs, 0, "{views:?}");
    assert_eq!(views[0].invalid + views[1].invalid, 0, "{views:?}");
    let mut metrics = String::new();
    farmer.render_metrics(&mut metrics);
    assert!(
        metrics.contains(&format!(
            "masspoc_farmer_harvester_invalid_answers_total{{harvester=\"{liar}\"}} {}",
            views[2].invalid
        )),
        "{metrics}"
    );

    // Harvester 0 hangs: rounds still end within the budget with harvester 1's proofs.
    procs[0].signal(libc::SIGSTOP);
    let only_1 = local(&plot_dirs(&[&procs[1]]));
    for c in &cs[2..5] {
        let t = Instant::now();
        let got = round(&farmer, &none, *c).await;
        assert!(t.elapsed() < BUDGET + SLACK, "{:?}", t.elapsed());
        assert_eq!(proofs(&got), proofs(&local_round(&only_1, *c).await));
    }
    let views = farmer.views();
    assert!(views[0].timeouts >= 2, "{views:?}");
    // After two missed budgets rounds stop waiting for it at all.
    let t = Instant::now();
    let _ = round(&farmer, &none, cs[5]).await;
    assert!(t.elapsed() < BUDGET / 2, "{:?}", t.elapsed());

    // Woken up, it answers again and rounds wait for it again.
    procs[0].signal(libc::SIGCONT);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let got = round(&farmer, &none, cs[5]).await;
        if proofs(&got) == proofs(&local_round(&honest, cs[5]).await) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the woken harvester never answered again"
        );
    }
}

/// `masspoc bench farm --harvesters 2` runs the same rounds across harvester processes and
/// locally, and both ways find the same best proof every round (timings are not asserted).
#[test]
fn bench_farm_across_harvesters_finds_the_local_best_proofs() {
    let tmp = common::scratch();
    let report = masspoc()
        .args([
            "bench",
            "farm",
            "--harvesters",
            "2",
            "--plots",
            "4",
            "--k",
            "16",
        ])
        .args(["--rounds", "20", "--json", "--dir"])
        .arg(tmp.path())
        .ok()
        .json();
    assert_eq!(report["harvesters"], 2, "{report}");
    assert_eq!(report["plots"], 4, "{report}");
    assert_eq!(report["rounds"], 20, "{report}");
    assert_eq!(report["best_mismatches"], 0, "{report}");
    assert!(
        report["rounds_with_proof"].as_u64().unwrap() > 0,
        "{report}"
    );
    assert!(
        report["remote"]["p99_us"].as_f64().unwrap() > 0.0,
        "{report}"
    );
}

/// A `masspoc farm` process, killed when dropped.
struct Farmer(Child);

impl Drop for Farmer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Bytes of the plot files in `dir`.
fn plot_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum()
}

/// Polls `masspoc farm status --json` of the farmer at `url` until `done` holds (20 s at most).
fn farm_status_until(
    url: &str,
    log: &Path,
    done: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let v = masspoc()
            .args(["farm", "status", "--json", "--status", url])
            .ok()
            .json();
        if done(&v) {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "farm status never got there: {v}; farmer log:\n{}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// `masspoc farm status` (issue 15) against a running `masspoc farm` paired with three harvester
/// processes: each harvester connected with the plots and bytes on its disk, no errors; a killed
/// harvester shows as not connected. The farmer's chain node is unreachable (no node runs), so no
/// lookups happen and the latency columns stay empty.
#[test]
fn farm_status_shows_each_harvester_of_a_running_farmer() {
    let tmp = common::scratch();
    let farmer_dir = tmp.path().join("farmer");
    let link = masspoc_net::identity::load_or_create(&farmer_dir).unwrap();
    let mut procs = three_harvesters(tmp.path(), &link, [None, None, None]);
    masspoc()
        .args(["keygen", "--out"])
        .arg(farmer_dir.join("farmer.key"))
        .ok();
    let addrs: Vec<String> = procs.iter().map(|p| p.addr.to_string()).collect();
    std::fs::write(
        farmer_dir.join("farmer.toml"),
        format!(
            "key_file = \"farmer.key\"\nplot_dirs = []\nstatus_listen = \"127.0.0.1:0\"\n\
             status_interval_secs = 1\nharvesters = {addrs:?}\nharvester_identity_dir = \".\"\n\
             [[chain]]\nchain_id = \"{}\"\nbridge = \"http://127.0.0.1:9\"\n",
            "00".repeat(32)
        ),
    )
    .unwrap();
    let log = farmer_dir.join("farmer.log");
    let _farmer = Farmer(
        masspoc()
            .args(["farm", "--config"])
            .arg(farmer_dir.join("farmer.toml"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let url = loop {
        if let Some(u) = common::status_url_in_log(&log) {
            break u;
        }
        assert!(Instant::now() < deadline, "no status URL in the farmer log");
        std::thread::sleep(Duration::from_millis(100));
    };
    let all_in = |v: &serde_json::Value| {
        v["harvesters"].as_array().is_some_and(|hs| {
            hs.len() == 3
                && hs
                    .iter()
                    .all(|h| h["connected"] == true && h["plots"] == PLOTS_PER_HARVESTER)
        })
    };
    let v = farm_status_until(&url, &log, all_in);
    let mut total = 0;
    for (p, h) in procs.iter().zip(v["harvesters"].as_array().unwrap()) {
        let id = h["id"].as_str().unwrap();
        assert!(p.addr.to_string().ends_with(id), "{} is not {id}", p.addr);
        let on_disk = plot_bytes(&p.dir.join("plots"));
        assert_eq!(h["bytes"], on_disk, "{v}");
        total += on_disk;
        assert_eq!(h["errors"], 0, "{v}");
        assert_eq!(h["invalid"], 0, "{v}");
        assert_eq!(h["lookups"], 0, "{v}");
        assert!(h["p50_us"].is_null() && h["p99_us"].is_null(), "{v}");
    }
    assert_eq!(
        v["remote"]["plots"],
        3 * u64::from(PLOTS_PER_HARVESTER),
        "{v}"
    );
    assert_eq!(v["remote"]["bytes"], total, "{v}");
    assert_eq!(v["local"]["plots"], 0, "{v}");

    let table = masspoc()
        .args(["farm", "status", "--status", &url])
        .ok()
        .stdout;
    assert!(
        table.contains("on 3 of 3 harvester(s) connected"),
        "{table}"
    );
    for p in &procs {
        let id = p.addr.to_string().rsplit('/').next().unwrap().to_string();
        let row = table
            .lines()
            .find(|l| l.trim_start().starts_with(&id))
            .unwrap_or_else(|| panic!("no row for {id}: {table}"));
        let cols: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(cols[1..3], ["connected", "2"], "{row}");
    }

    // One harvester gone: the farmer's status says so.
    procs[1].kill();
    let gone = v["harvesters"][1]["id"].as_str().unwrap().to_string();
    let v = farm_status_until(&url, &log, |v| v["harvesters"][1]["connected"] == false);
    assert_eq!(v["harvesters"][0]["connected"], true, "{v}");
    let table = masspoc()
        .args(["farm", "status", "--status", &url])
        .ok()
        .stdout;
    assert!(
        table.contains("on 2 of 3 harvester(s) connected"),
        "{table}"
    );
    let row = table
        .lines()
        .find(|l| l.trim_start().starts_with(&gone))
        .unwrap();
    assert!(row.contains("NOT CONNECTED"), "{row}");

    // No farmer there: a clear error, not a panic.
    let down = masspoc()
        .args(["farm", "status", "--status", "http://127.0.0.1:9"])
        .run();
    assert_ne!(down.code(), 0);
    assert!(
        down.both().contains("cannot reach the farmer's status"),
        "{}",
        down.both()
    );
}
