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

/// `--filter-bits` and `--probe-bits`, the two challenge parameters a lookup takes, for every
/// command that answers or checks challenges (`prove`, `verify`, `bench farm`, `simulate`).
#[derive(clap::Args, Debug, Clone, Copy)]
pub struct ChallengeBits {
    /// Filter bits (0: every plot passes every challenge).
    #[arg(long, default_value_t = FilterBits::NONE, value_parser = filter_bits)]
    pub filter_bits: FilterBits,
    /// Probe bits: the challenge asks for the window of 2^B indexes sharing all but the low B
    /// bits of its z (0: z alone).
    #[arg(long, default_value_t = ProbeBits::NONE, value_parser = probe_bits)]
    pub probe_bits: ProbeBits,
}
