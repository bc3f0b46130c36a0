//! Decoders of untrusted bytes never panic, and encodings round-trip (proptest).

use masspoc_node_bridge::anchor::merkle::{leaf_hash, path, root, root_from_path};
use masspoc_node_bridge::anchor::txparse::parse_tx;
use masspoc_node_bridge::anchor::AnchorPayload;
use masspoc_node_bridge::pow::{BlockHeader, Hash256, Target};
use masspoc_node_bridge::rpc::reply::{parse_batch, parse_single};
use proptest::prelude::*;

proptest! {
    #[test]
    fn rpc_replies_never_panic(status in 100u16..600, body in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = parse_single("m", status, &body);
        let _ = parse_batch(&["a", "b"], status, &body);
    }

    #[test]
    fn tx_and_payload_decoders_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = parse_tx(&bytes);
        let _ = AnchorPayload::from_script_hex(&hex::encode(&bytes));
        let _ = AnchorPayload::decode(&bytes);
        let _ = BlockHeader::decode(&bytes);
    }

    #[test]
    fn header_round_trip(bytes in proptest::array::uniform32(any::<u8>()), v in any::<i32>(), t in any::<u32>(), bits in any::<u32>(), n in any::<u32>()) {
        let h = BlockHeader { version: v, prev: Hash256(bytes), merkle_root: Hash256([7; 32]), time: t, bits, nonce: n };
        prop_assert_eq!(BlockHeader::decode(&h.encode()).unwrap(), h);
        let _ = Target::from_compact(bits);
        prop_assert_eq!(Hash256::from_display_hex(&h.prev.to_string()).unwrap(), h.prev);
    }

    #[test]
    fn payload_round_trip(kinds in any::<u8>(), seq in any::<u64>(), r in proptest::array::uniform32(any::<u8>())) {
        let p = AnchorPayload { kinds, seq, root: r };
        prop_assert_eq!(AnchorPayload::from_script_hex(&p.script_hex()), Some(p));
    }

    #[test]
    fn merkle_paths_hold(n in 1usize..70, pick in any::<usize>()) {
        let leaves: Vec<[u8; 32]> = (0..n).map(|i| leaf_hash(&(i as u64).to_le_bytes())).collect();
        let i = pick % n;
        let p = path(&leaves, i).unwrap();
        prop_assert_eq!(root_from_path(&leaves[i], i as u64, n as u64, &p), root(&leaves));
    }
}
