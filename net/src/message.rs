//! What travels between chain nodes (`docs/network.md`, "Messages").
//!
//! Gossip: one topic per hosted chain, `/masspoc/1/chain/<chain id hex>`. A message is one kind
//! byte and the verifier's binary encoding of the thing: `0x03 ‖ block` (`Block::encode`: the
//! [`HEADER_LEN`]-byte header, then its body) or `0x02 ‖ evidence` ([`EVIDENCE_LEN`] bytes,
//! `Evidence::encode`). `0x01 ‖ header`, what nodes before bodies sent, is read as that header
//! with the empty body and never sent. Its gossipsub message id is `BLAKE3(data)`, so the same
//! block published by two nodes is one message.
//!
//! Sync: request-response on [`SYNC_PROTOCOL`] with JSON bodies: a [`SyncRequest`], answered
//! by the bridge API's [`HeaderList`] (headers and bodies as the hex of their encodings).
//!
//! Anchor batches: request-response on [`BATCH_PROTOCOL`], a [`BatchRequest`] (roots seen in the
//! PoW chain) answered by a [`BatchAnswer`] (their leaves), so that a node counts anchors it did
//! not send.

use libp2p::gossipsub::IdentTopic;
use masspoc_api::HeaderList;
use masspoc_verifier::body::MAX_BODY_LEN;
use masspoc_verifier::evidence::EVIDENCE_LEN;
use masspoc_verifier::{Block, ChainId, Evidence, Header, HeaderHash, HEADER_LEN};
use serde::{Deserialize, Serialize};

/// The request-response protocol of range sync and ancestor fetches.
pub const SYNC_PROTOCOL: &str = "/masspoc/sync/1";
/// The identify protocol version string.
pub const IDENTIFY_PROTOCOL: &str = "/masspoc/1";
/// Most headers one sync answer holds.
pub const MAX_SYNC_HEADERS: u64 = 512;
/// Most hashes a block locator may hold (the exponential locator of a 2^64-block chain is ~80).
pub const MAX_LOCATOR: usize = 128;
/// Largest gossip message: the longest block (a header and the longest body) plus its kind
/// byte, rounded up to 80 KiB.
pub const MAX_GOSSIP_BYTES: usize = 80 << 10;

const _: () = assert!(
    1 + HEADER_LEN + MAX_BODY_LEN <= MAX_GOSSIP_BYTES,
    "the longest block fits a gossip message"
);

const KIND_HEADER: u8 = 0x01;
const KIND_EVIDENCE: u8 = 0x02;
const KIND_BLOCK: u8 = 0x03;

/// The gossipsub topic of a chain instance.
#[must_use]
pub fn topic(chain: &ChainId) -> IdentTopic {
    IdentTopic::new(format!("/masspoc/1/chain/{}", chain.to_hex()))
}

/// Something a node announces to its peers.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
#[allow(
    clippy::large_enum_variant,
    reason = "one short-lived value per message; commands box it"
)]
pub enum Announce {
    /// A block (header and body) the node accepted.
    Block(Box<Block>),
    /// Slashing evidence the node accepted.
    Evidence(Evidence),
}

/// Why a gossip payload does not decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// Empty, an unknown kind byte, or a length that is not the kind's.
    #[error("bad gossip framing: {0}")]
    Framing(String),
    /// The header or block does not decode.
    #[error("bad block: {0}")]
    Header(masspoc_verifier::RejectError),
    /// The evidence does not decode.
    #[error("bad evidence: {0}")]
    Evidence(masspoc_verifier::EvidenceError),
}

impl Announce {
    /// The chain it belongs to (its gossip topic).
    #[must_use]
    pub fn chain(&self) -> ChainId {
        match self {
            Announce::Block(b) => b.header.chain_id,
            Announce::Evidence(e) => e.chain_id(),
        }
    }

