//! `masspoc bench pow [--json]`: PoW headers validated per second on all cores (the follower's
//! own parallel check: id, link, bits, scrypt) beside the raw scrypt rate of this build on one
//! core. Validation is parallel, so on 2 cores it should reach ≥ 1.8× the one-core raw rate.

use crate::output::print_json;
use masspoc_node_bridge::follower::validate::{validate_run, Fetched, Parent};
use masspoc_node_bridge::pow::{check_pow, scrypt_pow, BlockHeader, Hash256, PowParams};
use serde::Serialize;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Options of the PoW benchmark.
#[derive(clap::Args)]
pub struct Args {
    /// Seconds spent on each measurement.
    #[arg(long, default_value_t = 3.0)]
    seconds: f64,
    /// Headers in the validated chain.
    #[arg(long, default_value_t = 2048)]
    headers: usize,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Report {
    cores: usize,
    headers_per_run: usize,
    validated_headers_per_sec: f64,
    raw_scrypt_per_sec_one_core: f64,
    ratio: f64,
    target_ratio: Option<f64>,
    meets_target: Option<bool>,
    /// Cores' worth of CPU the process got while validating (2.0 = both cores, all the time);
    /// below that, other load on the machine limited the measurement.
    cores_used_validating: Option<f64>,
    /// The same while hashing on one core (1.0 = that core all the time).
    cores_used_raw: Option<f64>,
}

/// This process's CPU time (user + system), from `/proc/self/stat` (Linux; ticks of 1/100 s).
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let rest = stat.get(stat.rfind(')')? + 2..)?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// A chain of regtest-difficulty headers with valid proof of work (about two scrypt hashes each
/// to grind), so validation accepts every one of them.
fn chain(n: usize) -> (Parent, Vec<Fetched>) {
    let parent = Parent {
        height: 0,
        id: Hash256([0x11; 32]),
        bits: 0x207fffff,
    };
    let mut prev = parent.id;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let mut h = BlockHeader {
            version: 0x2000_0000,
            prev,
            merkle_root: Hash256([(i % 251) as u8; 32]),
            time: 1_700_000_000 + i as u32,
            bits: 0x207fffff,
            nonce: 0,
        };
        while check_pow(&h).verdict.is_err() {
            h.nonce += 1;
        }
        prev = h.id();
        out.push(Fetched {
            height: i as u64 + 1,
            reported: prev,
            raw: h.encode().to_vec(),
        });
    }
    (parent, out)
}

impl Args {
    /// Runs the benchmark.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let budget = Duration::from_secs_f64(self.seconds.clamp(0.1, 600.0));
        let (parent, run) = chain(self.headers.clamp(16, 1 << 20));
        let params = PowParams::regtest();

        // Alternate short rounds of both measurements so that a change in the machine's load
        // during the run affects both alike.
        let headers: Vec<[u8; 80]> = run
            .iter()
            .map(|f| f.raw.as_slice().try_into().unwrap_or([0; 80]))
            .collect();
        let rounds = 6u32;
        let slice = budget / rounds;
        let (mut raw, mut raw_time) = (0u64, Duration::ZERO);
        let (mut validated, mut valid_time) = (0u64, Duration::ZERO);
        let (mut raw_cpu, mut valid_cpu) = (Some(0.0), Some(0.0));
        for _ in 0..rounds {
            // One core, raw scrypt over the same header bytes.
            let cpu0 = cpu_seconds();
            let start = Instant::now();
            while start.elapsed() < slice {
                for h in headers.iter().take(64) {
                    std::hint::black_box(scrypt_pow(std::hint::black_box(h)));
                }
                raw += 64.min(headers.len()) as u64;
            }
            raw_time += start.elapsed();
            let cpu1 = cpu_seconds();
            raw_cpu = raw_cpu.zip(cpu0.zip(cpu1)).map(|(t, (a, b))| t + b - a);
            // All cores, full validation of the chain.
            let start = Instant::now();
            while start.elapsed() < slice {
                validated += validate_run(&params, Some(parent), &run)?.len() as u64;
            }
            valid_time += start.elapsed();
            let cpu2 = cpu_seconds();
            valid_cpu = valid_cpu.zip(cpu1.zip(cpu2)).map(|(t, (a, b))| t + b - a);
        }
        let raw_rate = raw as f64 / raw_time.as_secs_f64();
        let rate = validated as f64 / valid_time.as_secs_f64();

        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let ratio = rate / raw_rate;
        let target = (cores >= 2).then_some(1.8);
        let report = Report {
            cores,
            headers_per_run: run.len(),
            validated_headers_per_sec: rate,
            raw_scrypt_per_sec_one_core: raw_rate,
            ratio,
            target_ratio: target,
            meets_target: target.map(|t| ratio >= t),
            cores_used_validating: valid_cpu.map(|c| c / valid_time.as_secs_f64()),
            cores_used_raw: raw_cpu.map(|c| c / raw_time.as_secs_f64()),
        };
        if self.json {
            print_json(&report)?;
        } else {
            println!("cores:                          {cores}");
            println!("headers validated/s (all cores): {rate:.0}");
            println!("raw scrypt/s (one core):         {raw_rate:.0}");
            match target {
                Some(t) => println!("ratio:                           {ratio:.2} (target ≥ {t})"),
                None => println!("ratio:                           {ratio:.2}"),
            }
            if let (Some(v), Some(r)) = (report.cores_used_validating, report.cores_used_raw) {
                println!("cores used (validating / raw):   {v:.2} / {r:.2}");
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}
