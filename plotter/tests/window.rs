//! The reader's probe window: a plot file answers a window of `2^b` indexes with exactly the pairs
//! an independent derivation finds there (`proof/tests/vectors/derive.py`, brute force in Python),
//! and with exactly the brute-force pairs of the window for every b of [0, 16].

use crate::common;

use common::{brute_pairs, plot_bytes, request};
use masspoc_plot::{read_candidates, PlotReader, ReadAt, ReadError, READS_PER_LOOKUP};
use masspoc_plotter::{plot, NoProgress, PlotRequest};
use masspoc_proof::{
    probe, Challenge, FarmerPublicKey, FilterBits, PlotSeed, ProbeBits, ProofError, K,
};
use serde_json::Value;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

fn vectors() -> Value {
    serde_json::from_str(include_str!("../../proof/tests/vectors/proof_vectors.json"))
        .expect("vector file parses")
}

fn hex32(v: &Value) -> [u8; 32] {
    let mut out = [0u8; 32];
    let s = v.as_str().expect("hex string");
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex");
    }
    out
}

fn num(v: &Value) -> u64 {
    v.as_u64().expect("integer")
}

#[test]
fn windows_read_exactly_the_derived_pairs() {
    let dir = tempfile::tempdir().unwrap();
    let v = vectors();
    let mut windows = 0;
    for entry in v["plots"].as_array().unwrap() {
        let k = K::new(num(&entry["k"]) as u8).unwrap();
        let mut req = PlotRequest::new(
            FarmerPublicKey(hex32(&entry["farmer_pk"])),
            k,
            PlotSeed(hex32(&entry["plot_seed"])),
            dir.path(),
        );
        req.threads = 2;
        let reader = PlotReader::open(&plot(&req, &NoProgress).unwrap().path).unwrap();
        for w in entry["windows"].as_array().unwrap() {
            let challenge = Challenge(hex32(&w["challenge"]));
            let b = ProbeBits::new(num(&w["probe_bits"]) as u32).unwrap();
            let want: Vec<(u64, u64)> = w["pairs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| (num(&p[1]), num(&p[2])))
                .collect();
            let found = reader.prove(&challenge, FilterBits::NONE, b).unwrap();
            let got: Vec<(u64, u64)> = found.iter().map(|f| (f.proof.x, f.proof.x_prime)).collect();
            assert_eq!(got, want, "k {k} b {b} challenge {}", challenge.to_hex());
            // The seam the farmer calls gives the same candidates, quality and score included.
            let seam = read_candidates(&reader, reader.identity(), &challenge, FilterBits::NONE, b)
                .unwrap()
                .expect("filter 0 passes");
            assert_eq!(seam, found);
            windows += 1;
        }
    }
    assert_eq!(windows, 19);
}

#[test]
fn every_window_width_reads_the_brute_force_pairs_k17() {
    let dir = tempfile::tempdir().unwrap();
    let req = request(17, 9, dir.path());
    let (summary, _) = plot_bytes(&req);
    let reader = PlotReader::open(&summary.path).unwrap();
    let (plot_id, k) = (req.plot_id(), req.k);
    let all = brute_pairs(&plot_id, k);
    for b in 0..=16u32 {
        let bits = ProbeBits::new(b).unwrap();
        let mut answered = 0u32;
        let challenges = if b >= 12 { 4 } else { 64 };
        for i in 0..challenges {
            let c = Challenge(*blake3::hash(&[b as u8, i as u8, 0x77]).as_bytes());
            let z = probe(&plot_id, k, &c).z;
            let (lo, hi) = ((z >> b) << b, ((z >> b) << b) + (1 << b) - 1);
            let want: Vec<(u64, u64)> = all
                .iter()
                .filter(|p| (lo..=hi).contains(&p.0))
                .map(|p| (p.1, p.2))
                .collect();
            let got = read_candidates(&reader, reader.identity(), &c, FilterBits::NONE, bits)
                .unwrap()
                .expect("filter 0 passes");
            let got: Vec<(u64, u64)> = got.iter().map(|f| (f.proof.x, f.proof.x_prime)).collect();
            assert_eq!(got, want, "b {b} z {z}");
            answered += u32::from(!got.is_empty());
        }
        if b >= 4 {
            // A window of 2^b indexes holds Poisson(2^(b-1)) pairs: at b >= 4 all but ~0.03%
            // of windows hold one.
            assert_eq!(answered, challenges, "b {b}");
        }
    }
    // A window as wide as the plot is refused, as a parameter error rather than damage.
    let mut small = request(16, 9, dir.path());
    small.threads = 1;
    let r16 = PlotReader::open(&plot_bytes(&small).0.path).unwrap();
    let err = r16
        .prove(
            &Challenge([3; 32]),
            FilterBits::NONE,
            ProbeBits::new(16).unwrap(),
        )
        .unwrap_err();
    assert!(
        matches!(
            err,
            ReadError::Parameter(ProofError::ProbeBitsNotBelowK {
                probe_bits: 16,
                k: 16
            })
        ),
        "{err}"
    );
}

/// A plot's bytes that count the reads made of them.
struct Counting {
    bytes: Vec<u8>,
    reads: Arc<AtomicUsize>,
}

impl ReadAt for Counting {
    fn len(&self) -> u64 {
        self.bytes.len() as u64
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.bytes.as_slice().read_at(offset, buf)
    }
}

#[test]
fn a_window_costs_three_reads_whatever_k_and_b() {
    let dir = tempfile::tempdir().unwrap();
    for k in [16u8, 20] {
        let req = request(k, 4, dir.path());
        let (summary, bytes) = plot_bytes(&req);
        let reads = Arc::new(AtomicUsize::new(0));
        let src = Counting {
            bytes,
            reads: Arc::clone(&reads),
        };
        let reader = PlotReader::from_source(Box::new(src), &summary.path).unwrap();
        for b in 0..=(k as u32 - 1).min(16) {
            let bits = ProbeBits::new(b).unwrap();
            for i in 0..32u8 {
                let c = Challenge(*blake3::hash(&[k, b as u8, i]).as_bytes());
                reads.store(0, Ordering::SeqCst);
                let found = read_candidates(&reader, reader.identity(), &c, FilterBits::NONE, bits)
                    .unwrap()
                    .expect("filter 0 passes");
                let n = reads.load(Ordering::SeqCst);
                // Superblock offsets, group offsets, entries; when the window's groups hold no
                // entry at all the lookup stops after the group offsets. From b = 4 on the window
                // is whole groups, so that is exactly when it holds no pair.
                let what = format!("k {k} b {b}: {n} reads, {} pairs", found.len());
                assert!(n == READS_PER_LOOKUP as usize || n == 2, "{what}");
                assert!(n == 3 || found.is_empty(), "{what}");
                if b >= 4 {
                    assert_eq!(n == 2, found.is_empty(), "{what}");
                }
            }
        }
    }
}
