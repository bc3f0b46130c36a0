//! Parallel batch verification gives the same answer as checking one by one.

use crate::common;

use common::{farmers, spec};
use masspoc_proof::{Challenge, FilterBits, ProbeBits};
use masspoc_verifier::batch::{verify_headers, verify_proofs, HeaderJob};
use masspoc_verifier::rules::check_header;
use masspoc_verifier::testkit::grow_chain;
use masspoc_verifier::ChainState;

#[test]
fn proofs_batch_equals_one_by_one() {
    let f = &farmers()[0];
    let mut items: Vec<_> = (0u64..3000)
        .filter_map(|i| {
            let c = Challenge(*blake3::hash(&i.to_le_bytes()).as_bytes());
            f.best_proof(&c, FilterBits::NONE, ProbeBits::NONE)
                .map(|(p, _)| (p, c))
        })
        .collect();
    assert!(items.len() > 500);
    // Spoil every seventh: wrong challenge or a broken pair.
    for (i, it) in items.iter_mut().enumerate().filter(|(i, _)| i % 7 == 0) {
        if i % 2 == 0 {
            it.1 .0[0] ^= 1;
        } else {
            it.0.x_prime ^= 1;
        }
    }
    let batch = verify_proofs(&items, FilterBits::NONE, ProbeBits::NONE);
    let single: Vec<_> = items
        .iter()
        .map(|(p, c)| p.verify(c, FilterBits::NONE, ProbeBits::NONE))
        .collect();
    assert_eq!(batch, single);
    assert!(batch.iter().filter(|r| r.is_err()).count() >= items.len() / 7);
}

#[test]
fn headers_batch_equals_one_by_one() {
    let state = ChainState::new(spec());
    let chain = grow_chain(&state, farmers(), state.best().hash, 24);
    let mut replay = state.clone();
    let mut jobs = Vec::new();
    for h in &chain {
        let (parent, difficulty) = replay.prepare(h).unwrap();
        replay.accept_header(h, None).unwrap();
        jobs.push(HeaderJob {
            header: *h,
            parent,
            difficulty,
        });
    }
    jobs[3].header.signature[9] ^= 1;
    jobs[8].header.vrf_proof.0[50] ^= 1;
    jobs[11].difficulty += 1;
    let s = spec();
    let batch = verify_headers(&jobs, &s, None);
    for (j, r) in jobs.iter().zip(&batch) {
        assert_eq!(
            r,
            &check_header(&j.header, &j.parent, &s, j.difficulty, None)
        );
    }
    let codes: Vec<_> = [3, 8, 11]
        .iter()
        .map(|&i| batch[i].as_ref().unwrap_err().code())
        .collect();
    assert_eq!(codes, ["bad_signature", "bad_vrf", "wrong_difficulty"]);
    assert_eq!(batch.iter().filter(|r| r.is_ok()).count(), 21);
}
