//! The checksum table: BLAKE3 of every 1 MiB chunk of the superblock table, the group table and
//! the entries (in that order), and the scrub that checks a plot against it.

use crate::error::{Corruption, ReadError};
use crate::format::{chunk_count, Layout, Section, CHUNK_LEN};
use crate::reader::PlotReader;
use crate::source::ReadAt;
use rayon::prelude::*;
use std::ops::Range;

/// Chunks (1 MiB each) every worker thread reads and hashes per window of
/// [`PlotReader::scrub`]: a window is one short sequential run of the file.
const SCRUB_CHUNKS_PER_THREAD: usize = 4;

/// The checksummed sections, in table order.
pub const CHECKSUMMED: [Section; 3] = [Section::Superblocks, Section::Groups, Section::Entries];

/// The byte range of every chunk, in table order, with its section.
#[must_use]
pub fn chunks(layout: &Layout) -> Vec<(Section, Range<u64>)> {
    let mut out = Vec::new();
    for s in CHECKSUMMED {
        let (off, len) = layout.section(s);
        for c in 0..chunk_count(len) {
            let lo = off + c * CHUNK_LEN;
            out.push((s, lo..(lo + CHUNK_LEN).min(off + len)));
        }
    }
    out
}

/// Computes the checksum table of a plot's bytes (all chunks hashed in parallel).
pub fn compute_table(src: &dyn ReadAt, layout: &Layout) -> std::io::Result<Vec<u8>> {
    let hashes: Vec<std::io::Result<[u8; 32]>> = chunks(layout)
        .par_iter()
        .map(|(_, r)| {
            let mut buf = vec![0u8; (r.end - r.start) as usize];
            src.read_at(r.start, &mut buf)?;
            Ok(*blake3::hash(&buf).as_bytes())
        })
        .collect();
    let mut table = Vec::with_capacity(hashes.len() * 32);
    for h in hashes {
        table.extend_from_slice(&h?);
    }
    Ok(table)
}

impl PlotReader {
    /// Reads the checksum table and checks it against its hash in the header (a few KiB per GiB
    /// of plot).
    pub fn checksum_table(&self) -> Result<Vec<u8>, ReadError> {
        let (_, len) = self.header().layout.section(Section::Checksums);
        let mut table = vec![0u8; len as usize];
        let range = self.read(Section::Checksums, 0, &mut table)?;
        if blake3::hash(&table).as_bytes() != &self.header().checksum_table_hash {
            return Err(self.corrupt(Section::Checksums, range, Corruption::ChecksumTable));
        }
        Ok(table)
    }

    /// Verifies every chunk of the plot against its checksum, front to back in windows of a few
    /// chunks per core (read and hashed in parallel, checked in order); `progress(done, total)`
    /// is called after each chunk. Reports the first damaged byte range.
    pub fn scrub(&self, mut progress: impl FnMut(u64, u64)) -> Result<(), ReadError> {
        let layout = self.header().layout;
        let all = chunks(&layout);
        let table_off = layout.section(Section::Checksums).0;
        let table = self.checksum_table()?;
        let total = layout.file_len();
        let window = SCRUB_CHUNKS_PER_THREAD * rayon::current_num_threads().max(1);
        let mut bufs: Vec<Vec<u8>> = (0..window.min(all.len()))
            .map(|_| vec![0u8; CHUNK_LEN as usize])
            .collect();
        let mut done = 0;
        for (w, group) in all.chunks(window).enumerate() {
            // This window's bytes and the next one's: read ahead while this one is hashed.
            if let (Some((_, first)), Some((_, last))) = (group.first(), group.last()) {
                self.source()
                    .will_read(first.start, 2 * (last.end - first.start));
            }
            let matches: Vec<std::io::Result<bool>> = group
                .par_iter()
                .zip(bufs.par_iter_mut())
                .enumerate()
                .map(|(j, ((_, r), buf))| {
                    let i = w * window + j;
                    let chunk = &mut buf[..(r.end - r.start) as usize];
                    self.source().read_at(r.start, chunk)?;
                    Ok(blake3::hash(chunk).as_bytes()[..] == table[32 * i..32 * i + 32])
                })
                .collect();
            for (j, ((section, r), matched)) in group.iter().zip(matches).enumerate() {
                let matched = matched.map_err(|source| ReadError::Io {
                    path: self.path().to_path_buf(),
                    source,
                })?;
                if !matched {
                    let at = table_off + 32 * (w * window + j) as u64;
                    return Err(self.corrupt(
                        *section,
                        r.clone(),
                        Corruption::Checksum { at: at..at + 32 },
                    ));
                }
                done += r.end - r.start;
                progress(done, total);
            }
        }
        progress(total, total);
        Ok(())
    }
}
