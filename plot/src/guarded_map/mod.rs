//! A memory map whose reads fail with an error, instead of killing the process, when the file
//! shrinks under it or its device fails.
//!
//! Reading a memory-mapped page that no longer exists in the file (the file was truncated in
//! place) or that the disk cannot deliver (EIO on page-in) raises SIGBUS, whose default action
//! ends the process. A [`GuardedMap`] registers its address range with a process-wide SIGBUS
//! handler (installed once, on the first map); a fault inside the range is caught, the rest of the range is replaced by
//! zero pages so the faulting read completes, and the map is marked poisoned. Every read copies
//! out of the map and then checks the flag: the read that faulted, and every later read, fails
//! with [`MapPoisoned`] (as an `io::Error` of kind `Other`). Faults elsewhere in the process are
//! passed on to the previous SIGBUS action unchanged.
//!
//! A poisoned map stays poisoned: reopen the file to read it again (if it still has the right
//! length, the reopened map works as long as the device does).
//!
//! Linux only (the handler reads `si_addr` and `errno` through Linux's libc accessors), like the
//! rest of the plotter's memory and disk code.

mod handler;
mod registry;

use handler::REGISTRY;
pub use handler::{sigbus_guard_installed, CAPACITY};

use crate::source::ReadAt;
use std::io;
use std::sync::atomic::{fence, Ordering};
use thiserror::Error;

/// Why a [`GuardedMap`] could not be made.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum GuardError {
    /// The SIGBUS handler could not be installed.
    #[error("cannot install the SIGBUS handler that guards memory-mapped plots")]
    Handler(#[source] io::Error),
    /// Every slot of the registry is taken. The map is refused rather than left unguarded: one
    /// bad file must not be able to end the process.
    #[error("more than {CAPACITY} plot files are memory-mapped at once; this one is not opened")]
    Full,
}

/// A read failed because the map took a SIGBUS (now or in an earlier read).
#[derive(Debug, Error)]
#[error(
    "the file shrank or its device failed while it was memory-mapped (SIGBUS on the map); \
     bytes {start}..{end} cannot be read and the file must be opened again"
)]
pub struct MapPoisoned {
    /// First byte of the failed read.
    pub start: u64,
    /// One past the last byte of the failed read.
    pub end: u64,
}

/// A read-only memory map registered with the SIGBUS guard; reads are copies.
pub struct GuardedMap {
    map: memmap2::Mmap,
    /// The registry slot; `None` for an empty map (nothing to fault on).
    slot: Option<usize>,
}

impl std::fmt::Debug for GuardedMap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuardedMap")
            .field("len", &self.map.as_ref().len())
            .field("slot", &self.slot)
            .field("poisoned", &self.is_poisoned())
            .finish()
    }
}

impl GuardedMap {
    /// Guards `map`: installs the process's SIGBUS handler if needed and registers the map.
    pub fn new(map: memmap2::Mmap) -> Result<Self, GuardError> {
        handler::install().map_err(GuardError::Handler)?;
        let slot = if map.is_empty() {
            None
        } else {
            Some(
                REGISTRY
                    .register(map.as_ptr() as usize, map.as_ref().len())
                    .ok_or(GuardError::Full)?,
            )
        };
        Ok(GuardedMap { map, slot })
    }

    /// Whether a read of this map hit a SIGBUS; every read fails from then on.
    #[must_use]
    pub fn is_poisoned(&self) -> bool {
        self.slot.is_some_and(|s| REGISTRY.is_poisoned(s))
    }

    fn poisoned_error(offset: u64, len: usize) -> io::Error {
        io::Error::other(MapPoisoned {
            start: offset,
            end: offset.saturating_add(len as u64),
        })
    }
}

impl Drop for GuardedMap {
    fn drop(&mut self) {
        // Unregistered before `map` is unmapped (fields drop after this body), so the handler
        // never acts on an address range that a later mapping may reuse.
        if let Some(s) = self.slot {
            REGISTRY.unregister(s);
        }
    }
}

