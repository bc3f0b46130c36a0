//! Known answers for the proof-of-work checks, each from its source:
//! - Litecoin Core `src/test/scrypt_tests.cpp` (`scrypt_hashtest`): five real mainnet headers and
//!   their scrypt hashes as `uint256::ToString` prints them (byte-reversed);
//! - Litecoin Core `src/chainparams.cpp` (`CMainParams`): the mainnet genesis block
//!   `CreateGenesisBlock(1317972665, 2084524493, 0x1e0ffff0, 1, …)` with hash
//!   `12a765e3…bfe2` and merkle root `97ddfbba…ced9`;
//! - a real `litecoind -regtest`: `getblockheader HASH false` for hashes it reports, and its
//!   `mediantime` for the median time past (over blocks whose times `setmocktime` puts out of
//!   order);
//! - Litecoin Core `test/functional/data/blockheader_testnet4.hex` (v0.21.5.5, copied to
//!   `tests/data/`, used by `p2p_dos_header_tree.py`): the real testnet headers 1..=300, whose
//!   block 300 is `CTestNetParams`'s checkpoint `54e6075a…17769740`, on the testnet genesis of
//!   `src/chainparams.cpp` (`CreateGenesisBlock(1486949366, 293345, 0x1e0ffff0, 1, …)`, hash
//!   `4966625a…4e3e29a0`): every header Core accepted the follower accepts, median time past
//!   included;
//! - Litecoin Core `src/chainparams.cpp` (`CTestNetParams`: `fPowAllowMinDifficultyBlocks`,
//!   powLimit `00000fff…` = compact `0x1e0fffff`) and `src/pow.cpp` (`GetNextWorkRequired`) for
//!   the testnet minimum-difficulty rule. (Retarget known answers from `pow_tests.cpp`:
//!   `node-bridge/src/pow/retarget.rs`.)

use masspoc_node_bridge::follower::validate::{validate_run_after, Fetched, Parent};
use masspoc_node_bridge::pow::retarget::{median_time_past, MEDIAN_TIME_SPAN};
use masspoc_node_bridge::pow::{check_pow, BlockHeader, Hash256, PowParams};
use masspoc_node_bridge::regtest::RegtestNode;
use masspoc_node_bridge::{FollowError, PowError};

const SCRYPT_VECTORS: [(&str, &str); 5] = [
    ("020000004c1271c211717198227392b029a64a7971931d351b387bb80db027f270411e398a07046f7d4a08dd815412a8712f874a7ebf0507e3878bd24e20a3b73fd750a667d2f451eac7471b00de6659", "00000000002bef4107f882f6115e0b01f348d21195dacd3582aa2dabd7985806"),
    ("0200000011503ee6a855e900c00cfdd98f5f55fffeaee9b6bf55bea9b852d9de2ce35828e204eef76acfd36949ae56d1fbe81c1ac9c0209e6331ad56414f9072506a77f8c6faf551eac7471b00389d01", "00000000003a0d11bdd5eb634e08b7feddcfbbf228ed35d250daf19f1c88fc94"),
    ("02000000a72c8a177f523946f42f22c3e86b8023221b4105e8007e59e81f6beb013e29aaf635295cb9ac966213fb56e046dc71df5b3f7f67ceaeab24038e743f883aff1aaafaf551eac7471b0166249b", "00000000000b40f895f288e13244728a6c2d9d59d8aff29c65f8dd5114a8ca81"),
    ("010000007824bc3a8a1b4628485eee3024abd8626721f7f870f8ad4d2f33a27155167f6a4009d1285049603888fe85a84b6c803a53305a8d497965a5e896e1a00568359589faf551eac7471b0065434e", "00000000003007005891cd4923031e99d8e8d72f6e8e7edc6a86181897e105fe"),
    ("0200000050bfd4e4a307a8cb6ef4aef69abc5c0f2d579648bd80d7733e1ccc3fbc90ed664a7f74006cb11bde87785f229ecd366c2d4e44432832580e0608c579e4cb76f383f7f551eac7471b00c36982", "000000000018f0b426a4afc7130ccb47fa02af730d345b4fe7c7724d3800ec8c"),
];

