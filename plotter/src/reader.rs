//! `PlotReader`: validates a plot's header at open and answers lookups with a constant number of
//! reads (superblock offsets, group offsets, one contiguous run of entries), whatever k is.

use crate::bits::decode_entry;
use crate::error::ReadError;
use crate::format::{
    entry_bits, superblock_bytes, Header, Section, GROUPS_PER_SUPERBLOCK_BITS, G_BITS, HEADER_LEN,
    SUPERBLOCK_BITS,
};
use crate::guarded_map::GuardedMap;
use crate::source::{Empty, ReadAt};
use masspoc_proof::{f_value, probe, Challenge, Proof, Quality, Score, K};
use std::ops::Range;
use std::path::{Path, PathBuf};

/// Pairs `(x, x')` read from a plot.
type Pairs = Vec<(u64, u64)>;

/// A proof found in a plot, with its quality hash and score.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FoundProof {
    /// The proof.
    pub proof: Proof,
    /// Its quality hash for the challenge.
    pub quality: Quality,
    /// Its score (lower wins).
    pub score: Score,
}

/// An open plot. Its memory use does not depend on the plot's size: the bytes stay in the
/// source (a guarded memory map of the file), and only the 256-byte header is decoded.
pub struct PlotReader {
    path: PathBuf,
    header: Header,
    source: Box<dyn ReadAt>,
}

impl std::fmt::Debug for PlotReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlotReader")
            .field("path", &self.path)
            .field("header", &self.header)
            .finish()
    }
}

