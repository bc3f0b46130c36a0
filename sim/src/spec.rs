//! The simulator's farmer list: `K:COUNT` items separated by commas, one farmer per item.

use masspoc_proof::K;
use std::fmt;

/// One simulated farmer: `count` plots of parameter `k`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FarmerSpec {
    /// Plot size parameter.
    pub k: K,
    /// Number of plots at the start.
    pub count: u32,
}

/// A malformed farmer list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError(pub String);

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bad farmer list: {}", self.0)
    }
}

impl std::error::Error for SpecError {}

/// Parses `K:COUNT[,K:COUNT...]`, e.g. `16:40,18:20,20:5`.
pub fn parse_farmers(s: &str) -> Result<Vec<FarmerSpec>, SpecError> {
    let mut out = Vec::new();
    for item in s.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let (k, count) = item
            .split_once(':')
            .ok_or_else(|| SpecError(format!("`{item}` is not K:COUNT")))?;
        let k: u8 = k
            .trim()
            .parse()
            .map_err(|_| SpecError(format!("`{k}` is not a k")))?;
        let k = K::new(k).map_err(|e| SpecError(e.to_string()))?;
        let count: u32 = count
            .trim()
            .parse()
            .map_err(|_| SpecError(format!("`{count}` is not a plot count")))?;
        if count == 0 {
            return Err(SpecError(format!("`{item}` has no plots")));
        }
        out.push(FarmerSpec { k, count });
    }
    if out.is_empty() {
        return Err(SpecError("no farmers".into()));
    }
    Ok(out)
}
