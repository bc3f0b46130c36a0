//! The 80-byte Bitcoin-format block header: decoding, encoding, id and PoW hash.

use super::hash::{scrypt_pow, sha256d, Hash256};
use super::target::Target;
use crate::error::PowError;

/// A decoded block header. Hash fields are in internal byte order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockHeader {
    /// Block version (signed in the reference code).
    pub version: i32,
    /// The parent block's id.
    pub prev: Hash256,
    /// Root of the block's transaction merkle tree (SHA-256d).
    pub merkle_root: Hash256,
    /// Block time, seconds since the epoch.
    pub time: u32,
    /// Compact target.
    pub bits: u32,
    /// Nonce.
    pub nonce: u32,
}

fn le32(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

impl BlockHeader {
    /// Decodes exactly 80 bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self, PowError> {
        if bytes.len() != 80 {
            return Err(PowError::BadLength(bytes.len()));
        }
        let mut prev = [0u8; 32];
        prev.copy_from_slice(&bytes[4..36]);
        let mut merkle = [0u8; 32];
        merkle.copy_from_slice(&bytes[36..68]);
        Ok(BlockHeader {
            version: le32(&bytes[0..4]) as i32,
            prev: Hash256(prev),
            merkle_root: Hash256(merkle),
            time: le32(&bytes[68..72]),
            bits: le32(&bytes[72..76]),
            nonce: le32(&bytes[76..80]),
        })
    }

    /// Decodes hex text (whitespace around it is ignored).
    pub fn from_hex(s: &str) -> Result<Self, PowError> {
        let bytes = hex::decode(s.trim()).map_err(|e| PowError::BadHex(e.to_string()))?;
        Self::decode(&bytes)
    }

    /// The 80-byte encoding.
    pub fn encode(&self) -> [u8; 80] {
        let mut out = [0u8; 80];
        out[0..4].copy_from_slice(&self.version.to_le_bytes());
        out[4..36].copy_from_slice(&self.prev.0);
        out[36..68].copy_from_slice(&self.merkle_root.0);
        out[68..72].copy_from_slice(&self.time.to_le_bytes());
        out[72..76].copy_from_slice(&self.bits.to_le_bytes());
        out[76..80].copy_from_slice(&self.nonce.to_le_bytes());
        out
    }

    /// The block id: SHA-256d of the 80 bytes.
    pub fn id(&self) -> Hash256 {
        sha256d(&self.encode())
    }

    /// The scrypt proof-of-work hash.
    pub fn pow_hash(&self) -> Hash256 {
        scrypt_pow(&self.encode())
    }

    /// The target encoded in `bits`.
    pub fn target(&self) -> Result<Target, PowError> {
        Target::from_compact(self.bits)
    }
}

/// The outcome of checking one header on its own (no parent, no network rules).
#[derive(Debug, Clone)]
pub struct HeaderCheck {
    /// SHA-256d id.
    pub id: Hash256,
    /// scrypt hash.
    pub pow_hash: Hash256,
    /// Target from `bits`, if `bits` decodes.
    pub target: Option<Target>,
    /// `Ok` when the PoW hash is at or below the target.
    pub verdict: Result<(), PowError>,
}

/// Checks a header's proof of work against its own `bits`.
pub fn check_pow(header: &BlockHeader) -> HeaderCheck {
    let id = header.id();
    let pow_hash = header.pow_hash();
    let target = header.target();
    let verdict = match &target {
        Err(e) => Err(e.clone()),
        Ok(t) if t.is_met_by(&pow_hash) => Ok(()),
        Ok(t) => Err(PowError::InsufficientWork {
            pow_hash: pow_hash.to_string(),
            target: t.to_string(),
        }),
    };
    HeaderCheck {
        id,
        pow_hash,
        target: target.ok(),
        verdict,
    }
}
