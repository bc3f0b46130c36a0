//! Making one plot: plan, matching rounds (phase 1), superblocks (phase 2), checksums and
//! header, then the rename. Every step is checkpointed in a journal so a rerun resumes.

use crate::error::{IoContext, PlotError};
use crate::matching::{match_round, Buffers, Word};
use crate::plan::{bin_bits, memory_rounds, plan, wide_items, Plan};
use crate::runs::{Bins, Run, Syncer};
use crate::usage::CpuUsage;
use crate::write_phase::{write_superblocks, Target};
use masspoc_plot::checksum::compute_table;
use masspoc_plot::format::{plot_file_name, superblock_count, Header, Layout, Section};
use masspoc_plot::journal::{sync_dir, Journal, JOURNAL_FORMAT};
use masspoc_plot::{JournalError, PlotReader, ReadAt};
use masspoc_proof::{derive_plot_id, FarmerPublicKey, PlotId, PlotSeed, K};
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// A test hook: stop (as a crash would) right after a checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopAt {
    /// After the run file of this many rounds is journaled (only with run files on disk).
    Round(u64),
    /// After at least this many superblocks are journaled.
    Superblocks(u64),
}

impl std::fmt::Display for StopAt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StopAt::Round(n) => write!(f, "round {n}"),
            StopAt::Superblocks(n) => write!(f, "superblock {n}"),
        }
    }
}

/// What to plot and how.
#[derive(Debug, Clone)]
pub struct PlotRequest {
    /// The farmer's public key.
    pub farmer_pk: FarmerPublicKey,
    /// Plot size parameter.
    pub k: K,
    /// The plot seed.
    pub plot_seed: PlotSeed,
    /// Where the finished plot goes.
    pub out_dir: PathBuf,
    /// Where run files go when they do not fit in memory.
    pub tmp_dir: PathBuf,
    /// Memory bound in bytes.
    pub memory: u64,
    /// Worker threads.
    pub threads: usize,
    /// Entry bytes written between two checkpoints.
    pub checkpoint_bytes: u64,
    /// Test hooks (cargo feature `test-hooks`): not part of a production request.
    #[cfg(feature = "test-hooks")]
    pub hooks: crate::test_hooks::TestHooks,
}

impl PlotRequest {
    /// A request with the default memory bound, all cores and 256 MiB between checkpoints.
    #[must_use]
    pub fn new(farmer_pk: FarmerPublicKey, k: K, plot_seed: PlotSeed, out_dir: &Path) -> Self {
        PlotRequest {
            farmer_pk,
            k,
            plot_seed,
            out_dir: out_dir.to_path_buf(),
            tmp_dir: out_dir.to_path_buf(),
            memory: crate::memory::default_memory(),
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            checkpoint_bytes: 256 << 20,
            #[cfg(feature = "test-hooks")]
            hooks: crate::test_hooks::TestHooks::default(),
        }
    }

    /// The plan a new plot of this request gets (a resumed plot keeps its journal's rounds).
    #[must_use]
    pub fn plan(&self) -> Plan {
        plan(self.k, self.memory)
    }

    /// The plot id.
    #[must_use]
    pub fn plot_id(&self) -> PlotId {
        derive_plot_id(&self.farmer_pk, self.k, &self.plot_seed)
    }

    /// Path of the finished plot.
    #[must_use]
    pub fn final_path(&self) -> PathBuf {
        self.out_dir.join(plot_file_name(self.k, &self.plot_id()))
    }

    fn side_path(&self, dir: &Path, suffix: &str) -> PathBuf {
        dir.join(format!(
            "{}.{suffix}",
            plot_file_name(self.k, &self.plot_id())
        ))
    }

    /// Path of the plot while it is written.
    #[must_use]
    pub fn tmp_path(&self) -> PathBuf {
        self.side_path(&self.out_dir, "tmp")
    }

    /// Path of the checkpoint journal.
    #[must_use]
    pub fn journal_path(&self) -> PathBuf {
        self.side_path(&self.out_dir, "journal")
    }

    /// Path of the run file of round `r`.
    #[must_use]
    pub fn run_path(&self, r: u64) -> PathBuf {
        self.side_path(&self.tmp_dir, &format!("run{r}"))
    }
}

