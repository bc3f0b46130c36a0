//! The plot file format (`docs/plot-format.md`): header, section layout and size formula.
//!
//! ```text
//! header (256 bytes) | superblock table | group table | entries | checksum table
//! ```
//! All integers are little-endian. Entries are grouped by lookup index `z`: a superblock covers
//! 2^16 consecutive z values and starts on a byte boundary; a group covers 2^4 z values.

use crate::error::HeaderError;
use crate::reading::PlotIdentity;
use masspoc_proof::{FarmerPublicKey, PlotId, PlotSeed, K};

/// The file magic, the first 8 bytes of every plot.
pub const MAGIC: [u8; 8] = *b"MASSPOC\x01";
/// The format version this crate writes and reads.
pub const VERSION: u32 = 1;
/// Length of the fixed header.
pub const HEADER_LEN: u64 = 256;
/// Low bits of z stored in every entry (a group covers `2^G_BITS` z values).
pub const G_BITS: u32 = 4;
/// z values covered by one superblock, as a power of two.
pub const SUPERBLOCK_BITS: u32 = 16;
/// Groups per superblock, as a power of two.
pub const GROUPS_PER_SUPERBLOCK_BITS: u32 = SUPERBLOCK_BITS - G_BITS;
/// Size of a checksummed chunk.
pub const CHUNK_LEN: u64 = 1 << 20;
/// File name extension of a finished plot.
pub const PLOT_EXT: &str = "plot";

/// The sections of a plot, in file order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// One u64 per superblock plus a sentinel: byte offset of its entries in the entry section.
    Superblocks,
    /// One u16 per group: index of its first entry within its superblock.
    Groups,
    /// Bit-packed entries.
    Entries,
    /// BLAKE3 of every chunk of the three sections above.
    Checksums,
}

impl Section {
    /// All sections in file order.
    pub const ALL: [Section; 4] = [
        Section::Superblocks,
        Section::Groups,
        Section::Entries,
        Section::Checksums,
    ];

    /// A short name for error messages.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Section::Superblocks => "superblock table",
            Section::Groups => "group table",
            Section::Entries => "entries",
            Section::Checksums => "checksum table",
        }
    }
}

/// Width of one entry in bits: `G_BITS + 2k`.
#[must_use]
pub fn entry_bits(k: K) -> u64 {
    u64::from(G_BITS) + 2 * u64::from(k.get())
}

/// Number of superblocks of a plot: `2^(k-16)`.
#[must_use]
pub fn superblock_count(k: K) -> u64 {
    1u64 << (u32::from(k.get()) - SUPERBLOCK_BITS)
}

/// Number of groups of a plot: `2^(k-4)`.
#[must_use]
pub fn group_count(k: K) -> u64 {
    1u64 << (u32::from(k.get()) - G_BITS)
}

/// Length of the superblock table: `8 * (2^(k-16) + 1)`.
#[must_use]
pub fn superblock_table_len(k: K) -> u64 {
    8 * (superblock_count(k) + 1)
}

/// Length of the group table: `2 * 2^(k-4)`.
#[must_use]
pub fn group_table_len(k: K) -> u64 {
    2 * group_count(k)
}

/// Number of checksum chunks of a section of `len` bytes.
#[must_use]
pub fn chunk_count(len: u64) -> u64 {
    len.div_ceil(CHUNK_LEN)
}

/// Bytes of a superblock holding `n` entries.
#[must_use]
pub fn superblock_bytes(k: K, n: u64) -> u64 {
    (n * entry_bits(k)).div_ceil(8)
}

/// Where each section lies in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// `[offset, len]` of each section, in [`Section::ALL`] order.
    pub sections: [(u64, u64); 4],
}

impl Layout {
    /// The layout of a plot of parameter `k` whose entry section is `entries_len` bytes.
    #[must_use]
    pub fn new(k: K, entries_len: u64) -> Self {
        let sb = (HEADER_LEN, superblock_table_len(k));
        let groups = (sb.0 + sb.1, group_table_len(k));
        let entries = (groups.0 + groups.1, entries_len);
        let sums = chunk_count(sb.1) + chunk_count(groups.1) + chunk_count(entries_len);
        let checksums = (entries.0 + entries.1, 32 * sums);
        Layout {
            sections: [sb, groups, entries, checksums],
        }
    }

    /// `(offset, len)` of one section.
    #[must_use]
    pub fn section(&self, s: Section) -> (u64, u64) {
        self.sections[s as usize]
    }

    /// Total file length.
    #[must_use]
    pub fn file_len(&self) -> u64 {
        let (o, l) = self.sections[3];
        o + l
    }
}

/// Expected file length of a plot of parameter `k` (mean over seeds): the size formula of
/// `docs/plot-format.md`, used by `--fill` to decide whether another plot fits.
#[must_use]
pub fn expected_plot_len(k: K) -> u64 {
    let pairs = k.half();
    // Mean entry bytes plus half a byte of padding per superblock on average.
    let entries = (pairs * entry_bits(k)).div_ceil(8) + superblock_count(k) / 2;
    Layout::new(k, entries).file_len()
}

