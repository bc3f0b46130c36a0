//! Set-up shared by the tests that run a real `masspoc bridge run` and `masspoc farm` beside one
//! regtest litecoind: a key and k = 16 plots, a one-chain `chains.toml` sized for them, a free
//! loopback port and the bridge's command line.

use super::{masspoc, node_args, Run};
use masspoc_node_bridge::regtest::RegtestNode;
use masspoc_proof::{weight, FilterBits, ProbeBits, K};
use masspoc_verifier::difficulty_for_weight;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

/// The wall clock in milliseconds since the Unix epoch (a chain's `genesis_time_ms`).
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_millis() as u64
}

/// A loopback port nothing listens on at the moment of the call.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// `masspoc keygen --out DIR/farmer.key`, then `plots` plots of k = 16 into `DIR/plots`.
pub fn key_and_plots(dir: &Path, plots: u32) {
    let key = dir.join("farmer.key").display().to_string();
    masspoc().args(["keygen", "--out", &key]).ok();
    let out = dir.join("plots").display().to_string();
    for _ in 0..plots {
        masspoc()
            .args(["plot", "--key", &key, "--k", "16", "--out", &out])
            .args(["--create", "--json"])
            .ok();
    }
}

/// Writes `DIR/chains.toml`: one chain `name` on `beacon` with its genesis now, blocks and slots
/// of `target_ms`, and the difficulty at which `plots` k = 16 plots win about one block per
/// target interval; `extra` (TOML lines, each ending in a newline) is appended to the table.
pub fn write_one_chain(
    dir: &Path,
    name: &str,
    beacon: &str,
    plots: u32,
    target_ms: u64,
    extra: &str,
) {
    let difficulty = difficulty_for_weight(
        u128::from(plots) * u128::from(weight(K::new(16).expect("k = 16 is valid"))),
        target_ms,
        FilterBits::NONE,
        ProbeBits::NONE,
    )
    .max(1);
    std::fs::write(
        dir.join("chains.toml"),
        format!(
            "[[chain]]\nname = \"{name}\"\nbeacon = \"{beacon}\"\ngenesis_time_ms = {}\n\
             target_interval_ms = {target_ms}\nslot_ms = {target_ms}\nfilter_bits = 0\nmin_k = 16\n\
             initial_difficulty = {difficulty}\nretarget_window = 100\nmax_future_drift_ms = 2000\n\
             {extra}",
            now_ms()
        ),
    )
    .expect("chains.toml written");
}

/// The arguments of `masspoc bridge run` on regtest against `node` (confirmations 1, the node
/// polled every 200 ms), hosting `DIR/chains.toml`, listening on `127.0.0.1:port`, its data in
/// `DIR/bridge`.
pub fn bridge_run_args(dir: &Path, port: u16, node: &RegtestNode) -> Vec<String> {
    let d = |p: &str| dir.join(p).display().to_string();
    let mut args: Vec<String> = [
        "bridge",
        "run",
        "--network",
        "regtest",
        "--confirmations",
        "1",
    ]
    .map(String::from)
    .to_vec();
    args.extend([
        "--poll-ms".into(),
        "200".into(),
        "--chains".into(),
        d("chains.toml"),
    ]);
    args.extend(["--listen".into(), format!("127.0.0.1:{port}")]);
    args.extend(["--data".into(), d("bridge")]);
    args.extend(node_args(node));
    args
}

/// Counts, over the whole best chain, the OP_RETURN outputs whose script contains `root_hex`.
pub fn op_returns_with(node: &RegtestNode, root_hex: &str) -> usize {
    let rpc = node.rpc();
    let mut n = 0;
    for h in 0..=rpc.block_count().unwrap() {
        let block = rpc.block_verbose(&rpc.block_hash(h).unwrap()).unwrap();
        for tx in block["tx"].as_array().unwrap() {
            for out in tx["vout"].as_array().unwrap() {
                let script = &out["scriptPubKey"];
                if script["type"] == "nulldata"
                    && script["hex"].as_str().unwrap_or("").contains(root_hex)
                {
                    n += 1;
                }
            }
        }
    }
    n
}

/// Writes `DIR/farmer.toml`: the plots and key of [`key_and_plots`], farming chain `name` on
/// the bridge at `bridge_base` (`http://host:port`), metrics and status page on free ports.
pub fn write_farmer_config(dir: &Path, name: &str, bridge_base: &str) -> std::path::PathBuf {
    let d = |p: &str| dir.join(p).display().to_string();
    let path = dir.join("farmer.toml");
    std::fs::write(
        &path,
        format!(
            "plot_dirs = [\"{}\"]\nkey_file = \"{}\"\nsigning_history = \"{}.history\"\n\
             lookup_budget_ms = 1000\nmetrics_listen = \"127.0.0.1:0\"\n\
             status_listen = \"127.0.0.1:0\"\n[[chain]]\nname = \"{name}\"\n\
             bridge = \"{bridge_base}\"\n",
            d("plots"),
            d("farmer.key"),
            d("farmer.key")
        ),
    )
    .expect("farmer.toml written");
    path
}

/// Starts `masspoc ARGS` in the background, its stderr (the log) into `log`.
pub fn spawn_logged<S: AsRef<std::ffi::OsStr>>(
    args: impl IntoIterator<Item = S>,
    log: &Path,
) -> std::process::Child {
    masspoc()
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(log).expect("log file created"))
        .spawn()
        .expect("masspoc starts")
}
