//! Where a reader's bytes come from: a small positional-read trait implemented for byte slices,
//! vectors and memory maps, so tests run on memory and production on mmap.

use std::io;

/// Positional reads from a fixed-length byte source.
pub trait ReadAt: Send + Sync {
    /// Total length in bytes.
    fn len(&self) -> u64;

    /// Whether the source is empty.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Fills `buf` from `offset`; fails with `UnexpectedEof` if the range is not inside the source.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()>;

    /// A hint that `offset..offset + len` is about to be read front to back (a scrub): a memory
    /// map asks the kernel to read the range ahead, which its random-access advice otherwise
    /// stops. Only a hint; sources in memory ignore it.
    fn will_read(&self, _offset: u64, _len: u64) {}

    /// Whether the source became unreadable for good (a guarded memory map that took a SIGBUS:
    /// the file shrank or its device failed); every read of it fails and the file must be
    /// opened again. Sources in memory never are.
    fn is_poisoned(&self) -> bool {
        false
    }
}

fn read_slice(src: &[u8], offset: u64, buf: &mut [u8]) -> io::Result<()> {
    let end = offset
        .checked_add(buf.len() as u64)
        .filter(|&e| e <= src.len() as u64)
        .ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "read past the end"))?;
    buf.copy_from_slice(&src[offset as usize..end as usize]);
    Ok(())
}

impl ReadAt for [u8] {
    fn len(&self) -> u64 {
        <[u8]>::len(self) as u64
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        read_slice(self, offset, buf)
    }
}

impl ReadAt for Vec<u8> {
    fn len(&self) -> u64 {
        self.as_slice().len() as u64
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        read_slice(self, offset, buf)
    }
}

impl ReadAt for memmap2::Mmap {
    fn len(&self) -> u64 {
        self.as_ref().len() as u64
    }
    fn will_read(&self, offset: u64, len: u64) {
        will_need(self, offset, len);
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        read_slice(self, offset, buf)
    }
}

/// An empty source (a zero-length file cannot be memory-mapped).
pub(crate) struct Empty;

impl ReadAt for Empty {
    fn len(&self) -> u64 {
        0
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        read_slice(&[], offset, buf)
    }
}

/// `madvise(MADV_WILLNEED)` over `offset..offset + len` of `map` (clamped to the map); errors
/// are ignored, as for any hint.
pub(crate) fn will_need(map: &memmap2::Mmap, offset: u64, len: u64) {
    let map_len = map.as_ref().len() as u64;
    if offset >= map_len {
        return;
    }
    let len = len.min(map_len - offset);
    #[cfg(unix)]
    {
        let _ = map.advise_range(memmap2::Advice::WillNeed, offset as usize, len as usize);
    }
}