/// The fixed 256-byte header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Plot size parameter.
    pub k: K,
    /// The farmer's public key.
    pub farmer_pk: FarmerPublicKey,
    /// The plot seed.
    pub plot_seed: PlotSeed,
    /// The plot id (derived from the three fields above; checked when read).
    pub plot_id: PlotId,
    /// Number of stored pairs.
    pub pair_count: u64,
    /// Section layout.
    pub layout: Layout,
    /// BLAKE3 of the checksum table.
    pub checksum_table_hash: [u8; 32],
}

impl Header {
    /// The plot's farmer key, k, seed and id.
    #[must_use]
    pub fn identity(&self) -> PlotIdentity {
        PlotIdentity {
            farmer_pk: self.farmer_pk,
            k: self.k,
            plot_seed: self.plot_seed,
            plot_id: self.plot_id,
        }
    }

    /// Encodes the header, its checksum in the last 32 bytes.
    #[must_use]
    pub fn encode(&self) -> [u8; HEADER_LEN as usize] {
        let mut b = [0u8; HEADER_LEN as usize];
        b[0..8].copy_from_slice(&MAGIC);
        b[8..12].copy_from_slice(&VERSION.to_le_bytes());
        b[12] = self.k.get();
        b[13] = G_BITS as u8;
        b[14] = SUPERBLOCK_BITS as u8;
        b[15] = CHUNK_LEN.trailing_zeros() as u8;
        b[16..48].copy_from_slice(self.farmer_pk.as_bytes());
        b[48..80].copy_from_slice(self.plot_seed.as_bytes());
        b[80..112].copy_from_slice(self.plot_id.as_bytes());
        b[112..120].copy_from_slice(&self.pair_count.to_le_bytes());
        for (i, (o, l)) in self.layout.sections.iter().enumerate() {
            let at = 120 + 16 * i;
            b[at..at + 8].copy_from_slice(&o.to_le_bytes());
            b[at + 8..at + 16].copy_from_slice(&l.to_le_bytes());
        }
        b[184..216].copy_from_slice(&self.checksum_table_hash);
        // Bytes 216..224 are reserved (zero).
        let sum = blake3::hash(&b[..224]);
        b[224..256].copy_from_slice(sum.as_bytes());
        b
    }

    /// Decodes and checks a header: magic, version, checksum, k, plot id and the section layout
    /// implied by `k` and the entry length.
    pub fn decode(b: &[u8]) -> Result<Self, HeaderError> {
        if b.len() < HEADER_LEN as usize {
            return Err(HeaderError::Short(b.len()));
        }
        if b[0..8] != MAGIC {
            return Err(HeaderError::Magic);
        }
        let version = u32::from_le_bytes(b[8..12].try_into().expect("4 bytes"));
        if version != VERSION {
            return Err(HeaderError::Version(version));
        }
        if blake3::hash(&b[..224]).as_bytes()[..] != b[224..256] {
            return Err(HeaderError::Checksum);
        }
        let k = K::new(b[12]).map_err(|_| HeaderError::K(b[12]))?;
        if u32::from(b[13]) != G_BITS
            || u32::from(b[14]) != SUPERBLOCK_BITS
            || u64::from(b[15]) != u64::from(CHUNK_LEN.trailing_zeros())
        {
            return Err(HeaderError::Geometry);
        }
        let bytes32 = |r: std::ops::Range<usize>| -> [u8; 32] { b[r].try_into().expect("32") };
        let farmer_pk = FarmerPublicKey(bytes32(16..48));
        let plot_seed = PlotSeed(bytes32(48..80));
        let plot_id = PlotId(bytes32(80..112));
        if masspoc_proof::derive_plot_id(&farmer_pk, k, &plot_seed) != plot_id {
            return Err(HeaderError::PlotId);
        }
        let u64_at = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
        let pair_count = u64_at(112);
        let mut sections = [(0u64, 0u64); 4];
        for (i, s) in sections.iter_mut().enumerate() {
            *s = (u64_at(120 + 16 * i), u64_at(128 + 16 * i));
        }
        let entries_len = sections[Section::Entries as usize].1;
        let layout = Layout::new(k, entries_len);
        if layout.sections != sections {
            return Err(HeaderError::SectionTable);
        }
        let fits = pair_count
            .checked_mul(entry_bits(k))
            .map(|bits| bits.div_ceil(8))
            .is_some_and(|min| entries_len >= min && entries_len <= min + superblock_count(k));
        if !fits {
            return Err(HeaderError::EntryLength {
                entries_len,
                pair_count,
            });
        }
        if b[216..224].iter().any(|&x| x != 0) {
            return Err(HeaderError::Reserved);
        }
        Ok(Header {
            checksum_table_hash: bytes32(184..216),
            k,
            farmer_pk,
            plot_seed,
            plot_id,
            pair_count,
            layout,
        })
    }
}

/// The file name of a finished plot: `plot-k{k}-{plot_id}.plot`.
#[must_use]
pub fn plot_file_name(k: K, plot_id: &PlotId) -> String {
    format!("plot-k{}-{}.{PLOT_EXT}", k.get(), plot_id.to_hex())
}
