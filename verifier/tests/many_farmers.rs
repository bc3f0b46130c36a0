//! 10,000 farmers on one chain: the chain state keeps nothing per farmer and branch.
//!
//! The old VRF rule ("the key of the farmer's first header on this branch") kept a per-branch map
//! copied at every block whose farmer was new: F²/2 entries for F farmers in a row. The binding is
//! now stateless (`vrf_pk = bound_vrf_public(farmer_pk)`), so a chain of F blocks by F different
//! farmers must cost the state what a chain of F blocks by one farmer costs. Measured, not timed:
//! a counting global allocator gives the heap bytes the state holds after accepting each chain.
//! This file holds one test, so no other test allocates while it measures.

use crate::common;

use common::header_on;
use masspoc_verifier::testkit::TestFarmer;
use masspoc_verifier::{ChainState, Header};
use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::HashSet;
use std::sync::atomic::{AtomicIsize, Ordering};

/// The system allocator, counting the bytes currently allocated.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call is forwarded to the system allocator with the caller's own arguments; the
// counter is only arithmetic on the sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded unchanged (the caller upholds `alloc`'s contract).
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded unchanged.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        // SAFETY: forwarded unchanged.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const FARMERS: usize = 10_000;

/// A farmer with one k = 16 plot that it recomputes at each lookup (10,000 stored plots would
/// not fit in memory; the proofs are as valid).
fn farmer(i: usize) -> TestFarmer {
    TestFarmer::recomputing(seed(i), &[16])
}

fn seed(i: usize) -> [u8; 32] {
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&(i as u64 + 1000).to_le_bytes());
    seed
}

/// A chain of `n` valid headers, each accepted by the real rules, where height `i + 1` is farmed
/// by `farmers[who(i)]`; returns the state and the farmers of the best chain.
fn chain(
    farmers: &[TestFarmer],
    n: usize,
    who: impl Fn(usize) -> usize,
) -> (ChainState, Vec<Header>) {
    let mut state = ChainState::new(common::spec());
    let mut tip = state.best().hash;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let h = header_on(&state, &farmers[who(i)], &tip, 0);
        assert!(state.accept_header(&h, None).expect("honest header").best);
        tip = h.hash();
        out.push(h);
    }
    (state, out)
}

/// Heap bytes a state holds, counted as what a copy of it allocates.
fn heap_bytes(state: &ChainState) -> isize {
    let before = LIVE.load(Ordering::Relaxed);
    let copy = state.clone();
    let bytes = LIVE.load(Ordering::Relaxed) - before;
    drop(copy);
    bytes
}

#[test]
fn ten_thousand_farmers_cost_the_state_what_one_farmer_costs() {
    let farmers: Vec<TestFarmer> = (0..FARMERS).map(farmer).collect();
    let (state_many, many) = chain(&farmers, FARMERS, |i| i);
    let distinct: HashSet<_> = many.iter().map(Header::farmer).collect();
    assert_eq!(distinct.len(), FARMERS, "one block per farmer");
    // The baseline farmer stores its plot (same key, same plot as farmers[0]): lookups are cheap.
    let stored = [TestFarmer::new(seed(0), &[16])];
    let (state_one, one) = chain(&stored, FARMERS, |_| 0);
    assert_eq!(
        one.iter().map(Header::farmer).collect::<HashSet<_>>().len(),
        1
    );

    let bytes_many = heap_bytes(&state_many);
    let bytes_one = heap_bytes(&state_one);
    eprintln!(
        "state heap after {FARMERS} blocks: {bytes_many} bytes by {FARMERS} farmers, \
         {bytes_one} bytes by one farmer"
    );
    // Nothing per farmer and block: the old per-branch map alone was ~F²/2 = 5e7 entries here.
    // An O(F) chain-wide index would be allowed; allow up to 128 bytes per farmer for one.
    assert!(
        bytes_many <= bytes_one + 128 * FARMERS as isize,
        "{bytes_many} bytes for {FARMERS} farmers vs {bytes_one} for one"
    );
}