    /// The gossip payload.
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(1 + HEADER_LEN + 6);
        match self {
            Announce::Block(b) => {
                out.push(KIND_BLOCK);
                out.extend_from_slice(&b.encode());
            }
            Announce::Evidence(e) => {
                out.push(KIND_EVIDENCE);
                out.extend_from_slice(&e.encode());
            }
        }
        out
    }

    /// Decodes a gossip payload (framing and encodings only; the rules are the sink's).
    pub fn decode(data: &[u8]) -> Result<Announce, DecodeError> {
        let (kind, body) = data
            .split_first()
            .ok_or_else(|| DecodeError::Framing("empty message".into()))?;
        match *kind {
            KIND_BLOCK if body.len() > HEADER_LEN => Block::decode(body)
                .map(|b| Announce::Block(Box::new(b)))
                .map_err(DecodeError::Header),
            KIND_HEADER if body.len() == HEADER_LEN => Header::decode(body)
                .map(|h| Announce::Block(Box::new(Block::empty(h))))
                .map_err(DecodeError::Header),
            KIND_EVIDENCE if body.len() == EVIDENCE_LEN => Evidence::decode(body)
                .map(Announce::Evidence)
                .map_err(DecodeError::Evidence),
            KIND_HEADER | KIND_EVIDENCE | KIND_BLOCK => Err(DecodeError::Framing(format!(
                "kind {kind:#04x} with {} bytes",
                body.len()
            ))),
            other => Err(DecodeError::Framing(format!("unknown kind {other:#04x}"))),
        }
    }
}

/// A sync request (JSON, `{"kind": "headers" | "ancestors", …}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum SyncRequest {
    /// The headers of the responder's best chain after the first `locator` hash that is on it
    /// (the locator lists the requester's best chain from its tip back to genesis), at most
    /// `limit` (capped at [`MAX_SYNC_HEADERS`]). Empty when the responder's best chain is not
    /// heavier than `have` (the requester's best cumulative difficulty, a decimal string).
    Headers {
        /// The chain.
        chain: ChainId,
        /// Hashes of the requester's best chain, newest first (at most [`MAX_LOCATOR`]).
        locator: Vec<HeaderHash>,
        /// The requester's best cumulative difficulty.
        #[serde(with = "masspoc_api::u128_string")]
        have: u128,
        /// Most headers wanted.
        limit: u64,
    },
    /// The header `hash` and up to `limit − 1` of its ancestors, oldest first, stopping short
    /// of genesis and of any hash in `locator` (which the requester has): a node missing the
    /// parent of a gossiped header asks the peer that relayed it.
    Ancestors {
        /// The chain.
        chain: ChainId,
        /// The newest header wanted.
        hash: HeaderHash,
        /// Most headers wanted (capped at [`MAX_SYNC_HEADERS`]).
        limit: u64,
        /// The requester's block locator (at most [`MAX_LOCATOR`] hashes).
        #[serde(default)]
        locator: Vec<HeaderHash>,
    },
}

/// The answer to every [`SyncRequest`]: headers by ascending height.
pub type SyncResponse = HeaderList;

/// The request-response protocol of anchor batches (`docs/network.md`, "Anchor batches").
pub const BATCH_PROTOCOL: &str = "/masspoc/batches/1";
/// Most roots one [`BatchRequest`] asks for.
pub const MAX_BATCH_ROOTS: usize = 64;
/// Most leaves, over all batches, of one [`BatchAnswer`] (about 2.2 MB of JSON; at least one
/// batch is always answered whole).
pub const MAX_ANSWER_LEAVES: usize = 32_768;

/// "Send me the items of these anchor batches": roots (64 hex digits each) the requester saw in
/// `MPOC` commitments of its PoW chain and whose items it lacks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchRequest {
    /// Batch roots, at most [`MAX_BATCH_ROOTS`].
    pub roots: Vec<String>,
}

/// One batch: its root and its leaves (the 33-byte leaf data, kind tag and item hash, as 66 hex
/// digits each, in tree order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchLeaves {
    /// The batch root (64 hex digits).
    pub root: String,
    /// Its leaves.
    pub leaves: Vec<String>,
}

/// The answer to a [`BatchRequest`]: the batches the responder holds, in the order asked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchAnswer {
    /// The batches held.
    pub batches: Vec<BatchLeaves>,
}

fn hex_array<const N: usize>(s: &str) -> Option<[u8; N]> {
    let mut out = [0u8; N];
    hex::decode_to_slice(s, &mut out).ok()?;
    Some(out)
}

impl BatchRequest {
    /// A request for `roots` (the first [`MAX_BATCH_ROOTS`]).
    #[must_use]
    pub fn of(roots: &[[u8; 32]]) -> Self {
        BatchRequest {
            roots: roots
                .iter()
                .take(MAX_BATCH_ROOTS)
                .map(hex::encode)
                .collect(),
        }
    }

