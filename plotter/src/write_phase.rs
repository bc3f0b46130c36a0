//! Phase 2 driver: encodes superblocks in parallel batches and appends them to the plot file,
//! checkpointing the journal as it goes.

use crate::error::{IoContext, PlotError};
use crate::format::{Layout, Section, GROUPS_PER_SUPERBLOCK_BITS};
use crate::journal::Journal;
use crate::layout_writer::{encode_superblock, EncodedSuperblock};
use crate::partition::Record;
use crate::plotter::{Phase, PlotRequest, Progress, StopAt};
use crate::runs::{Run, Syncer};
use masspoc_proof::K;
use rayon::prelude::*;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

/// Where phase 2 writes.
pub struct Target<'a> {
    /// The `.tmp` plot file.
    pub file: &'a File,
    /// Its path.
    pub path: &'a Path,
    /// The journal's path.
    pub journal_path: &'a Path,
}

/// Writes every superblock from `journal.superblocks_done` on, updating `journal`.
pub fn write_superblocks(
    req: &PlotRequest,
    runs: &[Run],
    journal: &mut Journal,
    target: &Target<'_>,
    syncer: &mut Syncer,
    progress: &dyn Progress,
) -> Result<(), PlotError> {
    let k = req.k;
    let layout = Layout::new(k, 0);
    let (sb_off, _) = layout.section(Section::Superblocks);
    let (g_off, _) = layout.section(Section::Groups);
    let (e_off, _) = layout.section(Section::Entries);
    let superblocks = crate::format::superblock_count(k);
    let batch = (rayon::current_num_threads() as u64 * 2).max(1);
    let group_bytes = 2u64 << GROUPS_PER_SUPERBLOCK_BITS;
    progress.phase(Phase::Writing, superblocks);
    let mut last_checkpoint = journal.entries_len;
    let mut s0 = journal.superblocks_done;
    let mut fetched: Vec<Vec<Record>> = runs.iter().map(|_| Vec::new()).collect();
    let mut raw = Vec::new();
    while s0 < superblocks {
        let s1 = (s0 + batch).min(superblocks);
        for (run, got) in runs.iter().zip(fetched.iter_mut()) {
            got.clear();
            run.records_into(s0 as usize..s1 as usize, got, &mut raw)?;
        }
        let encoded: Vec<EncodedSuperblock> = (s0..s1)
            .into_par_iter()
            .map_init(Vec::new, |counts, sb| {
                let mut recs = Vec::new();
                for (run, got) in runs.iter().zip(&fetched) {
                    let lo = run.count(s0 as usize..sb as usize) as usize;
                    let n = run.count(sb as usize..sb as usize + 1) as usize;
                    recs.extend_from_slice(&got[lo..lo + n]);
                }
                encode_superblock(k, sb, recs, counts)
            })
            .collect::<Result<_, _>>()?;
        let mut sb_table = Vec::with_capacity(8 * encoded.len());
        let mut groups = Vec::with_capacity((group_bytes * (s1 - s0)) as usize);
        let mut entries = Vec::new();
        let mut at = journal.entries_len;
        for e in &encoded {
            sb_table.extend_from_slice(&at.to_le_bytes());
            groups.extend_from_slice(&e.groups);
            entries.extend_from_slice(&e.bytes);
            at += e.bytes.len() as u64;
            journal.pair_count += e.count;
        }
        let f = target.file;
        f.write_all_at(&sb_table, sb_off + 8 * s0).at(target.path)?;
        f.write_all_at(&groups, g_off + group_bytes * s0)
            .at(target.path)?;
        f.write_all_at(&entries, e_off + journal.entries_len)
            .at(target.path)?;
        journal.entries_len = at;
        journal.superblocks_done = s1;
        progress.set(s1);
        if journal.entries_len - last_checkpoint >= req.checkpoint_bytes || s1 == superblocks {
            f.sync_data().at(target.path)?;
            syncer.poll(journal, false)?;
            journal.save(target.journal_path)?;
            last_checkpoint = journal.entries_len;
            if let Some(StopAt::Superblocks(n)) = req.stop_at {
                if s1 >= n && s1 < superblocks {
                    return Err(PlotError::Interrupted(format!("superblock {s1}")));
                }
            }
        }
        s0 = s1;
    }
    Ok(())
}

/// Total records over all runs (the pair count of the finished plot).
#[must_use]
pub fn total_records(k: K, runs: &[Run]) -> u64 {
    let n = crate::format::superblock_count(k) as usize;
    runs.iter().map(|r| r.count(0..n)).sum()
}
