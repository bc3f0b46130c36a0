//! Evidence: built, encoded, verified with no state, refused when it proves nothing; the detector
//! remembers across reopening and de-duplicates.

use crate::common;

use common::{farmers, header_on, spec};
use masspoc_verifier::detector::{Observation, SlashingDetector};
use masspoc_verifier::evidence::{parse_evidence_text, EvidenceJson, EVIDENCE_LEN};
use masspoc_verifier::{ChainState, Evidence, EvidenceError, Header};

fn two_headers() -> (Header, Header) {
    let state = ChainState::new(spec());
    let g = state.best().hash;
    let a = header_on(&state, &farmers()[0], &g, 1);
    let b = header_on(&state, &farmers()[0], &g, 2); // same height, other payload
    (a, b)
}

#[test]
fn evidence_round_trips_and_is_order_independent() {
    let (a, b) = two_headers();
    let e1 = Evidence::new(a, b).unwrap();
    let e2 = Evidence::new(b, a).unwrap();
    assert_eq!(e1, e2);
    assert_eq!(e1.encode().len(), EVIDENCE_LEN);
    assert_eq!(Evidence::decode(&e1.encode()).unwrap(), e1);
    let json = serde_json::to_string(&EvidenceJson::from(&e1)).unwrap();
    assert_eq!(parse_evidence_text(&json).unwrap(), e1);
    assert_eq!(parse_evidence_text(&hex::encode(e1.encode())).unwrap(), e1);
}

#[test]
fn evidence_refusals() {
    let (a, b) = two_headers();
    let e = Evidence::new(a, b).unwrap();
    let (lo, hi) = e.headers();
    let mut swapped = hi.encode().to_vec();
    swapped.extend_from_slice(&lo.encode());
    assert!(matches!(
        Evidence::decode(&swapped),
        Err(EvidenceError::BadEncoding(_))
    ));
    assert_eq!(Evidence::new(a, a).unwrap_err(), EvidenceError::SameHeader);
    let mut other_chain = b;
    other_chain.chain_id.0[0] ^= 1;
    farmers()[0].sign(&mut other_chain);
    assert_eq!(
        Evidence::new(a, other_chain).unwrap_err(),
        EvidenceError::DifferentChains
    );
    let mut other_height = b;
    other_height.height.0 += 1;
    farmers()[0].sign(&mut other_height);
    assert_eq!(
        Evidence::new(a, other_height).unwrap_err(),
        EvidenceError::DifferentHeights
    );
    let state = ChainState::new(spec());
    let c = header_on(&state, &farmers()[1], &state.best().hash, 3);
    assert_eq!(
        Evidence::new(a, c).unwrap_err(),
        EvidenceError::DifferentKeys
    );
    let mut forged = b;
    forged.signature[1] ^= 1;
    assert!(matches!(
        Evidence::new(a, forged),
        Err(EvidenceError::BadSignature(_))
    ));
    assert!(Evidence::decode(&e.encode()[1..]).is_err());
}

#[test]
fn detector_emits_once_and_remembers_across_reopen() {
    let (a, b) = two_headers();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("slashing.redb");
    {
        let d = SlashingDetector::open(&path).unwrap();
        assert_eq!(d.observe(&a).unwrap(), Observation::New);
        assert_eq!(d.observe(&a).unwrap(), Observation::Known);
        match d.observe(&b).unwrap() {
            Observation::Equivocation { evidence, new } => {
                assert!(new);
                assert_eq!(*evidence, Evidence::new(a, b).unwrap());
            }
            other => panic!("expected equivocation, got {other:?}"),
        }
        // The second process on the same store is refused.
        assert!(SlashingDetector::open(&path).is_err());
    }
    let d = SlashingDetector::open(&path).unwrap();
    assert!(matches!(
        d.observe(&b).unwrap(),
        Observation::Equivocation { new: false, .. }
    ));
    assert!(!d.add_evidence(&Evidence::new(b, a).unwrap()).unwrap());
    assert_eq!(d.evidence().unwrap().len(), 1);
    assert_eq!(d.seen_count().unwrap(), 1);
    // A header without a valid signature is not recorded.
    let mut bad = a;
    bad.signature[0] ^= 1;
    assert!(d.observe(&bad).is_err());
}
