//! Criterion benches of the verifier's stages: one proof, one header (all rules), the cheap rules
//! (challenge, deadline, retarget), and a parallel batch of headers.

// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion};
use masspoc_proof::{FilterBits, ProbeBits, Score};
use masspoc_verifier::batch::{verify_headers, HeaderJob};
use masspoc_verifier::testkit::{bench_params, grow_chain, TestFarmer};
use masspoc_verifier::{
    check_header, deadline_ms, derive_challenge, ChainSpec, ChainState, Height, Slot,
};
use std::hint::black_box;

fn fixtures() -> (ChainSpec, Vec<HeaderJob>) {
    let spec = ChainSpec::new(bench_params()).expect("valid params");
    let farmers: Vec<TestFarmer> = (1u8..=2)
        .map(|i| TestFarmer::new([i; 32], &[16; 4]))
        .collect();
    let state = ChainState::new(spec.clone());
    let chain = grow_chain(&state, &farmers, state.best().hash, 64);
    let mut replay = state;
    let jobs = chain
        .iter()
        .map(|h| {
            let (parent, difficulty) = replay.prepare(h).expect("valid");
            replay.accept_header(h, None).expect("valid");
            HeaderJob {
                header: *h,
                parent,
                difficulty,
            }
        })
        .collect();
    (spec, jobs)
}

fn benches(c: &mut Criterion) {
    let (spec, jobs) = fixtures();
    let j = jobs[0];
    c.bench_function("proof_verify", |b| {
        let ch = masspoc_verifier::rules::header_challenge(&j.header, &j.parent);
        b.iter(|| {
            black_box(
                j.header
                    .proof
                    .verify(&ch, FilterBits::NONE, ProbeBits::NONE),
            )
            .expect("valid")
        })
    });
    c.bench_function("header_check_all_rules", |b| {
        b.iter(|| {
            check_header(black_box(&j.header), &j.parent, &spec, j.difficulty, None).expect("valid")
        })
    });
    c.bench_function("challenge_derivation", |b| {
        b.iter(|| {
            derive_challenge(
                &spec.chain_id,
                Height(5),
                Slot(0),
                black_box(&j.parent.beta),
            )
        })
    });
    c.bench_function("deadline", |b| {
        b.iter(|| {
            deadline_ms(
                black_box(Score(123_456_789_123_456_789)),
                black_box(987_654_321),
            )
        })
    });
    c.bench_function("headers_batch_64_all_cores", |b| {
        b.iter(|| {
            let r = verify_headers(black_box(&jobs), &spec, None);
            assert!(r.iter().all(Result::is_ok));
        })
    });
}

criterion_group! {
    name = verify;
    config = Criterion::default().sample_size(20);
    targets = benches
}
criterion_main!(verify);
