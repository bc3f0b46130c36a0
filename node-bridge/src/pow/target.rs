//! Compact difficulty ("bits") decoding and 256-bit target comparison.

use super::hash::Hash256;
use crate::error::PowError;
use std::fmt;

/// A 256-bit proof-of-work target, stored big-endian so byte order compares numerically.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Target(pub [u8; 32]);

impl Target {
    /// Decodes compact `bits` as Bitcoin's `SetCompact` does, refusing negative, overflowing and
    /// zero targets: exponent byte `e`, 23-bit mantissa `m`, sign bit `0x00800000`;
    /// target = `m · 256^(e−3)`.
    pub fn from_compact(bits: u32) -> Result<Self, PowError> {
        let size = (bits >> 24) as usize;
        let mut word = bits & 0x007f_ffff;
        if word != 0 && bits & 0x0080_0000 != 0 {
            return Err(PowError::NegativeTarget(bits));
        }
        if word != 0 && (size > 34 || (word > 0xff && size > 33) || (word > 0xffff && size > 32)) {
            return Err(PowError::OverflowTarget(bits));
        }
        let mut be = [0u8; 32];
        if size <= 3 {
            word >>= 8 * (3 - size);
            be[29..32].copy_from_slice(&word.to_be_bytes()[1..4]);
        } else {
            // The three mantissa bytes land at big-endian positions ending at 32 - (size - 3);
            // bytes that would fall off the top are zero (checked above).
            let m = word.to_be_bytes();
            for (i, byte) in m[1..4].iter().enumerate() {
                let pos = 32isize - size as isize + i as isize;
                if (0..32).contains(&pos) {
                    be[pos as usize] = *byte;
                }
            }
        }
        if be.iter().all(|&b| b == 0) {
            return Err(PowError::ZeroTarget(bits));
        }
        Ok(Target(be))
    }

    /// Parses 64 big-endian hex digits.
    pub fn from_hex(s: &str) -> Result<Self, PowError> {
        let mut b = [0u8; 32];
        hex::decode_to_slice(s, &mut b).map_err(|e| PowError::BadHex(e.to_string()))?;
        Ok(Target(b))
    }

    /// True when `hash` (internal byte order, read as a little-endian number) is at or below.
    pub fn is_met_by(&self, hash: &Hash256) -> bool {
        let mut be = hash.0;
        be.reverse();
        be <= self.0
    }

    /// The target as a 256-bit number, little-endian u64 limbs (for arithmetic).
    pub fn limbs(&self) -> [u64; 4] {
        let mut out = [0u64; 4];
        for (i, limb) in out.iter_mut().enumerate() {
            let start = 32 - 8 * (i + 1);
            let mut b = [0u8; 8];
            b.copy_from_slice(&self.0[start..start + 8]);
            *limb = u64::from_be_bytes(b);
        }
        out
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Target({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_compact_values() {
        // Bitcoin Core's arith_uint256 tests (SetCompact) and chainparams pow limits.
        let t = Target::from_compact(0x1d00ffff).unwrap();
        assert_eq!(
            t.to_string(),
            "00000000ffff0000000000000000000000000000000000000000000000000000"
        );
        // Litecoin regtest: powLimit 7fffff…, bits 0x207fffff as the node reports.
        let t = Target::from_compact(0x207fffff).unwrap();
        assert_eq!(
            t.to_string(),
            "7fffff0000000000000000000000000000000000000000000000000000000000"
        );
        // Litecoin mainnet genesis bits.
        let t = Target::from_compact(0x1e0ffff0).unwrap();
        assert_eq!(
            t.to_string(),
            "00000ffff0000000000000000000000000000000000000000000000000000000"
        );
        assert_eq!(
            Target::from_compact(0x01123456).unwrap().to_string(),
            format!("{:064x}", 0x12)
        );
        assert_eq!(
            Target::from_compact(0x02123456).unwrap().to_string(),
            format!("{:064x}", 0x1234)
        );
    }

    #[test]
    fn refuses_bad_compact() {
        assert_eq!(
            Target::from_compact(0x04923456),
            Err(PowError::NegativeTarget(0x04923456))
        );
        assert_eq!(
            Target::from_compact(0xff123456),
            Err(PowError::OverflowTarget(0xff123456))
        );
        assert_eq!(
            Target::from_compact(0x22123456),
            Err(PowError::OverflowTarget(0x22123456))
        );
        assert_eq!(
            Target::from_compact(0x00000000),
            Err(PowError::ZeroTarget(0))
        );
        assert_eq!(
            Target::from_compact(0x01003456),
            Err(PowError::ZeroTarget(0x01003456))
        );
        // Largest encodable: 0x21 exponent with one mantissa byte.
        assert!(Target::from_compact(0x2100ff00).is_ok());
    }
}
