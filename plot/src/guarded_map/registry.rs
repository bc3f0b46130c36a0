//! The registry of guarded memory maps, readable from a signal handler.
//!
//! A fixed array of slots made of atomics only: registering and unregistering a map never
//! allocates, and the SIGBUS handler finds the map an address belongs to without locks or
//! allocation. Each slot is a sequence lock: a writer makes its sequence number odd, writes the
//! region, then makes it even again; a reader (the handler) keeps a region only if it read the
//! same even number before and after, so it never acts on a half-written (torn) region.
//! Ownership of a slot is taken with a compare-and-swap on `claimed`, so two threads never write
//! the same slot. Readers scan up to a high-water mark only.

use std::sync::atomic::{fence, AtomicBool, AtomicUsize, Ordering};

/// One registered region (or a free slot).
struct Slot {
    /// Taken by the map that owns the slot (compare-and-swap from `false`).
    claimed: AtomicBool,
    /// Sequence lock: odd while the region is being written.
    seq: AtomicUsize,
    /// First byte of the region (page-aligned: the start of a memory map).
    start: AtomicUsize,
    /// Length of the region in bytes; 0 for a free slot.
    len: AtomicUsize,
    /// Set by the SIGBUS handler when a read of the region faulted; cleared on registration.
    poisoned: AtomicBool,
}

impl Slot {
    const fn new() -> Self {
        Slot {
            claimed: AtomicBool::new(false),
            seq: AtomicUsize::new(0),
            start: AtomicUsize::new(0),
            len: AtomicUsize::new(0),
            poisoned: AtomicBool::new(false),
        }
    }

    /// Writes the region under the sequence lock (only the slot's owner calls this).
    fn write(&self, start: usize, len: usize) {
        let s = self.seq.load(Ordering::Relaxed);
        self.seq.store(s.wrapping_add(1), Ordering::Relaxed);
        fence(Ordering::Release);
        self.start.store(start, Ordering::Relaxed);
        self.len.store(len, Ordering::Relaxed);
        self.seq.store(s.wrapping_add(2), Ordering::Release);
    }

    /// The region, if the slot holds one and it was not being rewritten while read.
    fn read(&self) -> Option<(usize, usize)> {
        let s1 = self.seq.load(Ordering::Acquire);
        if s1 % 2 == 1 {
            return None;
        }
        let start = self.start.load(Ordering::Relaxed);
        let len = self.len.load(Ordering::Relaxed);
        fence(Ordering::Acquire);
        let s2 = self.seq.load(Ordering::Relaxed);
        (s1 == s2 && len > 0).then_some((start, len))
    }
}

/// A fixed-capacity set of memory regions, each with a poisoned flag.
pub(crate) struct Registry<const N: usize> {
    slots: [Slot; N],
    /// One past the highest slot index ever claimed.
    high_water: AtomicUsize,
}

/// A registered region that contains a faulting address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Hit {
    /// The slot index.
    pub slot: usize,
    /// First byte of the region.
    pub start: usize,
    /// Length of the region.
    pub len: usize,
}

impl<const N: usize> Registry<N> {
    /// An empty registry (usable in a `static`).
    pub(crate) const fn new() -> Self {
        Registry {
            slots: [const { Slot::new() }; N],
            high_water: AtomicUsize::new(0),
        }
    }

    /// Registers `[start, start + len)` (`len > 0`) with a clear poisoned flag; `None` when
    /// every slot is taken.
    pub(crate) fn register(&self, start: usize, len: usize) -> Option<usize> {
        debug_assert!(len > 0);
        for (i, slot) in self.slots.iter().enumerate() {
            if slot
                .claimed
                .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
            {
                slot.poisoned.store(false, Ordering::Relaxed);
                slot.write(start, len);
                self.high_water.fetch_max(i + 1, Ordering::AcqRel);
                return Some(i);
            }
        }
        None
    }

    /// Frees a slot returned by [`Registry::register`]. Called before the region is unmapped, so
    /// the handler never matches an address that may belong to a later mapping.
    pub(crate) fn unregister(&self, slot: usize) {
        let s = &self.slots[slot];
        s.write(0, 0);
        s.claimed.store(false, Ordering::Release);
    }

