//! Phase 2 driver: encodes superblocks in parallel batches and appends them to the plot file,
//! checkpointing the journal as it goes.

use crate::error::{IoContext, PlotError};
use crate::layout_writer::{encode_superblock, EncodedSuperblock};
use crate::partition::{partition_one, z_of};
use crate::plotter::{Phase, PlotRequest, Progress, StopAt};
use crate::runs::{Bins, Run, RunBatch, Syncer};
use masspoc_plot::format::{Layout, Section, GROUPS_PER_SUPERBLOCK_BITS, SUPERBLOCK_BITS};
use masspoc_plot::journal::Journal;
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

/// Writes every superblock from `journal.superblocks_done` on, updating `journal`; `bins` is how
/// the runs index their records.
pub fn write_superblocks(
    req: &PlotRequest,
    runs: &[Run],
    bins: Bins,
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
    let superblocks = masspoc_plot::format::superblock_count(k);
    // Batches of whole bins (every batch boundary is a multiple of a bin, also on resume).
    let batch = (rayon::current_num_threads() as u64 * 2)
        .max(1)
        .next_multiple_of(1 << bins.bin_bits);
    let group_bytes = 2u64 << GROUPS_PER_SUPERBLOCK_BITS;
    progress.phase(Phase::Writing, superblocks);
    let mut last_checkpoint = journal.entries_len;
    let mut s0 = journal.superblocks_done;
    let mut loaded: Vec<RunBatch> = runs.iter().map(|_| RunBatch::default()).collect();
    let per_bin = 1u64 << bins.bin_bits;
    while s0 < superblocks {
        let s1 = (s0 + batch).min(superblocks);
        let bin_range = (s0 >> bins.bin_bits) as usize..(s1 >> bins.bin_bits) as usize;
        // Reads (file runs) here; decoding and gathering per bin in parallel below.
        for (run, l) in runs.iter().zip(loaded.iter_mut()) {
            run.load(bin_range.clone(), l)?;
        }
        let loaded = &loaded;
        // One task per bin: its records from every run, by superblock when a bin has several.
        let encoded: Vec<Vec<EncodedSuperblock>> = bin_range
            .into_par_iter()
            .map_init(
                || (Vec::new(), Vec::new(), Vec::new()),
                |(counts, recs, by_sb), b| {
                    recs.clear();
                    for (run, l) in runs.iter().zip(loaded) {
                        run.extend_bin(l, b, recs);
                    }
                    let sb0 = b as u64 * per_bin;
                    if per_bin == 1 {
                        return Ok(vec![encode_superblock(k, sb0, recs, counts)?]);
                    }
                    let (sorted, offsets) = partition_one(
                        recs,
                        per_bin as usize,
                        |&r| ((z_of(r) >> SUPERBLOCK_BITS) - sb0) as usize,
                        std::mem::take(by_sb),
                    );
                    let out = (0..per_bin as usize)
                        .map(|i| {
                            let one = &sorted[offsets[i] as usize..offsets[i + 1] as usize];
                            encode_superblock(k, sb0 + i as u64, one, counts)
                        })
                        .collect();
                    *by_sb = sorted;
                    out
                },
            )
            .collect::<Result<_, _>>()?;
        let encoded: Vec<EncodedSuperblock> = encoded.into_iter().flatten().collect();
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
            if let Some(StopAt::Superblocks(n)) = req.stop_at() {
                if s1 >= n && s1 < superblocks {
                    return Err(PlotError::Interrupted(StopAt::Superblocks(s1)));
                }
            }
        }
        s0 = s1;
    }
    Ok(())
}