impl ReadAt for GuardedMap {
    fn len(&self) -> u64 {
        self.map.as_ref().len() as u64
    }

    fn will_read(&self, offset: u64, len: u64) {
        crate::source::will_need(&self.map, offset, len);
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        if self.is_poisoned() {
            return Err(Self::poisoned_error(offset, buf.len()));
        }
        let end = offset
            .checked_add(buf.len() as u64)
            .filter(|&e| e <= self.map.as_ref().len() as u64)
            .ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "read past the end"))?;
        debug_assert!(end <= self.map.as_ref().len() as u64);
        // SAFETY: `offset..end` lies inside the map, which lives as long as `&self`, and `buf`
        // is a distinct, writable buffer of the same length. If a page of the range faults, the
        // SIGBUS handler replaces it (and the rest of the map) with zero pages and the copy
        // completes; its bytes are then discarded below. The copy goes through raw pointers, not
        // a `&[u8]` of the map, as the contents may change under it.
        unsafe {
            std::ptr::copy_nonoverlapping(
                self.map.as_ptr().add(offset as usize),
                buf.as_mut_ptr(),
                buf.len(),
            );
        }
        // The copy's loads complete before the flag is read, whether the fault was handled on
        // this thread (a signal handler) or on another one.
        fence(Ordering::SeqCst);
        if self.is_poisoned() {
            return Err(Self::poisoned_error(offset, buf.len()));
        }
        Ok(())
    }

    fn is_poisoned(&self) -> bool {
        GuardedMap::is_poisoned(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn map_of(bytes: &[u8]) -> (tempfile::NamedTempFile, memmap2::Mmap) {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(bytes).unwrap();
        f.flush().unwrap();
        // SAFETY: a private temporary file; truncating it under the map is what is tested.
        let map = unsafe { memmap2::Mmap::map(f.as_file()) }.unwrap();
        (f, map)
    }

    #[test]
    fn reads_copy_and_check_bounds() {
        let bytes: Vec<u8> = (0..10_000u32).map(|i| i as u8).collect();
        let (_f, map) = map_of(&bytes);
        let g = GuardedMap::new(map).unwrap();
        assert!(sigbus_guard_installed());
        let mut buf = [0u8; 100];
        g.read_at(5000, &mut buf).unwrap();
        assert_eq!(&buf[..], &bytes[5000..5100]);
        let err = g.read_at(9950, &mut buf).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        assert!(!g.is_poisoned());
    }

    #[test]
    fn a_read_past_a_truncation_fails_and_poisons_only_its_map() {
        let page = 1 << 16; // a multiple of every page size
        let bytes = vec![0xa5u8; 8 * page];
        let (f, map) = map_of(&bytes);
        let (_f2, map2) = map_of(&bytes);
        let g = GuardedMap::new(map).unwrap();
        let other = GuardedMap::new(map2).unwrap();
        f.as_file().set_len(2 * page as u64).unwrap();
        let mut buf = vec![0u8; 1000];
        g.read_at(page as u64, &mut buf).unwrap();
        assert!(buf.iter().all(|&b| b == 0xa5));
        let err = g.read_at(5 * page as u64 + 10, &mut buf).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::Other);
        let inner = err.get_ref().and_then(|e| e.downcast_ref::<MapPoisoned>());
        assert!(inner.is_some(), "{err}");
        assert!(err.to_string().contains("SIGBUS"), "{err}");
        assert!(g.is_poisoned());
        // Poisoned for good, even where the file still has bytes.
        assert!(g.read_at(0, &mut buf).is_err());
        // Another map is not affected.
        other.read_at(5 * page as u64, &mut buf).unwrap();
        assert!(buf.iter().all(|&b| b == 0xa5));
        assert!(!other.is_poisoned());
    }
}