#[test]
fn litecoin_scrypt_vectors() {
    for (header, want) in SCRYPT_VECTORS {
        let h = BlockHeader::from_hex(header).unwrap();
        assert_eq!(h.pow_hash().to_string(), want);
        // These are real mainnet blocks: their proof of work meets their own bits.
        let check = check_pow(&h);
        assert!(check.verdict.is_ok(), "{:?}", check.verdict);
        assert_eq!(hex::encode(h.encode()), header);
    }
}

#[test]
fn litecoin_mainnet_genesis() {
    let genesis = BlockHeader {
        version: 1,
        prev: Hash256([0; 32]),
        merkle_root: Hash256::from_display_hex(
            "97ddfbbae6be97fd6cdf3e7ca13232a3afff2353e29badfab7f73011edd4ced9",
        )
        .unwrap(),
        time: 1317972665,
        bits: 0x1e0ffff0,
        nonce: 2084524493,
    };
    assert_eq!(
        genesis.id().to_string(),
        "12a765e31ffd4059bada1e25190f6e98c99d9714d334efa41a195a7e7e04bfe2"
    );
    assert!(check_pow(&genesis).verdict.is_ok());
    assert!(PowParams::mainnet().check_bits(&genesis, 0, None).is_ok());
}

#[test]
fn tampered_headers_fail() {
    let (header, _) = SCRYPT_VECTORS[0];
    let mut bytes = hex::decode(header).unwrap();
    bytes[79] ^= 0x01; // nonce
    let h = BlockHeader::decode(&bytes).unwrap();
    assert!(check_pow(&h).verdict.is_err());
    assert!(BlockHeader::decode(&bytes[..79]).is_err());
    assert!(BlockHeader::from_hex("zz").is_err());
}

#[test]
fn ids_match_a_real_regtest_node() {
    let mut node = RegtestNode::start().unwrap();
    let hashes = node.mine(5).unwrap();
    let rpc = node.rpc();
    let genesis = rpc.block_hash(0).unwrap();
    let params = PowParams::regtest();
    let mut parent_bits = None;
    for hash in std::iter::once(genesis).chain(hashes) {
        let raw = rpc.raw_header(&hash).unwrap();
        let header = BlockHeader::decode(&raw).unwrap();
        assert_eq!(
            header.id(),
            hash,
            "our SHA-256d id must equal the node's hash"
        );
        let check = check_pow(&header);
        assert!(check.verdict.is_ok(), "{:?}", check.verdict);
        params.check_bits(&header, 0, parent_bits).unwrap();
        parent_bits = Some(header.bits);
        let info = rpc.header_info(&hash).unwrap();
        assert_eq!(info.merkleroot, header.merkle_root.to_string());
    }
}

#[test]
fn median_time_past_matches_a_real_regtest_node() {
    let mut node = RegtestNode::start().unwrap();
    let rpc = node.rpc();
    let mut hashes = vec![rpc.block_hash(0).unwrap()];
    // The node's clock jumps back and forth: a block mined after a jump back gets the median
    // time past + 1, below earlier blocks' times, so the times are out of order and the median
    // differs from the latest time.
    let base = 1_700_000_000u64;
    let offsets = [
        900u64, 100, 1500, 200, 2100, 50, 2600, 300, 3000, 10, 3500, 20, 4000, 30,
    ];
    for offset in offsets {
        rpc.call_value("setmocktime", serde_json::json!([base + offset]))
            .unwrap();
        hashes.extend(node.mine(1).unwrap());
    }
    let mut times = Vec::new();
    let mut medians_below_latest = 0;
    for hash in &hashes {
        let header = BlockHeader::decode(&rpc.raw_header(hash).unwrap()).unwrap();
        times.push(header.time);
        let info = rpc
            .call_value("getblockheader", serde_json::json!([hash.to_string()]))
            .unwrap();
        let ours = median_time_past(&times);
        assert_eq!(
            ours.map(u64::from),
            info["mediantime"].as_u64(),
            "block {hash}"
        );
        let latest_max = times[times.len().saturating_sub(MEDIAN_TIME_SPAN)..]
            .iter()
            .max()
            .copied();
        if ours < latest_max {
            medians_below_latest += 1;
        }
    }
    assert!(
        times.windows(2).any(|w| w[1] < w[0]),
        "the times must be out of order: {times:?}"
    );
    assert!(medians_below_latest > 5, "{times:?}");
}

