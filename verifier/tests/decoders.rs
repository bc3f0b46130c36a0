//! Arbitrary bytes into every decoder: errors, never panics.

use masspoc_verifier::evidence::{parse_evidence_text, EVIDENCE_LEN};
use masspoc_verifier::{parse_header_text, Evidence, Header, HEADER_LEN};
use proptest::prelude::*;

proptest! {
    #[test]
    fn header_decoder_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..800)) {
        let _ = Header::decode(&bytes);
        let _ = parse_header_text(&String::from_utf8_lossy(&bytes));
        let _ = parse_header_text(&hex::encode(&bytes));
    }

    #[test]
    fn exact_length_headers_decode_or_fail_cleanly(mut bytes in prop::collection::vec(any::<u8>(), HEADER_LEN)) {
        bytes[0] = 1;
        if let Ok(h) = Header::decode(&bytes) {
            prop_assert_eq!(h.encode().to_vec(), bytes);
            let _ = h.verify_signature();
        }
    }

    #[test]
    fn proof_decoder_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = masspoc_proof::Proof::decode(&bytes);
    }

    #[test]
    fn evidence_decoder_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..1600)) {
        let _ = Evidence::decode(&bytes);
        let _ = parse_evidence_text(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn exact_length_evidence_fails_cleanly(mut bytes in prop::collection::vec(any::<u8>(), EVIDENCE_LEN)) {
        bytes[0] = 1;
        bytes[HEADER_LEN] = 1;
        let _ = Evidence::decode(&bytes);
    }
}
