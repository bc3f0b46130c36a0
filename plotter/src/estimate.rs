//! How long a plot will take, said before it starts: the plot's work (P passes, F evaluations,
//! bytes written) priced at rates measured on this machine in well under a second, and a running
//! estimate from the progress made since.
//!
//! The initial figure is `SLACK × (rounds·P + F + plot write + run-file writes and reads)`, where
//! P, F and the writes are timed on a sample now (all cores; a 64 MiB write with fsync into the
//! output directory). `SLACK` covers what the sample does not time (sorting, packing, faulting
//! fresh memory); it is the ratio `masspoc bench plot` measures on this machine kind for
//! k = 24–28 (2.0–2.8, docs/plot-format.md). Once work is under way, [`Eta`] extrapolates from
//! the elapsed time and the fraction of the weighted work done.

use crate::error::{IoContext, PlotError};
use crate::plan::Plan;
use crate::plotter::{Phase, PlotRequest};
use masspoc_proof::{f_many, p_fill, F_BATCH};
use rayon::prelude::*;
use serde::Serialize;
use std::io::Write;
use std::time::Instant;

/// What the sampled rates do not time (sorting, packing, fresh memory): the measured ratio of
/// plotting time to its bound, in tenths (2.5).
const SLACK_TENTHS: u32 = 25;
/// x values whose P is timed.
const P_SAMPLE: u64 = 1 << 20;
/// Pairs whose F is timed.
const F_SAMPLE: u64 = 1 << 19;
/// Bytes written (with fsync) to time the output disk.
const WRITE_SAMPLE: usize = 64 << 20;

/// The estimate of one plot.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Estimate {
    /// Seconds of the matching phase (every round's P pass, F, run files written and read).
    pub matching_s: f64,
    /// Seconds of the writing phase.
    pub writing_s: f64,
    /// Seconds of checksums, header and fsync.
    pub finishing_s: f64,
}

impl Estimate {
    /// The whole plot, in seconds.
    #[must_use]
    pub fn total_s(&self) -> f64 {
        self.matching_s + self.writing_s + self.finishing_s
    }
}

/// This machine's rates, measured for one request: what [`Rates::price`] turns into an estimate.
#[derive(Debug, Clone, Copy)]
pub struct Rates {
    /// P evaluations per second (all the request's threads).
    pub p_per_s: f64,
    /// F evaluations per second (all the request's threads).
    pub f_per_s: f64,
    /// Bytes per second of a write with fsync into the output directory.
    pub write_bytes_per_s: f64,
}

/// Measures this machine's rates (in about half a second) and estimates plotting `req` with
/// `plan`.
pub fn estimate(req: &PlotRequest, plan: &Plan) -> Result<Estimate, PlotError> {
    Ok(Rates::measure(req)?.price(req, plan))
}

impl Rates {
    /// Times P and F on samples (on `req`'s threads) and a 64 MiB write into `req`'s directory.
    pub fn measure(req: &PlotRequest) -> Result<Rates, PlotError> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(req.threads.max(1))
            .build()?;
        let plot_id = req.plot_id();
        let k = req.k;
        let p_rate = pool.install(|| {
            let t = Instant::now();
            let sink: u64 = (0..P_SAMPLE >> 14)
                .into_par_iter()
                .map_init(
                    || (vec![0u64; 1 << 14], Vec::new()),
                    |(out, scratch), b| {
                        p_fill(&plot_id, k, (b << 14) % k.domain(), out, scratch);
                        out.iter().fold(0, |a, &v| a ^ v)
                    },
                )
                .reduce(|| 0, |a, b| a ^ b);
            std::hint::black_box(sink);
            P_SAMPLE as f64 / t.elapsed().as_secs_f64().max(1e-9)
        });
        let f_rate = pool.install(|| {
            let batch = F_BATCH as u64 * 16;
            let t = Instant::now();
            let sink: u64 = (0..F_SAMPLE / batch)
                .into_par_iter()
                .map_init(
                    || (Vec::new(), vec![0u64; batch as usize]),
                    |(pairs, zs): &mut (Vec<(u64, u64)>, Vec<u64>), b| {
                        pairs.clear();
                        pairs.extend(
                            (b * batch..(b + 1) * batch)
                                .map(|i| (i & k.mask(), (i + 1) & k.mask())),
                        );
                        f_many(&plot_id, k, pairs, zs);
                        zs.iter().fold(0, |a, &v| a ^ v)
                    },
                )
                .reduce(|| 0, |a, b| a ^ b);
            std::hint::black_box(sink);
            F_SAMPLE as f64 / t.elapsed().as_secs_f64().max(1e-9)
        });
        Ok(Rates {
            p_per_s: p_rate,
            f_per_s: f_rate,
            write_bytes_per_s: write_rate(req)?,
        })
    }

    /// The estimate of plotting `req` with `plan` at these rates (no measuring: the same rates
    /// always give the same estimate).
    #[must_use]
    pub fn price(&self, req: &PlotRequest, plan: &Plan) -> Estimate {
        let k = req.k;
        let write_rate = self.write_bytes_per_s;
        let bytes = masspoc_plot::expected_plot_len(k) as f64;
        let p_pass = k.domain() as f64 / self.p_per_s;
        let f_all = k.half() as f64 / self.f_per_s;
        let spilled =
            (0..plan.rounds()).filter(|&r| plan.spills(r)).count() as f64 / plan.rounds() as f64;
        // A spilled record is about half a plot entry's bytes larger; written once, read once.
        let spill_s = 2.0 * spilled * 1.5 * bytes / write_rate;
        let slack = f64::from(SLACK_TENTHS) / 10.0;
        Estimate {
            matching_s: slack * (plan.rounds() as f64 * p_pass + f_all) + spill_s,
            writing_s: slack * (bytes / write_rate + p_pass),
            finishing_s: bytes / write_rate,
        }
    }
}