/// The phases reported to a [`Progress`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Phase 1: P, matching, F (total = rounds).
    Matching,
    /// Phase 2: sorting and writing (total = superblocks).
    Writing,
    /// Checksums and header (total = 1).
    Finishing,
}

/// Receives progress; implementations must be cheap.
pub trait Progress: Sync {
    /// A phase starts with `total` steps.
    fn phase(&self, phase: Phase, total: u64);
    /// `done` steps of the current phase are complete.
    fn set(&self, done: u64);
}

/// Ignores progress.
pub struct NoProgress;

impl Progress for NoProgress {
    fn phase(&self, _: Phase, _: u64) {}
    fn set(&self, _: u64) {}
}

/// What a finished plot run reports (also `masspoc plot --json`'s entries).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlotSummary {
    /// The plot id.
    pub plot_id: PlotId,
    /// The finished plot file.
    pub path: PathBuf,
    /// Plot size parameter.
    pub k: u8,
    /// Pairs stored.
    pub pairs: u64,
    /// File size.
    pub bytes: u64,
    /// Wall time of this run.
    pub seconds: f64,
    /// Whether this run continued an interrupted one.
    pub resumed: bool,
    /// Whether the plot was already complete, so this run wrote nothing.
    pub already_complete: bool,
    /// How the work was cut.
    pub plan: Plan,
    /// Seconds spent matching, writing superblocks, and finishing (checksums, header, fsync).
    pub phase_seconds: [f64; 3],
    /// CPU time and minor page faults of the whole process during each of those phases.
    pub phase_cpu: [CpuUsage; 3],
}

/// Makes (or resumes, or finds finished) the plot of `req`.
pub fn plot(req: &PlotRequest, progress: &dyn Progress) -> Result<PlotSummary, PlotError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(req.threads.max(1))
        .build()?;
    pool.install(|| plot_in_pool(req, progress))
}