impl PlotReader {
    /// Opens and memory-maps a plot file, validating the header, its checksum and the file length.
    pub fn open(path: &Path) -> Result<Self, ReadError> {
        let io = |source| ReadError::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = std::fs::File::open(path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        if len == 0 {
            return Self::from_source(Box::new(Empty), path);
        }
        // SAFETY: the map is read-only and only ever read through `GuardedMap`, which copies out
        // of it with raw pointers (no reference into the map outlives a read). Plots are never
        // modified in place once finished (they are written under a temporary name and renamed);
        // if one is truncated in place anyway, or its disk fails, the SIGBUS is caught by the
        // guard and the reads fail with an error naming this file.
        let map = unsafe { memmap2::MmapOptions::new().map(&file) }.map_err(io)?;
        #[cfg(unix)]
        {
            // Lookups touch a few hundred random bytes: no read-ahead.
            let _ = map.advise(memmap2::Advice::Random);
        }
        let map = GuardedMap::new(map).map_err(|e| io(std::io::Error::other(e)))?;
        Self::from_source(Box::new(map), path)
    }

    /// Whether the plot became unreadable for good while open (its memory map took a SIGBUS: the
    /// file shrank or its device failed). Every lookup fails from then on; open the file again.
    #[must_use]
    pub fn is_poisoned(&self) -> bool {
        self.source.is_poisoned()
    }

    /// Reads a plot from any byte source (`name` is used in error messages).
    pub fn from_source(source: Box<dyn ReadAt>, name: &Path) -> Result<Self, ReadError> {
        let path = name.to_path_buf();
        let len = source.len();
        if len < HEADER_LEN {
            return Err(ReadError::Truncated {
                path,
                len,
                detail: "shorter than the 256-byte header".into(),
            });
        }
        let mut h = [0u8; HEADER_LEN as usize];
        source.read_at(0, &mut h).map_err(|source| ReadError::Io {
            path: path.clone(),
            source,
        })?;
        let header = Header::decode(&h).map_err(|detail| ReadError::BadHeader {
            path: path.clone(),
            detail,
        })?;
        let expected = header.layout.file_len();
        if len != expected {
            let detail = format!("the header describes {expected} bytes");
            return Err(if len < expected {
                ReadError::Truncated { path, len, detail }
            } else {
                ReadError::BadHeader {
                    path,
                    detail: format!("{len} bytes but {detail}"),
                }
            });
        }
        Ok(PlotReader {
            path,
            header,
            source,
        })
    }

    /// The decoded header.
    #[must_use]
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The file this reader was opened from.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The plot's k.
    #[must_use]
    pub fn k(&self) -> K {
        self.header.k
    }

    /// The underlying byte source (the scrubber reads it chunk by chunk).
    pub(crate) fn source(&self) -> &dyn ReadAt {
        self.source.as_ref()
    }

    pub(crate) fn read(
        &self,
        section: Section,
        at: u64,
        buf: &mut [u8],
    ) -> Result<Range<u64>, ReadError> {
        let (off, len) = self.header.layout.section(section);
        let range = off + at..off + at + buf.len() as u64;
        if at + buf.len() as u64 > len {
            return Err(self.corrupt(section, range, "offset points past its section".into()));
        }
        self.source
            .read_at(range.start, buf)
            .map_err(|source| ReadError::Io {
                path: self.path.clone(),
                source,
            })?;
        Ok(range)
    }

    pub(crate) fn corrupt(&self, section: Section, range: Range<u64>, detail: String) -> ReadError {
        ReadError::Corrupt {
            path: self.path.clone(),
            section: section.name(),
            range,
            detail,
        }
    }

    /// Every stored pair `(x, x')` with `F(x, x') = z`, in the stored order (by x, then x').
    ///
    /// Three reads: two superblock offsets, the group's offsets and the group's entries. Each
    /// returned pair is confirmed with `F`; an entry that fails is reported as corruption.
    pub fn lookup(&self, z: u64) -> Result<Vec<(u64, u64)>, ReadError> {
        self.lookup_at(z).map(|(pairs, _)| pairs)
    }

    /// [`PlotReader::lookup`], with the byte range the pairs were read from.
    fn lookup_at(&self, z: u64) -> Result<(Pairs, Range<u64>), ReadError> {
        let k = self.header.k;
        if z > k.mask() {
            return Err(ReadError::InvalidArgument(format!(
                "z {z} is not below 2^{k}"
            )));
        }
        let s = z >> SUPERBLOCK_BITS;
        let mut sb = [0u8; 16];
        let sb_range = self.read(Section::Superblocks, 8 * s, &mut sb)?;
        let sb_start = u64::from_le_bytes(sb[..8].try_into().expect("8 bytes"));
        let sb_end = u64::from_le_bytes(sb[8..].try_into().expect("8 bytes"));
        let entries_len = self.header.layout.section(Section::Entries).1;
        if sb_start > sb_end || sb_end > entries_len {
            return Err(self.corrupt(
                Section::Superblocks,
                sb_range,
                "superblock offsets out of order".into(),
            ));
        }
        let w = entry_bits(k);
        let count = (sb_end - sb_start) * 8 / w;
        let group = z >> G_BITS;
        let last_in_sb = (group + 1) & ((1 << GROUPS_PER_SUPERBLOCK_BITS) - 1) == 0;
        let mut g = [0u8; 4];
        let g_len = if last_in_sb { 2 } else { 4 };
        let g_range = self.read(Section::Groups, 2 * group, &mut g[..g_len])?;
        let first = u64::from(u16::from_le_bytes([g[0], g[1]]));
        let end = if last_in_sb {
            count
        } else {
            u64::from(u16::from_le_bytes([g[2], g[3]]))
        };
        if first > end || end > count {
            return Err(self.corrupt(
                Section::Groups,
                g_range,
                "group offsets out of order".into(),
            ));
        }
        if first == end {
            return Ok((Vec::new(), g_range));
        }
        debug_assert!(superblock_bytes(k, count) <= sb_end - sb_start);
        let byte_lo = first * w / 8;
        let byte_hi = (end * w).div_ceil(8);
        let mut buf = vec![0u8; (byte_hi - byte_lo) as usize];
        let e_range = self.read(Section::Entries, sb_start + byte_lo, &mut buf)?;
        let z_low = z & ((1 << G_BITS) - 1);
        let mut out = Vec::new();
        for i in first..end {
            let e = decode_entry(k, &buf, byte_lo, i);
            if e.z_low != z_low {
                continue;
            }
            if f_value(&self.header.plot_id, k, e.x, e.x_prime) != z {
                return Err(self.corrupt(
                    Section::Entries,
                    e_range,
                    format!(
                        "stored pair ({}, {}) does not map to z = {z}",
                        e.x, e.x_prime
                    ),
                ));
            }
            out.push((e.x, e.x_prime));
        }
        Ok((out, e_range))
    }

    /// All proofs this plot holds for a challenge (none when the filter does not pass), each
    /// verified in full and given its quality and score.
    pub fn prove(
        &self,
        challenge: &Challenge,
        filter_bits: u32,
    ) -> Result<Vec<FoundProof>, ReadError> {
        let h = &self.header;
        let p = probe(&h.plot_id, h.k, challenge);
        if !p
            .passes(filter_bits)
            .map_err(|e| ReadError::InvalidArgument(e.to_string()))?
        {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        let (pairs, range) = self.lookup_at(p.z)?;
        for (x, x_prime) in pairs {
            let proof = Proof {
                farmer_pk: h.farmer_pk,
                k: h.k,
                plot_seed: h.plot_seed,
                x,
                x_prime,
            };
            let v = proof.verify(challenge, filter_bits).map_err(|e| {
                self.corrupt(
                    Section::Entries,
                    range.clone(),
                    format!("stored pair ({x}, {x_prime}) is not a valid proof: {e}"),
                )
            })?;
            out.push(FoundProof {
                proof,
                quality: v.quality,
                score: v.score,
            });
        }
        Ok(out)
    }
}