/// Litecoin Core `test/functional/data/blockheader_testnet4.hex`: real testnet headers 1..=300,
/// one per line, plus two `fork:` headers off genesis (left out here).
const TESTNET4_HEADERS: &str = include_str!("data/blockheader_testnet4.hex");

#[test]
fn real_testnet_headers_pass_the_follower_checks() {
    // src/chainparams.cpp CTestNetParams: the genesis block and the checkpoint at 300.
    let genesis = BlockHeader {
        version: 1,
        prev: Hash256([0; 32]),
        merkle_root: Hash256::from_display_hex(
            "97ddfbbae6be97fd6cdf3e7ca13232a3afff2353e29badfab7f73011edd4ced9",
        )
        .unwrap(),
        time: 1486949366,
        bits: 0x1e0ffff0,
        nonce: 293345,
    };
    assert_eq!(
        genesis.id().to_string(),
        "4966625a4b2851d9fdee139e56211a0d88575f59ed816ff5e6a63deb4e3e29a0"
    );
    let headers: Vec<BlockHeader> = TESTNET4_HEADERS
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with("fork:"))
        .map(|l| BlockHeader::from_hex(l.trim()).unwrap())
        .collect();
    assert_eq!(headers.len(), 300);
    assert_eq!(
        headers[299].id().to_string(),
        "54e6075affe658d6574e04c9245a7920ad94dc5af8f5b37fd9a094e317769740"
    );
    let run: Vec<Fetched> = headers
        .iter()
        .zip(1u64..)
        .map(|(h, height)| Fetched {
            height,
            reported: h.id(),
            raw: h.encode().to_vec(),
        })
        .collect();
    let parent = Parent {
        height: 0,
        id: genesis.id(),
        bits: genesis.bits,
    };
    let params = PowParams::testnet();
    let accepted = validate_run_after(&params, Some(parent), Some(&[genesis.time]), &run).unwrap();
    assert_eq!(accepted, headers);
    // Both testnet bits occur: the genesis bits and minimum-difficulty blocks (0x1e0fffff).
    assert!(headers.iter().any(|h| h.bits == 0x1e0fffff));
    assert!(headers.iter().any(|h| h.bits == 0x1e0ffff0));
    // A time moved to its parent's median time past is refused (the proof of work is the
    // first check, so the header keeps its real bytes and only the history changes: block 1
    // after an invented history whose median equals block 1's time).
    let first = &run[..1];
    let history = vec![headers[0].time; MEDIAN_TIME_SPAN];
    let e = validate_run_after(&params, Some(parent), Some(&history), first).unwrap_err();
    assert!(
        matches!(
            e,
            FollowError::InvalidHeader {
                height: 1,
                reason: PowError::TimeTooOld { .. }
            }
        ),
        "{e}"
    );
}

/// A header with `bits`, not ground (the bits rule does not look at the proof of work).
fn with_bits(bits: u32) -> BlockHeader {
    BlockHeader {
        version: 0x2000_0000,
        prev: Hash256([1; 32]),
        merkle_root: Hash256([2; 32]),
        time: 1_700_000_000,
        bits,
        nonce: 0,
    }
}

#[test]
fn testnet_minimum_difficulty_blocks_are_accepted_as_litecoind_accepts_them() {
    let normal = 0x1c093f8d;
    let min = 0x1e0fffff;
    let test = PowParams::testnet();
    // Between retargets, a minimum-difficulty block after a normal one, and back.
    test.check_bits(&with_bits(min), 1001, Some(normal))
        .unwrap();
    test.check_bits(&with_bits(normal), 1002, Some(min))
        .unwrap();
    test.check_bits(&with_bits(min), 1003, Some(min)).unwrap();
    // Mainnet has no such exemption.
    assert!(PowParams::mainnet()
        .check_bits(&with_bits(min), 1001, Some(normal))
        .is_err());
    // Nor is anything above the limit accepted on testnet.
    assert!(test
        .check_bits(&with_bits(0x1e1fffff), 1001, Some(normal))
        .is_err());
}
