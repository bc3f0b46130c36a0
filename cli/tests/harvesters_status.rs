//! `masspoc farm status` (issue 15) of a running `masspoc farm` paired with harvester processes:
//! each harvester's connection, plots and bytes, and a killed one shown as not connected.

use crate::common;

use common::harvesters::{three_harvesters, PLOTS_PER_HARVESTER};
use common::{masspoc, Run};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

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

/// The table `masspoc farm status` prints for the farmer at `url`.
fn status_table(url: &str) -> String {
    masspoc()
        .args(["farm", "status", "--status", url])
        .ok()
        .stdout
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

    let table = status_table(&url);
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
    let table = status_table(&url);
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
