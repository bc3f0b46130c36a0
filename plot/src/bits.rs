//! Bit packing of entries: entry `i` of a superblock occupies bits `[i*w, (i+1)*w)` of the
//! superblock's bytes, least significant bit first; its value is `z_low | x << 4 | x' << (4+k)`.

use crate::format::{entry_bits, G_BITS};
use masspoc_proof::K;

/// One decoded entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// The low [`G_BITS`] bits of the pair's z.
    pub z_low: u64,
    /// First member.
    pub x: u64,
    /// Second member.
    pub x_prime: u64,
}

/// Packs entries into bytes (the buffer is extended; it must end on a byte boundary).
pub fn encode_entries(k: K, entries: &[Entry], out: &mut Vec<u8>) {
    let kk = u32::from(k.get());
    encode_values(
        k,
        entries.iter().map(|e| {
            u128::from(e.z_low)
                | (u128::from(e.x) << G_BITS)
                | (u128::from(e.x_prime) << (G_BITS + kk))
        }),
        out,
    );
}

/// Packs entry values `z_low | x << 4 | x' << (4 + k)` (each below `2^w`) into bytes (the buffer
/// is extended by exactly `ceil(n * w / 8)` bytes).
#[inline]
pub fn encode_values(k: K, values: impl ExactSizeIterator<Item = u128>, out: &mut Vec<u8>) {
    let w = entry_bits(k) as u32;
    let start = out.len();
    let total = (values.len() as u64 * u64::from(w)).div_ceil(8) as usize;
    out.resize(start + total + 16, 0);
    let buf = &mut out[start..];
    let mut pos = 0usize;
    // Pending bits, LSB first: fewer than 64 before each value is added; a value wider than 64
    // bits is added in two steps.
    let mut acc: u128 = 0;
    let mut acc_bits: u32 = 0;
    for v in values {
        if w <= 64 {
            // The value has no high half: a 64-bit operand shifts cheaper.
            acc |= u128::from(v as u64) << acc_bits;
            acc_bits += w;
        } else {
            acc |= u128::from(v as u64) << acc_bits;
            buf[pos..pos + 8].copy_from_slice(&(acc as u64).to_le_bytes());
            pos += 8;
            acc >>= 64;
            acc |= (v >> 64) << acc_bits;
            acc_bits += w - 64;
        }
        if acc_bits >= 64 {
            buf[pos..pos + 8].copy_from_slice(&(acc as u64).to_le_bytes());
            pos += 8;
            acc >>= 64;
            acc_bits -= 64;
        }
    }
    let tail = acc_bits.div_ceil(8) as usize;
    buf[pos..pos + tail].copy_from_slice(&acc.to_le_bytes()[..tail]);
    out.truncate(start + pos + tail);
}

/// Decodes entry `i` from a byte string that starts where entry `first` starts, i.e. at bit
/// `first * w` of its superblock rounded down to a byte; `bytes` may be short (missing bytes read
/// as zero, which the caller has already ruled out by checking lengths).
#[must_use]
pub fn decode_entry(k: K, bytes: &[u8], byte_base: u64, i: u64) -> Entry {
    let w = entry_bits(k);
    let kk = u32::from(k.get());
    let bit = i * w - byte_base * 8;
    let start = (bit / 8) as usize;
    let shift = (bit % 8) as u32;
    let mut window = [0u8; 16];
    let avail = bytes.len().saturating_sub(start).min(16);
    window[..avail].copy_from_slice(&bytes[start..start + avail]);
    let raw = u128::from_le_bytes(window) >> shift;
    // w + shift <= 84 + 7 < 128, so one 16-byte window always suffices.
    let v = if w >= 128 {
        raw
    } else {
        raw & ((1u128 << w) - 1)
    };
    let kmask = (1u128 << kk) - 1;
    Entry {
        z_low: (v & ((1 << G_BITS) - 1)) as u64,
        x: ((v >> G_BITS) & kmask) as u64,
        x_prime: ((v >> (G_BITS + kk)) & kmask) as u64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn round_trip(kk in 16u8..=40, raw in proptest::collection::vec(any::<(u64, u64, u64)>(), 0..50)) {
            let k = K::new(kk).unwrap();
            let entries: Vec<Entry> = raw.iter().map(|&(z, x, xp)| Entry {
                z_low: z & 15, x: x & k.mask(), x_prime: xp & k.mask(),
            }).collect();
            let mut bytes = vec![0xAA];
            encode_entries(k, &entries, &mut bytes);
            let body = &bytes[1..];
            prop_assert_eq!(body.len() as u64, (entries.len() as u64 * entry_bits(k)).div_ceil(8));
            for (i, e) in entries.iter().enumerate() {
                prop_assert_eq!(decode_entry(k, body, 0, i as u64), *e);
                // Decoding from a later byte base gives the same entry.
                let base = (i as u64 * entry_bits(k)) / 8;
                prop_assert_eq!(decode_entry(k, &body[base as usize..], base, i as u64), *e);
            }
        }
    }
}
