//! Anchored items and the OP_RETURN payload that commits to a batch of them.
//!
//! Payload (46 bytes, within the 80-byte default relay limit):
//! ```text
//! "MPOC" (4) | version = 1 (1) | kinds (1, bit 0 headers, bit 1 evidence) | batch seq (8, BE) | root (32)
//! ```
//! carried as `OP_RETURN <push 46 bytes>`, script `6a 2e <payload>`.

use super::merkle::{leaf_hash, Node};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The 4-byte tag that starts every masspoc anchor.
pub const TAG: &[u8; 4] = b"MPOC";
/// The payload version.
pub const VERSION: u8 = 1;
/// The payload length.
pub const PAYLOAD_LEN: usize = 46;

/// What an anchored 32-byte item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    /// The hash of an accepted PoC header.
    Header,
    /// The hash of slashing evidence.
    Evidence,
}

impl ItemKind {
    /// The leaf tag byte.
    pub fn tag(self) -> u8 {
        match self {
            ItemKind::Header => 1,
            ItemKind::Evidence => 2,
        }
    }

    /// The kind of a tag byte.
    pub fn from_tag(tag: u8) -> Option<Self> {
        match tag {
            1 => Some(ItemKind::Header),
            2 => Some(ItemKind::Evidence),
            _ => None,
        }
    }

    /// Its bit in the payload's `kinds` byte.
    pub fn bit(self) -> u8 {
        1 << (self.tag() - 1)
    }
}

impl fmt::Display for ItemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ItemKind::Header => "header",
            ItemKind::Evidence => "evidence",
        })
    }
}

/// One anchored item: an opaque 32-byte hash with its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Item {
    /// Its kind.
    pub kind: ItemKind,
    /// The hash.
    pub hash: [u8; 32],
}

impl Item {
    /// The header item of `hash`.
    pub fn header(hash: [u8; 32]) -> Self {
        Item {
            kind: ItemKind::Header,
            hash,
        }
    }

    /// Leaf data: the tag byte then the hash (33 bytes).
    pub fn leaf_data(&self) -> [u8; 33] {
        let mut out = [0u8; 33];
        out[0] = self.kind.tag();
        out[1..].copy_from_slice(&self.hash);
        out
    }

    /// Decodes leaf data.
    pub fn from_leaf_data(data: &[u8]) -> Option<Self> {
        if data.len() != 33 {
            return None;
        }
        let mut hash = [0u8; 32];
        hash.copy_from_slice(&data[1..]);
        Some(Item {
            kind: ItemKind::from_tag(data[0])?,
            hash,
        })
    }

    /// The tree leaf hash of this item.
    pub fn leaf(&self) -> Node {
        leaf_hash(&self.leaf_data())
    }
}

/// The commitment written into the PoW chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnchorPayload {
    /// Which kinds the batch holds (bit mask).
    pub kinds: u8,
    /// The batch's sequence number in its outbox.
    pub seq: u64,
    /// The batch's merkle root.
    pub root: Node,
}

impl AnchorPayload {
    /// The 46 payload bytes.
    pub fn encode(&self) -> [u8; PAYLOAD_LEN] {
        let mut out = [0u8; PAYLOAD_LEN];
        out[..4].copy_from_slice(TAG);
        out[4] = VERSION;
        out[5] = self.kinds;
        out[6..14].copy_from_slice(&self.seq.to_be_bytes());
        out[14..].copy_from_slice(&self.root);
        out
    }

    /// Decodes payload bytes; `None` for anything that is not a version-1 masspoc anchor.
    pub fn decode(data: &[u8]) -> Option<Self> {
        if data.len() != PAYLOAD_LEN || &data[..4] != TAG || data[4] != VERSION {
            return None;
        }
        let mut seq = [0u8; 8];
        seq.copy_from_slice(&data[6..14]);
        let mut root = [0u8; 32];
        root.copy_from_slice(&data[14..]);
        Some(AnchorPayload {
            kinds: data[5],
            seq: u64::from_be_bytes(seq),
            root,
        })
    }

    /// The output script `OP_RETURN <payload>` as hex.
    pub fn script_hex(&self) -> String {
        format!("6a{:02x}{}", PAYLOAD_LEN, hex::encode(self.encode()))
    }

    /// Reads a payload from an output script in hex (`OP_RETURN` with a direct or PUSHDATA1 push).
    pub fn from_script_hex(script: &str) -> Option<Self> {
        let bytes = hex::decode(script).ok()?;
        let data = match bytes.as_slice() {
            [0x6a, 0x4c, n, rest @ ..] if *n as usize == rest.len() => rest,
            [0x6a, n, rest @ ..] if (1..=75).contains(n) && *n as usize == rest.len() => rest,
            _ => return None,
        };
        Self::decode(data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_round_trip() {
        let p = AnchorPayload {
            kinds: 3,
            seq: 0x0102030405060708,
            root: [0xab; 32],
        };
        let script = p.script_hex();
        assert!(script.starts_with("6a2e4d504f430103"));
        assert_eq!(AnchorPayload::from_script_hex(&script), Some(p));
        assert_eq!(AnchorPayload::from_script_hex("6a"), None);
        assert_eq!(AnchorPayload::from_script_hex(&script[..90]), None);
        let mut other = p.encode();
        other[0] = b'X';
        assert_eq!(AnchorPayload::decode(&other), None);
    }

    #[test]
    fn leaf_data_round_trip() {
        let i = Item {
            kind: ItemKind::Evidence,
            hash: [7; 32],
        };
        assert_eq!(Item::from_leaf_data(&i.leaf_data()), Some(i));
        assert_eq!(Item::from_leaf_data(&[9; 33]), None);
    }
}
