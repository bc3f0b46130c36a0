//! Truncated, bit-flipped and garbage plots: reported with the file and the byte range, never a
//! panic.

use crate::common;

use common::{plot_bytes, request};
use masspoc_plot::{PlotReader, ReadError, Section};
use masspoc_proof::{FilterBits, ProbeBits};
use proptest::prelude::*;
use std::path::Path;

fn reader_of(bytes: Vec<u8>) -> Result<PlotReader, ReadError> {
    PlotReader::from_source(Box::new(bytes), Path::new("mem.plot"))
}

#[test]
fn bit_flips_are_found_by_scrub_with_their_chunk() {
    let dir = tempfile::tempdir().unwrap();
    let (s, bytes) = plot_bytes(&request(20, 4, dir.path()));
    let good = reader_of(bytes.clone()).unwrap();
    good.scrub(|_, _| {}).unwrap();
    let layout = good.header().layout;
    for section in [
        Section::Superblocks,
        Section::Groups,
        Section::Entries,
        Section::Checksums,
    ] {
        let (off, len) = layout.section(section);
        for at in [off, off + len / 2, off + len - 1] {
            let mut bad = bytes.clone();
            bad[at as usize] ^= 0x10;
            let r = reader_of(bad).unwrap();
            let err = r.scrub(|_, _| {}).unwrap_err();
            let range = err.byte_range().unwrap_or_else(|| panic!("{err}"));
            assert!(range.contains(&at), "{section:?} flip at {at}: {err}");
            assert!(range.end - range.start <= 1 << 20);
            assert!(err.to_string().contains("mem.plot"));
        }
    }
    // A flipped header byte is refused at open.
    for at in [0usize, 12, 100, 130, 200, 250] {
        let mut bad = bytes.clone();
        bad[at] ^= 1;
        assert!(
            matches!(reader_of(bad), Err(ReadError::BadHeader { .. })),
            "header byte {at}"
        );
    }
    // A truncated file is refused at open and names the lengths.
    for cut in [0, 100, 256, bytes.len() / 2, bytes.len() - 1] {
        let err = reader_of(bytes[..cut].to_vec()).unwrap_err();
        assert!(
            matches!(err, ReadError::Truncated { .. }),
            "cut {cut}: {err}"
        );
    }
    std::fs::remove_file(s.path).unwrap();
}

#[test]
fn damaged_entries_never_yield_unverified_pairs() {
    let dir = tempfile::tempdir().unwrap();
    let (_, bytes) = plot_bytes(&request(16, 8, dir.path()));
    let good = reader_of(bytes.clone()).unwrap();
    let (off, len) = good.header().layout.section(Section::Entries);
    let k = good.k();
    let mut bad = bytes.clone();
    for i in (off..off + len).step_by(97) {
        bad[i as usize] ^= 0x5A;
    }
    let r = reader_of(bad).unwrap();
    let plot_id = good.header().plot_id;
    for z in 0..k.domain() {
        if let Ok(pairs) = r.lookup(z) {
            for (x, xp) in pairs {
                assert_eq!(masspoc_proof::f_value(&plot_id, k, x, xp), z);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..4096), z in any::<u64>()) {
        if let Ok(r) = reader_of(bytes) {
            let _ = r.lookup(z & r.k().mask());
            let _ = r.scrub(|_, _| {});
        }
    }

    #[test]
    fn damaged_real_plot_never_panics(flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..20), z in any::<u64>()) {
        let bytes = small_plot();
        let mut bad = bytes.to_vec();
        for (at, x) in flips {
            let i = at % bad.len();
            bad[i] ^= x;
        }
        if let Ok(r) = reader_of(bad) {
            let k = r.k();
            for dz in 0..64 {
                let _ = r.lookup((z + dz) & k.mask());
            }
            let _ = r.prove(&masspoc_proof::Challenge([z as u8; 32]), FilterBits::NONE, ProbeBits::NONE);
            let _ = r.scrub(|_, _| {});
        }
    }
}

fn small_plot() -> &'static [u8] {
    static PLOT: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    PLOT.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        plot_bytes(&request(16, 6, dir.path())).1
    })
}