    /// Whether a fault was caught in the slot's region since it was registered.
    pub(crate) fn is_poisoned(&self, slot: usize) -> bool {
        self.slots[slot].poisoned.load(Ordering::Acquire)
    }

    /// Marks the slot's region as poisoned (async-signal-safe: one atomic store).
    pub(crate) fn poison(&self, slot: usize) {
        self.slots[slot].poisoned.store(true, Ordering::SeqCst);
    }

    /// The registered region containing `addr`, if any. Async-signal-safe: atomic loads only,
    /// bounded by the high-water mark.
    pub(crate) fn find(&self, addr: usize) -> Option<Hit> {
        let n = self.high_water.load(Ordering::Acquire).min(N);
        self.slots[..n].iter().enumerate().find_map(|(slot, s)| {
            let (start, len) = s.read()?;
            (addr >= start && addr - start < len).then_some(Hit { slot, start, len })
        })
    }

    /// Number of slots taken (tests and diagnostics).
    #[cfg(test)]
    pub(crate) fn in_use(&self) -> usize {
        let n = self.high_water.load(Ordering::Acquire).min(N);
        self.slots[..n]
            .iter()
            .filter(|s| s.claimed.load(Ordering::Acquire))
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_registered_regions_only() {
        let r = Registry::<4>::new();
        assert_eq!(r.find(100), None);
        let a = r.register(4096, 8192).unwrap();
        let b = r.register(65536, 100).unwrap();
        assert_ne!(a, b);
        assert_eq!(
            r.find(4096),
            Some(Hit {
                slot: a,
                start: 4096,
                len: 8192
            })
        );
        assert_eq!(r.find(4096 + 8191).map(|h| h.slot), Some(a));
        assert_eq!(r.find(4096 + 8192), None);
        assert_eq!(r.find(4095), None);
        assert_eq!(r.find(65536 + 99).map(|h| h.slot), Some(b));
        r.unregister(a);
        assert_eq!(r.find(4096), None);
        assert_eq!(r.find(65536).map(|h| h.slot), Some(b));
    }

    #[test]
    fn full_registry_refuses_and_frees_slots_for_reuse() {
        let r = Registry::<4>::new();
        let slots: Vec<usize> = (0..4)
            .map(|i| r.register(i * 4096 + 4096, 10).unwrap())
            .collect();
        assert_eq!(r.in_use(), 4);
        assert_eq!(r.register(1 << 20, 10), None);
        r.unregister(slots[2]);
        assert_eq!(r.in_use(), 3);
        assert_eq!(r.register(1 << 20, 10), Some(slots[2]));
    }

    #[test]
    fn poison_is_per_slot_and_cleared_on_reuse() {
        let r = Registry::<4>::new();
        let a = r.register(4096, 10).unwrap();
        let b = r.register(8192, 10).unwrap();
        r.poison(a);
        assert!(r.is_poisoned(a));
        assert!(!r.is_poisoned(b));
        r.unregister(a);
        let again = r.register(4096 * 8, 10).unwrap();
        assert_eq!(again, a);
        assert!(!r.is_poisoned(again));
    }

    #[test]
    fn concurrent_register_and_unregister_never_show_a_torn_region() {
        // Region k is [k * 2^20, k * 2^20 + k * 2^10): a region `find` returns must have the
        // length that belongs to its start, never one half of two different registrations.
        let r = Registry::<8>::new();
        std::thread::scope(|s| {
            for t in 0..4usize {
                let r = &r;
                s.spawn(move || {
                    for i in 0..2000usize {
                        let k = 1 + (t * 2000 + i) % 64;
                        if let Some(slot) = r.register(k << 20, k << 10) {
                            r.unregister(slot);
                        }
                    }
                });
            }
            let r = &r;
            s.spawn(move || {
                for i in 0..20_000usize {
                    let addr = ((1 + i % 64) << 20) + 17;
                    if let Some(h) = r.find(addr) {
                        assert_eq!(h.start % (1 << 20), 0, "{h:?}");
                        assert_eq!(h.len, (h.start >> 20) << 10, "{h:?}");
                        assert!(addr >= h.start && addr < h.start + h.len);
                    }
                }
            });
        });
        assert_eq!(r.in_use(), 0);
    }
}
