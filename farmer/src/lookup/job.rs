//! One lookup job: a chunk of one directory's plots, looked up one after another on a blocking
//! thread. Each passing plot's answer is sent as soon as it is known, so a plot that stalls costs
//! the round only itself and the plots queued behind it on the same disk.

use crate::plots::{FoundProof, PlotDir, PlotEntry};
use masspoc_proof::Challenge;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;
use tokio::sync::mpsc::UnboundedSender;
use tracing::info;

/// One plot's answer: its index in the job and the proofs found (or why it could not be read).
pub(crate) type Answer = (usize, Result<Vec<FoundProof>, String>);

/// Where a job is; shared with the round so it can collect answers without being woken for each
/// one, and name the plot a stalled job is stuck on.
#[derive(Default)]
pub(crate) struct Progress {
    /// Index (in the job) of the plot being read right now.
    pub current: Option<usize>,
    /// Index of a plot the round declared stalled and whose read has not returned.
    pub stalled_at: Option<usize>,
    /// Answers of the plots that passed the filter, in order.
    pub answers: Vec<Answer>,
}

/// A job's plots and shared progress.
pub(crate) struct Job {
    pub id: usize,
    pub plots: Vec<Arc<PlotEntry>>,
    pub progress: Arc<Mutex<Progress>>,
}

pub(crate) fn lock(p: &Mutex<Progress>) -> std::sync::MutexGuard<'_, Progress> {
    p.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs a job on the calling (blocking) thread; sends the job's id on `done` when it finishes
/// (one wake-up of the round per job, not per plot).
pub(crate) fn run_job(
    job: &Job,
    dirs: &[Arc<PlotDir>],
    challenge: &Challenge,
    filter_bits: u32,
    done: &UnboundedSender<usize>,
) {
    for (i, e) in job.plots.iter().enumerate() {
        if done.is_closed() {
            break; // the round is over (budget spent): the rest is not wanted any more
        }
        lock(&job.progress).current = Some(i);
        let started = Instant::now();
        let answer = e.plot.prove(challenge, filter_bits);
        let mut p = lock(&job.progress);
        p.current = None;
        if p.stalled_at == Some(i) {
            p.stalled_at = None;
            e.stalled.store(false, Ordering::Release);
            if let Some(d) = dirs.get(e.dir_index) {
                d.stalled_lookups.fetch_sub(1, Ordering::AcqRel);
            }
            info!(
                plot = %e.path.display(),
                after_ms = started.elapsed().as_millis() as u64,
                "stalled plot answered again; it is back in the rounds"
            );
        }
        match answer {
            Ok(None) => {} // did not pass the filter
            Ok(Some(found)) => p.answers.push((i, Ok(found))),
            Err(err) => p.answers.push((i, Err(err))),
        }
    }
    let _ = done.send(job.id);
}
