//! `PlotReader`: validates a plot's header at open and answers lookups with a constant number of
//! reads (superblock offsets, group offsets, one contiguous run of entries), whatever k is.

use crate::bits::decode_entry;
use crate::error::{Corruption, HeaderError, ReadError};
use crate::format::{
    entry_bits, superblock_bytes, Header, Section, GROUPS_PER_SUPERBLOCK_BITS, G_BITS, HEADER_LEN,
    SUPERBLOCK_BITS,
};
use crate::guarded_map::GuardedMap;
use crate::reading::{read_candidates, FoundProof, PairIndex, PlotIdentity};
use crate::source::{Empty, ReadAt};
use masspoc_proof::{f_value, probe, Challenge, FilterBits, ProbeBits, Window, K};
use std::ops::Range;
use std::path::{Path, PathBuf};

/// Random reads one lookup makes, whatever k and the probe bits are: the superblock's offsets,
/// the window's group offsets, the window's entries (`docs/plot-format.md`, "Lookup").
pub const READS_PER_LOOKUP: u32 = 3;

/// An open plot. Its memory use does not depend on the plot's size: the bytes stay in the
/// source (a guarded memory map of the file), and only the 256-byte header is decoded.
pub struct PlotReader {
    path: PathBuf,
    header: Header,
    identity: PlotIdentity,
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
                expected: HEADER_LEN,
            });
        }
        let mut h = [0u8; HEADER_LEN as usize];
        source.read_at(0, &mut h).map_err(|source| ReadError::Io {
            path: path.clone(),
            source,
        })?;
        let header = Header::decode(&h).map_err(|source| ReadError::BadHeader {
            path: path.clone(),
            source,
        })?;
        let expected = header.layout.file_len();
        if len < expected {
            return Err(ReadError::Truncated {
                path,
                len,
                expected,
            });
        }
        if len > expected {
            return Err(ReadError::BadHeader {
                path,
                source: HeaderError::FileLength { len, expected },
            });
        }
        Ok(PlotReader {
            path,
            identity: header.identity(),
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

    /// The plot's farmer key, k, seed and id.
    #[must_use]
    pub fn identity(&self) -> &PlotIdentity {
        &self.identity
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
            return Err(self.corrupt(section, range, Corruption::PastSection));
        }
        self.source
            .read_at(range.start, buf)
            .map_err(|source| ReadError::Io {
                path: self.path.clone(),
                source,
            })?;
        Ok(range)
    }

    pub(crate) fn corrupt(
        &self,
        section: Section,
        range: Range<u64>,
        what: Corruption,
    ) -> ReadError {
        ReadError::Corrupt {
            path: self.path.clone(),
            section,
            range,
            what,
        }
    }

    /// Every stored pair `(x, x')` with `F(x, x') = z`, in the stored order (by x, then x').
    ///
    /// Three reads: two superblock offsets, the group's offsets and the group's entries. Each
    /// returned pair is confirmed with `F`; an entry that fails is reported as corruption.
    pub fn lookup(&self, z: u64) -> Result<Vec<(u64, u64)>, ReadError> {
        let k = self.header.k;
        if z > k.mask() {
            return Err(ReadError::IndexOutOfRange { z, k: k.get() });
        }
        let window = ProbeBits::NONE.window(k, z).map_err(ReadError::Parameter)?;
        let mut out = Vec::new();
        self.window_at(window, Some(&mut out))?;
        Ok(out)
    }

    /// Reads the pairs of a window (when `out` is given) and returns the byte range of the
    /// window's entries.
    ///
    /// The window is `2^b` consecutive indexes aligned on `2^b` with `b ≤ 16`, so it lies in one
    /// superblock and covers whole groups (or part of one when `b < 4`): three reads whatever k
    /// and b are — the superblock's two offsets (16 bytes), the offsets of the window's groups
    /// and of the group after them (`2 · 2^max(0, b−4) + 2` bytes, 2 fewer when the window ends
    /// its superblock), and the window's entries (one contiguous run). Each pair is confirmed
    /// with `F` before it is returned; a mismatch, an offset out of its section or out of order
    /// is reported as corruption with the byte range.
    fn window_at(
        &self,
        window: Window,
        out: Option<&mut Vec<(u64, u64)>>,
    ) -> Result<Range<u64>, ReadError> {
        let k = self.header.k;
        let (z0, z1) = (window.first(), window.last());
        let s = z0 >> SUPERBLOCK_BITS;
        debug_assert_eq!(z1 >> SUPERBLOCK_BITS, s, "a window lies in one superblock");
        let mut sb = [0u8; 16];
        let sb_range = self.read(Section::Superblocks, 8 * s, &mut sb)?;
        let sb_start = u64::from_le_bytes(sb[..8].try_into().expect("8 bytes"));
        let sb_end = u64::from_le_bytes(sb[8..].try_into().expect("8 bytes"));
        let entries_len = self.header.layout.section(Section::Entries).1;
        if sb_start > sb_end || sb_end > entries_len {
            return Err(self.corrupt(Section::Superblocks, sb_range, Corruption::SuperblockOrder));
        }
        let w = entry_bits(k);
        let count = (sb_end - sb_start) * 8 / w;
        let (g0, g1) = (z0 >> G_BITS, z1 >> G_BITS);
        let groups = (g1 - g0 + 1) as usize;
        // The group after the window starts a new superblock: the window ends at `count`.
        let ends_superblock = (g1 + 1) & ((1 << GROUPS_PER_SUPERBLOCK_BITS) - 1) == 0;
        let offsets = if ends_superblock { groups } else { groups + 1 };
        let mut g = vec![0u8; 2 * offsets];
        let g_range = self.read(Section::Groups, 2 * g0, &mut g)?;
        let mut bounds: Vec<u64> = g
            .chunks_exact(2)
            .map(|b| u64::from(u16::from_le_bytes([b[0], b[1]])))
            .collect();
        if ends_superblock {
            bounds.push(count);
        }
        if !bounds.is_sorted() || bounds[groups] > count {
            return Err(self.corrupt(Section::Groups, g_range, Corruption::GroupOrder));
        }
        let (first, end) = (bounds[0], bounds[groups]);
        if first == end {
            return Ok(g_range);
        }
        debug_assert!(superblock_bytes(k, count) <= sb_end - sb_start);
        let byte_lo = first * w / 8;
        let byte_hi = (end * w).div_ceil(8);
        let mut buf = vec![0u8; (byte_hi - byte_lo) as usize];
        let e_range = self.read(Section::Entries, sb_start + byte_lo, &mut buf)?;
        let Some(out) = out else {
            return Ok(e_range);
        };
        for (gi, group) in bounds.windows(2).enumerate() {
            let high = (g0 + gi as u64) << G_BITS;
            for i in group[0]..group[1] {
                let e = decode_entry(k, &buf, byte_lo, i);
                let z = high | e.z_low;
                if !window.contains(z) {
                    continue; // a window narrower than a group (b < 4)
                }
                if f_value(&self.header.plot_id, k, e.x, e.x_prime) != z {
                    return Err(self.corrupt(
                        Section::Entries,
                        e_range,
                        Corruption::WrongIndex {
                            x: e.x,
                            x_prime: e.x_prime,
                            z,
                        },
                    ));
                }
                out.push((e.x, e.x_prime));
            }
        }
        Ok(e_range)
    }

    /// All proofs this plot holds for a challenge (none when the filter does not pass), each
    /// verified in full (a stored pair that is not a valid proof is reported as corruption)
    /// and given its quality and score.
    pub fn prove(
        &self,
        challenge: &Challenge,
        filter_bits: FilterBits,
        probe_bits: ProbeBits,
    ) -> Result<Vec<FoundProof>, ReadError> {
        let found = read_candidates(self, &self.identity, challenge, filter_bits, probe_bits)?
            .unwrap_or_default();
        for f in &found {
            if let Err(reason) = f.proof.verify(challenge, filter_bits, probe_bits) {
                // Only on damage: read the window's offsets again for its byte range.
                let z = probe(&self.identity.plot_id, self.identity.k, challenge).z;
                let window = probe_bits
                    .window(self.identity.k, z)
                    .map_err(ReadError::Parameter)?;
                let range = self.window_at(window, None)?;
                return Err(self.corrupt(
                    Section::Entries,
                    range,
                    Corruption::InvalidProof {
                        x: f.proof.x,
                        x_prime: f.proof.x_prime,
                        reason,
                    },
                ));
            }
        }
        Ok(found)
    }
}

impl PairIndex for PlotReader {
    fn window_pairs(&self, window: Window, out: &mut Vec<(u64, u64)>) -> Result<(), ReadError> {
        self.window_at(window, Some(out)).map(|_| ())
    }
}
