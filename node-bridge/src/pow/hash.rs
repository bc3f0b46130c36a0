//! 32-byte hashes in Bitcoin's conventions: stored in internal (little-endian) byte order,
//! displayed byte-reversed, as litecoind prints them.

use crate::error::PowError;
use sha2::{Digest, Sha256};
use std::fmt;

/// A 32-byte hash (block id, txid, merkle node, scrypt PoW hash) in internal byte order.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Hash256(pub [u8; 32]);

impl Hash256 {
    /// Parses the usual byte-reversed display hex (64 digits).
    pub fn from_display_hex(s: &str) -> Result<Self, PowError> {
        let mut b = [0u8; 32];
        hex::decode_to_slice(s.trim(), &mut b).map_err(|e| PowError::BadHex(e.to_string()))?;
        b.reverse();
        Ok(Hash256(b))
    }

    /// The bytes in internal order.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Display for Hash256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut b = self.0;
        b.reverse();
        f.write_str(&hex::encode(b))
    }
}

impl fmt::Debug for Hash256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash256({self})")
    }
}

/// SHA-256 applied twice (block ids, txids, the block's transaction merkle tree).
pub fn sha256d(data: &[u8]) -> Hash256 {
    let once = Sha256::digest(data);
    Hash256(Sha256::digest(once).into())
}

/// Litecoin's proof-of-work hash: scrypt(password = header, salt = header, N=1024, r=1, p=1,
/// 32 bytes), in internal byte order.
pub fn scrypt_pow(header: &[u8; 80]) -> Hash256 {
    // N = 2^10; these parameters are valid constants, so `Params::new` cannot fail.
    let params = scrypt::Params::new(10, 1, 1, 32).expect("constant scrypt parameters are valid");
    let mut out = [0u8; 32];
    scrypt::scrypt(header, header, &params, &mut out).expect("32-byte output is a valid length");
    Hash256(out)
}