    /// The roots asked for; `None` when there are too many or one is not 64 hex digits.
    #[must_use]
    pub fn decode(&self) -> Option<Vec<[u8; 32]>> {
        if self.roots.len() > MAX_BATCH_ROOTS {
            return None;
        }
        self.roots.iter().map(|r| hex_array(r)).collect()
    }
}

impl BatchLeaves {
    /// A batch for the wire.
    #[must_use]
    pub fn of(root: &[u8; 32], leaves: &[[u8; 33]]) -> Self {
        BatchLeaves {
            root: hex::encode(root),
            leaves: leaves.iter().map(hex::encode).collect(),
        }
    }

    /// Root and leaves; `None` when one is not hex of its length.
    #[must_use]
    pub fn decode(&self) -> Option<([u8; 32], Vec<[u8; 33]>)> {
        let root = hex_array(&self.root)?;
        let leaves = self
            .leaves
            .iter()
            .map(|l| hex_array(l))
            .collect::<Option<_>>()?;
        Some((root, leaves))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use masspoc_verifier::testkit::{bench_params, grow_chain, TestFarmer};
    use masspoc_verifier::{ChainSpec, ChainState};

    #[test]
    fn gossip_payloads_round_trip_and_refuse_bad_framing() {
        let spec = ChainSpec::new(bench_params()).unwrap();
        let state = ChainState::new(spec.clone());
        let farmer = TestFarmer::new([7; 32], &[16]);
        let headers = grow_chain(&state, &[farmer], spec.genesis.hash, 1);
        let block = Block::empty(headers[0]);
        let a = Announce::Block(Box::new(block.clone()));
        let bytes = a.encode();
        // 0x03, the 382-byte header, the empty body's six zero bytes.
        assert_eq!(bytes.len(), 1 + HEADER_LEN + 6);
        assert_eq!(bytes[0], 0x03);
        assert_eq!(&bytes[1..1 + HEADER_LEN], &headers[0].encode()[..]);
        assert_eq!(&bytes[1 + HEADER_LEN..], &[0u8; 6]);
        assert_eq!(Announce::decode(&bytes).unwrap(), a);
        assert_eq!(a.chain(), spec.chain_id);
        assert!(bytes.len() <= MAX_GOSSIP_BYTES);
        // An older node's bare header is the block with the empty body.
        let mut legacy = vec![0x01];
        legacy.extend_from_slice(&headers[0].encode());
        assert_eq!(Announce::decode(&legacy).unwrap(), a);
        assert!(matches!(
            Announce::decode(&[]),
            Err(DecodeError::Framing(_))
        ));
        assert!(matches!(
            Announce::decode(&legacy[..legacy.len() - 1]),
            Err(DecodeError::Framing(_))
        ));
        assert!(matches!(
            Announce::decode(&bytes[..bytes.len() - 1]),
            Err(DecodeError::Header(_))
        ));
        let mut other = bytes.clone();
        other[0] = 0x09;
        assert!(matches!(
            Announce::decode(&other),
            Err(DecodeError::Framing(_))
        ));
        let mut evidence_kind = vec![0x02];
        evidence_kind.extend_from_slice(&[0u8; EVIDENCE_LEN]);
        assert!(matches!(
            Announce::decode(&evidence_kind),
            Err(DecodeError::Evidence(_))
        ));
    }

    #[test]
    fn sync_requests_are_tagged_json() {
        let r = SyncRequest::Ancestors {
            chain: ChainId([1; 32]),
            hash: HeaderHash([2; 32]),
            limit: 3,
            locator: vec![],
        };
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["kind"], "ancestors");
        assert_eq!(json["chain"], "01".repeat(32));
        assert_eq!(json["hash"], "02".repeat(32));
        assert_eq!(json["limit"], 3);
        let h = SyncRequest::Headers {
            chain: ChainId([1; 32]),
            locator: vec![HeaderHash([3; 32])],
            have: u128::MAX,
            limit: 10,
        };
        let json = serde_json::to_value(&h).unwrap();
        assert_eq!(json["kind"], "headers");
        assert_eq!(json["have"], u128::MAX.to_string());
        let back: SyncRequest = serde_json::from_value(json).unwrap();
        assert_eq!(back, h);
    }
}