fn plot_in_pool(req: &PlotRequest, progress: &dyn Progress) -> Result<PlotSummary, PlotError> {
    let start = Instant::now();
    let (final_path, tmp_path, journal_path) =
        (req.final_path(), req.tmp_path(), req.journal_path());
    std::fs::create_dir_all(&req.out_dir).at(&req.out_dir)?;
    std::fs::create_dir_all(&req.tmp_dir).at(&req.tmp_dir)?;
    let existing = match Journal::load(&journal_path) {
        Err(JournalError::OldFormat { format, .. }) => {
            // Written by another version of the plotter: its run files and partial plot may be
            // laid out differently, so nothing of it is reused.
            tracing::warn!(
                journal = %journal_path.display(),
                format,
                "journal of another plotter version: restarting this plot"
            );
            remove_run_files(req);
            let _ = std::fs::remove_file(&tmp_path);
            let _ = std::fs::remove_file(&journal_path);
            None
        }
        other => other?,
    };
    if final_path.exists() {
        let reader = PlotReader::open(&final_path)?;
        if existing.is_some() {
            cleanup(req, &journal_path);
        }
        let mut s = summary(req, &reader, start, false, plan(req.k, req.memory));
        s.already_complete = true;
        return Ok(s);
    }
    let plot_id = req.plot_id();
    let resumable =
        existing.filter(|j| j.plot_id == plot_id && j.k == req.k.get() && tmp_path.exists());
    let resumed = resumable.is_some();
    let mut journal = match resumable {
        Some(j) => j,
        None => {
            let p = plan(req.k, req.memory);
            let j = Journal {
                format: JOURNAL_FORMAT,
                plot_id,
                k: req.k.get(),
                farmer_pk: req.farmer_pk,
                plot_seed: req.plot_seed,
                rounds_log2: p.rounds_log2,
                runs_on_disk: p.runs_on_disk,
                rounds_done: 0,
                superblocks_done: 0,
                entries_len: 0,
                pair_count: 0,
            };
            let f = File::create(&tmp_path).at(&tmp_path)?;
            f.sync_all().at(&tmp_path)?;
            j.save(&journal_path)?;
            j
        }
    };
    let the_plan = Plan {
        rounds_log2: journal.rounds_log2,
        runs_on_disk: journal.runs_on_disk,
        memory_rounds: if journal.runs_on_disk {
            memory_rounds(
                req.k,
                journal.rounds_log2,
                req.memory.saturating_sub(crate::plan::OVERHEAD),
            )
        } else {
            1 << journal.rounds_log2
        },
    };
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(&tmp_path)
        .at(&tmp_path)?;
    let entries_off = Layout::new(req.k, 0).section(Section::Entries).0;
    file.set_len(entries_off + journal.entries_len)
        .at(&tmp_path)?;
    let superblocks = superblock_count(req.k);
    let mut times = [0f64; 3];
    let mut cpu = [CpuUsage::default(); 3];
    if journal.superblocks_done < superblocks {
        let t = Instant::now();
        let c = CpuUsage::of_self();
        let mut syncer = Syncer::new(the_plan.rounds());
        let runs = matching_phase(
            req,
            &mut journal,
            &journal_path,
            &the_plan,
            &mut syncer,
            progress,
        )?;
        times[0] = t.elapsed().as_secs_f64();
        cpu[0] = CpuUsage::of_self().since(&c);
        let t = Instant::now();
        let c = CpuUsage::of_self();
        let target = Target {
            file: &file,
            path: &tmp_path,
            journal_path: &journal_path,
        };
        let bins = bins_of(req, journal.rounds_log2);
        write_superblocks(
            req,
            &runs,
            bins,
            &mut journal,
            &target,
            &mut syncer,
            progress,
        )?;
        drop(syncer);
        runs.into_iter().for_each(Run::remove);
        times[1] = t.elapsed().as_secs_f64();
        cpu[1] = CpuUsage::of_self().since(&c);
    }
    let t = Instant::now();
    let c = CpuUsage::of_self();
    progress.phase(Phase::Finishing, 1);
    finish(req, &journal, &file, &tmp_path)?;
    drop(file);
    std::fs::rename(&tmp_path, &final_path).at(&final_path)?;
    sync_dir(&final_path).at(&final_path)?;
    cleanup(req, &journal_path);
    progress.set(1);
    times[2] = t.elapsed().as_secs_f64();
    cpu[2] = CpuUsage::of_self().since(&c);
    let reader = PlotReader::open(&final_path)?;
    let mut s = summary(req, &reader, start, resumed, the_plan);
    s.phase_seconds = times;
    s.phase_cpu = cpu;
    Ok(s)
}

fn matching_phase(
    req: &PlotRequest,
    journal: &mut Journal,
    journal_path: &Path,
    the_plan: &Plan,
    syncer: &mut Syncer,
    progress: &dyn Progress,
) -> Result<Vec<Run>, PlotError> {
    if req.large_k_path() || wide_items(req.k, journal.rounds_log2) {
        matching_rounds::<u128>(req, journal, journal_path, the_plan, syncer, progress)
    } else {
        matching_rounds::<u64>(req, journal, journal_path, the_plan, syncer, progress)
    }
}

/// How the round outputs of a plot are indexed (fixed by k and the journal's rounds).
fn bins_of(req: &PlotRequest, rounds_log2: u32) -> Bins {
    let mut b = bin_bits(req.k, rounds_log2);
    if req.large_k_path() {
        b = b.max(2.min(u32::from(req.k.get()) - masspoc_plot::format::SUPERBLOCK_BITS));
    }
    Bins {
        k: req.k,
        bin_bits: b,
    }
}

