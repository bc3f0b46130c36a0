//! `masspoc check PLOT...`: header and checksum table, sampled challenges (every proof verified),
//! share answered, lookup latency; `--full` scrubs every byte against its checksum.

use super::progress::Bar;
use crate::output::print_json;
use masspoc_plot::{PlotReader, ReadError};
use masspoc_proof::{Challenge, FilterBits, ProbeBits};
use masspoc_report::Report as ErrorReport;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// `masspoc check`.
#[derive(clap::Args)]
pub struct Args {
    /// Plot files.
    #[arg(required = true)]
    plots: Vec<PathBuf>,
    /// Challenges to sample per plot.
    #[arg(long, default_value_t = 1000)]
    challenges: u64,
    /// Also verify every byte against its checksum.
    #[arg(long)]
    full: bool,
    /// Probe bits of the sampled challenges: each asks for the window of 2^B indexes around its
    /// z (0: z alone).
    #[arg(long, default_value_t = ProbeBits::NONE, value_parser = crate::bits_arg::probe_bits)]
    probe_bits: ProbeBits,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// What `check` found in one plot.
#[derive(Serialize, Default)]
pub struct Report {
    path: PathBuf,
    status: &'static str,
    plot_id: Option<String>,
    k: Option<u8>,
    pairs: Option<u64>,
    error: Option<String>,
    /// Damaged byte range `[start, end)`, when known.
    damaged_range: Option<[u64; 2]>,
    challenges: u64,
    answered: u64,
    share_answered: f64,
    proofs_verified: u64,
    lookup_us_mean: f64,
    lookup_us_max: f64,
    scrubbed: bool,
}

/// The i-th sampled challenge of a plot: `BLAKE3("masspoc/v1/check" || plot_id || u64le(i))`.
fn sample(plot_id: &[u8; 32], i: u64) -> Challenge {
    let mut h = blake3::Hasher::new();
    h.update(b"masspoc/v1/check");
    h.update(plot_id);
    h.update(&i.to_le_bytes());
    Challenge(*h.finalize().as_bytes())
}

/// What one `check` run asks of each plot.
#[derive(Clone, Copy)]
struct Sampling {
    challenges: u64,
    probe_bits: ProbeBits,
    full: bool,
}

fn check_one(path: &Path, s: Sampling) -> Report {
    let mut r = Report {
        path: path.to_path_buf(),
        status: "ok",
        ..Report::default()
    };
    if let Err(e) = check_into(path, s, &mut r) {
        r.status = "damaged";
        r.damaged_range = e.byte_range().map(|x| [x.start, x.end]);
        r.error = Some(ErrorReport(&e).to_string());
    }
    r
}

fn check_into(path: &Path, s: Sampling, r: &mut Report) -> Result<(), ReadError> {
    let Sampling {
        challenges,
        probe_bits,
        full,
    } = s;
    let reader = PlotReader::open(path)?;
    let h = reader.header();
    r.plot_id = Some(h.plot_id.to_hex());
    r.k = Some(h.k.get());
    r.pairs = Some(h.pair_count);
    reader.checksum_table()?;
    let mut total_us = 0f64;
    for i in 0..challenges {
        let c = sample(h.plot_id.as_bytes(), i);
        let t = Instant::now();
        let found = reader.prove(&c, FilterBits::NONE, probe_bits)?;
        let us = t.elapsed().as_secs_f64() * 1e6;
        total_us += us;
        r.lookup_us_max = r.lookup_us_max.max(us);
        r.challenges += 1;
        r.answered += u64::from(!found.is_empty());
        r.proofs_verified += found.len() as u64;
    }
    if r.challenges > 0 {
        r.share_answered = r.answered as f64 / r.challenges as f64;
        r.lookup_us_mean = total_us / r.challenges as f64;
    }
    if full {
        let bar = Bar::new(&path.file_name().unwrap_or_default().to_string_lossy());
        bar.start("scrub", h.layout.file_len());
        let res = reader.scrub(|done, _| bar.set_position(done));
        bar.finish();
        res?;
        r.scrubbed = true;
    }
    Ok(())
}

impl Args {
    /// Runs the command.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let sampling = Sampling {
            challenges: self.challenges,
            probe_bits: self.probe_bits,
            full: self.full,
        };
        let reports: Vec<Report> = self.plots.iter().map(|p| check_one(p, sampling)).collect();
        // A window of 2^b indexes holds Poisson(2^(b-1)) pairs: P(at least one) = 1 - e^(-2^(b-1)).
        let expected = 1.0 - (-f64::from(1u32 << self.probe_bits.get()) / 2.0).exp();
        let bad = reports.iter().any(|r| r.status != "ok");
        if self.json {
            print_json(&serde_json::json!({ "plots": reports }))?;
        } else {
            for r in &reports {
                match &r.error {
                    Some(e) => println!("{}: DAMAGED: {e}", r.path.display()),
                    None => println!(
                        "{}: ok, k={} pairs={} answered {}/{} ({:.1}%, expected ~{:.1}%), \
                         {} proofs verified, lookup {:.1} us mean / {:.1} us max{}",
                        r.path.display(),
                        r.k.unwrap_or(0),
                        r.pairs.unwrap_or(0),
                        r.answered,
                        r.challenges,
                        100.0 * r.share_answered,
                        100.0 * expected,
                        r.proofs_verified,
                        r.lookup_us_mean,
                        r.lookup_us_max,
                        if r.scrubbed {
                            ", every checksum verified"
                        } else {
                            ""
                        }
                    ),
                }
            }
        }
        Ok(if bad {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        })
    }
}
