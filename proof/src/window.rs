//! The challenge parameters that cross every crate edge: the filter (`FilterBits`, at most 32)
//! and the probe window (`ProbeBits`, at most 16), and the window of lookup indexes a challenge
//! asks for (`shared/DESIGN.md` section 1, "probe window").

use crate::error::ProofError;
use crate::types::K;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The number of filter bits `f`, always in `[0, 32]`: a plot passes iff the low `f` bits of its
/// probe's filter word are zero (0 passes every plot). JSON and TOML carry it as a plain integer,
/// checked when parsed.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(try_from = "u32", into = "u32")]
pub struct FilterBits(u8);

impl FilterBits {
    /// Largest allowed value.
    pub const MAX: u32 = 32;
    /// No filter: every plot passes.
    pub const NONE: FilterBits = FilterBits(0);

    /// A checked filter bit count.
    pub fn new(bits: u32) -> Result<Self, ProofError> {
        if bits <= Self::MAX {
            Ok(FilterBits(bits as u8))
        } else {
            Err(ProofError::FilterBitsOutOfRange(bits))
        }
    }

    /// The raw value.
    #[must_use]
    pub fn get(self) -> u32 {
        u32::from(self.0)
    }

    /// Whether a filter word passes: its low `f` bits are zero.
    #[must_use]
    pub fn passes(self, filter_word: u32) -> bool {
        filter_word.checked_shl(32 - self.get()).unwrap_or(0) == 0
    }
}

impl TryFrom<u32> for FilterBits {
    type Error = ProofError;
    fn try_from(bits: u32) -> Result<Self, ProofError> {
        FilterBits::new(bits)
    }
}

impl From<FilterBits> for u32 {
    fn from(f: FilterBits) -> u32 {
        f.get()
    }
}

impl fmt::Display for FilterBits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The probe window's bit count `b`, always in `[0, 16]`: a challenge asks for every index that
/// agrees with its `z` on the top `k − b` bits (0 is the single index `z`). `b` must also be
/// below the plot's `k`, which [`ProbeBits::window`] checks. JSON and TOML carry it as a plain
/// integer, checked when parsed.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(try_from = "u32", into = "u32")]
pub struct ProbeBits(u8);

impl ProbeBits {
    /// Largest allowed value.
    pub const MAX: u32 = 16;
    /// The single index `z`.
    pub const NONE: ProbeBits = ProbeBits(0);

    /// A checked probe bit count.
    pub fn new(bits: u32) -> Result<Self, ProofError> {
        if bits <= Self::MAX {
            Ok(ProbeBits(bits as u8))
        } else {
            Err(ProofError::ProbeBitsOutOfRange(bits))
        }
    }

    /// The raw value.
    #[must_use]
    pub fn get(self) -> u32 {
        u32::from(self.0)
    }

    /// The window of a plot of parameter `k` around the challenge's index `z` (`z < 2^k`):
    /// every index whose top `k − b` bits are those of `z`. Refused when `b ≥ k`.
    pub fn window(self, k: K, z: u64) -> Result<Window, ProofError> {
        if self.get() >= u32::from(k.get()) {
            return Err(ProofError::ProbeBitsNotBelowK {
                probe_bits: self.get(),
                k: k.get(),
            });
        }
        let low = (1u64 << self.0) - 1;
        let first = z & k.mask() & !low;
        Ok(Window {
            first,
            last: first | low,
        })
    }
}

impl TryFrom<u32> for ProbeBits {
    type Error = ProofError;
    fn try_from(bits: u32) -> Result<Self, ProofError> {
        ProbeBits::new(bits)
    }
}

impl From<ProbeBits> for u32 {
    fn from(b: ProbeBits) -> u32 {
        b.get()
    }
}

impl fmt::Display for ProbeBits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The lookup indexes a challenge asks one plot for: `first..=last`, `2^b` consecutive indexes
/// aligned on `2^b` (so, with `b ≤ 16`, never across a 2^16 boundary).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Window {
    first: u64,
    last: u64,
}

impl Window {
    /// The smallest index of the window.
    #[must_use]
    pub fn first(&self) -> u64 {
        self.first
    }

    /// The largest index of the window.
    #[must_use]
    pub fn last(&self) -> u64 {
        self.last
    }

    /// Whether `f` (a pair's F value) lies in the window.
    #[must_use]
    pub fn contains(&self, f: u64) -> bool {
        (self.first..=self.last).contains(&f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_bits_are_checked_and_pass_on_low_zero_bits() {
        assert_eq!(
            FilterBits::new(33),
            Err(ProofError::FilterBitsOutOfRange(33))
        );
        for f in 0..=32u32 {
            let bits = FilterBits::new(f).unwrap();
            for word in [0u32, 1, 2, 0x8000_0000, u32::MAX, 0x0001_0000, 0x0000_0100] {
                assert_eq!(
                    bits.passes(word),
                    word.trailing_zeros() >= f,
                    "f {f} word {word:#x}"
                );
            }
        }
        assert_eq!(serde_json::from_str::<FilterBits>("12").unwrap().get(), 12);
        assert!(serde_json::from_str::<FilterBits>("33").is_err());
        assert_eq!(
            serde_json::to_string(&FilterBits::new(7).unwrap()).unwrap(),
            "7"
        );
    }

    #[test]
    fn windows_share_the_top_bits_of_z() {
        let k = K::new(16).unwrap();
        assert_eq!(ProbeBits::new(17), Err(ProofError::ProbeBitsOutOfRange(17)));
        let w = ProbeBits::NONE.window(k, 0x1234).unwrap();
        assert_eq!((w.first(), w.last()), (0x1234, 0x1234));
        let w = ProbeBits::new(4).unwrap().window(k, 0x1234).unwrap();
        assert_eq!((w.first(), w.last()), (0x1230, 0x123f));
        assert!(w.contains(0x1230) && w.contains(0x123f) && !w.contains(0x1240));
        assert_eq!(
            ProbeBits::new(16).unwrap().window(k, 5),
            Err(ProofError::ProbeBitsNotBelowK {
                probe_bits: 16,
                k: 16
            })
        );
        let k17 = K::new(17).unwrap();
        let w = ProbeBits::new(16).unwrap().window(k17, 0x1_2345).unwrap();
        assert_eq!((w.first(), w.last()), (0x1_0000, 0x1_ffff));
        assert!(serde_json::from_str::<ProbeBits>("17").is_err());
    }
}