fn matching_rounds<W: Word>(
    req: &PlotRequest,
    journal: &mut Journal,
    journal_path: &Path,
    the_plan: &Plan,
    syncer: &mut Syncer,
    progress: &dyn Progress,
) -> Result<Vec<Run>, PlotError> {
    let rounds = the_plan.rounds();
    let bins = bins_of(req, journal.rounds_log2);
    let plot_id = req.plot_id();
    progress.phase(Phase::Matching, rounds);
    // Run files the journal counts as done, when they are still whole.
    let mut runs: Vec<Option<Run>> = (0..rounds)
        .map(|r| {
            let on_disk = the_plan.runs_on_disk && r < journal.rounds_done;
            let run = on_disk.then(|| Run::open(bins, &req.run_path(r))).flatten();
            if run.is_some() {
                syncer.mark_durable(r);
            }
            run
        })
        .collect();
    if syncer.durable_prefix() < journal.rounds_done {
        journal.rounds_done = syncer.durable_prefix();
        journal.save(journal_path)?;
    }
    let stop_round = match req.stop_at() {
        Some(StopAt::Round(n)) => Some(n),
        _ => None,
    };
    let mut bufs = Buffers::<W>::default();
    let mut spill_buf = Vec::new();
    for r in 0..rounds {
        if runs[r as usize].is_none() {
            let out = match_round(&plot_id, bins, r, journal.rounds_log2, &mut bufs);
            let run = if the_plan.spills(r) {
                let t = Instant::now();
                let run = Run::spill(bins, &out, &req.run_path(r), &mut spill_buf)?;
                bufs.recycle(out);
                syncer.push(r, &run)?;
                tracing::debug!(round = r, spill_s = t.elapsed().as_secs_f64(), "run file");
                run
            } else {
                Run::Memory(out)
            };
            runs[r as usize] = Some(run);
        }
        progress.set(r + 1);
        // The test hook waits for the round it names to be journaled.
        let wait = stop_round.is_some_and(|n| r + 1 >= n);
        if syncer.poll(journal, wait)? {
            journal.save(journal_path)?;
        }
        if stop_round.is_some_and(|n| journal.rounds_done >= n) {
            return Err(PlotError::Interrupted(StopAt::Round(journal.rounds_done)));
        }
    }
    drop(bufs);
    drop(spill_buf);
    crate::memory::trim();
    Ok(runs.into_iter().map(|r| r.expect("every round")).collect())
}

/// Writes the superblock sentinel, the checksum table and the header, then fsyncs.
fn finish(req: &PlotRequest, j: &Journal, file: &File, path: &Path) -> Result<(), PlotError> {
    let layout = Layout::new(req.k, j.entries_len);
    let (sb_off, sb_len) = layout.section(Section::Superblocks);
    file.write_all_at(&j.entries_len.to_le_bytes(), sb_off + sb_len - 8)
        .at(path)?;
    let (sum_off, _) = layout.section(Section::Checksums);
    file.set_len(sum_off).at(path)?;
    // Positional reads rather than a map: a map of the whole file would count the plot's size
    // as resident memory.
    let table = compute_table(&FileSource(file), &layout).at(path)?;
    file.write_all_at(&table, sum_off).at(path)?;
    let header = Header {
        k: req.k,
        farmer_pk: req.farmer_pk,
        plot_seed: req.plot_seed,
        plot_id: req.plot_id(),
        pair_count: j.pair_count,
        layout,
        checksum_table_hash: *blake3::hash(&table).as_bytes(),
    };
    file.write_all_at(&header.encode(), 0).at(path)?;
    file.sync_all().at(path)
}

/// The `.tmp` plot file as a [`ReadAt`] source.
struct FileSource<'a>(&'a File);

impl ReadAt for FileSource<'_> {
    fn len(&self) -> u64 {
        self.0.metadata().map_or(0, |m| m.len())
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
        self.0.read_exact_at(buf, offset)
    }
}

fn cleanup(req: &PlotRequest, journal_path: &Path) {
    remove_run_files(req);
    let _ = std::fs::remove_file(journal_path);
}

/// Removes every run file of this plot in `--tmp` (whatever the number of rounds).
fn remove_run_files(req: &PlotRequest) {
    let prefix = format!("{}.run", plot_file_name(req.k, &req.plot_id()));
    let Ok(dir) = std::fs::read_dir(&req.tmp_dir) else {
        return;
    };
    for e in dir.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        if name
            .strip_prefix(&prefix)
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

fn summary(
    req: &PlotRequest,
    r: &PlotReader,
    start: Instant,
    resumed: bool,
    plan: Plan,
) -> PlotSummary {
    PlotSummary {
        plot_id: r.header().plot_id,
        path: r.path().to_path_buf(),
        k: req.k.get(),
        pairs: r.header().pair_count,
        bytes: r.header().layout.file_len(),
        seconds: start.elapsed().as_secs_f64(),
        resumed,
        already_complete: false,
        plan,
        phase_seconds: [0.0; 3],
        phase_cpu: [CpuUsage::default(); 3],
    }
}