/// Bytes per second of a 64 MiB write with fsync into the output directory.
fn write_rate(req: &PlotRequest) -> Result<f64, PlotError> {
    let path = req.out_dir.join(".masspoc-estimate-write.tmp");
    let buf = vec![0xA5u8; WRITE_SAMPLE];
    let t = Instant::now();
    let written = (|| {
        let mut f = std::fs::File::create(&path)?;
        f.write_all(&buf)?;
        f.sync_all()
    })();
    let secs = t.elapsed().as_secs_f64();
    let _ = std::fs::remove_file(&path);
    written.at(&path)?;
    Ok(WRITE_SAMPLE as f64 / secs.max(1e-9))
}

/// A running estimate of the time left, from the initial [`Estimate`] and the progress made.
#[derive(Debug)]
pub struct Eta {
    estimate: Estimate,
    start: Instant,
    /// Fraction of the whole estimate reached at the start of the current phase, and the
    /// current phase's share.
    phase_base: f64,
    phase_share: f64,
    fraction: f64,
}

impl Eta {
    /// Starts the clock now.
    #[must_use]
    pub fn new(estimate: Estimate) -> Eta {
        Eta {
            estimate,
            start: Instant::now(),
            phase_base: 0.0,
            phase_share: 0.0,
            fraction: 0.0,
        }
    }

    /// A phase starts.
    pub fn phase(&mut self, phase: Phase) {
        let e = &self.estimate;
        let total = e.total_s().max(1e-9);
        let (before, share) = match phase {
            Phase::Matching => (0.0, e.matching_s),
            Phase::Writing => (e.matching_s, e.writing_s),
            Phase::Finishing => (e.matching_s + e.writing_s, e.finishing_s),
        };
        self.phase_base = before / total;
        self.phase_share = share / total;
        self.fraction = self.phase_base;
    }

    /// `done` of `total` steps of the current phase are complete.
    pub fn set(&mut self, done: u64, total: u64) {
        let part = if total == 0 {
            0.0
        } else {
            done as f64 / total as f64
        };
        self.fraction = (self.phase_base + self.phase_share * part.min(1.0)).min(1.0);
    }

    /// Seconds left: the initial estimate until 5% of the work is done, then the elapsed time
    /// extrapolated over the work left.
    #[must_use]
    pub fn left_s(&self) -> f64 {
        let elapsed = self.start.elapsed().as_secs_f64();
        if self.fraction < 0.05 {
            (self.estimate.total_s() - elapsed).max(0.0)
        } else {
            elapsed * (1.0 - self.fraction) / self.fraction
        }
    }

    /// Seconds since the start.
    #[must_use]
    pub fn elapsed_s(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use masspoc_proof::{FarmerPublicKey, PlotSeed, K};

    #[test]
    fn a_larger_plot_and_more_rounds_are_estimated_longer() {
        let dir = tempfile::tempdir().unwrap();
        let req = |k: u8| {
            PlotRequest::new(
                FarmerPublicKey([1; 32]),
                K::new(k).unwrap(),
                PlotSeed([2; 32]),
                dir.path(),
            )
        };
        let (r24, r28) = (req(24), req(28));
        // One measurement priced three ways: the comparisons test the model, not the noise of
        // three measurements (two of them once disagreed by 10% in a full run).
        let rates = Rates::measure(&r24).unwrap();
        assert!(rates.p_per_s > 0.0 && rates.f_per_s > 0.0 && rates.write_bytes_per_s > 0.0);
        let e24 = rates.price(&r24, &r24.plan());
        let e28 = rates.price(&r28, &r28.plan());
        // 16 times the points: at least 16 times the P and F work.
        assert!(e28.total_s() > 15.0 * e24.total_s(), "{e24:?} {e28:?}");
        let mut bounded = r28.clone();
        bounded.memory = 1 << 30;
        let eb = rates.price(&bounded, &bounded.plan());
        assert!(eb.matching_s > e28.matching_s, "{eb:?} {e28:?}");
        assert!(estimate(&r24, &r24.plan()).unwrap().total_s() > 0.0);
        assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none());
    }

    #[test]
    fn the_eta_follows_the_phases() {
        let e = Estimate {
            matching_s: 60.0,
            writing_s: 30.0,
            finishing_s: 10.0,
        };
        let mut eta = Eta::new(e);
        eta.phase(Phase::Matching);
        assert!((eta.left_s() - 100.0).abs() < 1.0);
        eta.set(1, 2);
        assert!((eta.fraction - 0.3).abs() < 1e-9);
        eta.phase(Phase::Writing);
        eta.set(1, 1);
        assert!((eta.fraction - 0.9).abs() < 1e-9);
        eta.phase(Phase::Finishing);
        eta.set(1, 1);
        assert!((eta.fraction - 1.0).abs() < 1e-9);
        assert!(eta.left_s() < 1e-6);
    }
}
