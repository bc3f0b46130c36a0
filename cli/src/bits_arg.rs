//! Command-line parsers of the proof crate's challenge parameters (`--filter-bits`,
//! `--probe-bits`): plain integers, range-checked when parsed.

use masspoc_proof::{FilterBits, ProbeBits};

/// Parses `--filter-bits`: an integer in `[0, 32]`.
pub fn filter_bits(s: &str) -> Result<FilterBits, String> {
    let n: u32 = s
        .parse()
        .map_err(|e| format!("{s:?} is not an integer: {e}"))?;
    FilterBits::new(n).map_err(|e| e.to_string())
}

/// Parses `--probe-bits`: an integer in `[0, 16]` (the plot's k must also be above it).
pub fn probe_bits(s: &str) -> Result<ProbeBits, String> {
    let n: u32 = s
        .parse()
        .map_err(|e| format!("{s:?} is not an integer: {e}"))?;
    ProbeBits::new(n).map_err(|e| e.to_string())
}
