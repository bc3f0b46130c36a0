//! What the farmer and its harvesters say to each other (`docs/harvesters.md`, "Messages").
//!
//! JSON bodies on [`HARVEST_PROTOCOL`] (libp2p's JSON request-response codec), tagged by
//! `"kind"`. Byte strings are lowercase hex; a proof is the hex of its 81-byte encoding
//! ([`masspoc_proof::Proof::encode`]).

use masspoc_api::HexBytes;
use masspoc_proof::{Challenge, FarmerPublicKey, Proof};
use serde::{Deserialize, Serialize};

/// The request-response protocol of the harvester link.
pub const HARVEST_PROTOCOL: &str = "/masspoc/harvest/1";
/// Most proofs one lookup answer holds (the best ones); a larger `max_proofs` is cut to this.
pub const MAX_PROOFS: u32 = 1024;

/// A request from a farmer to a harvester.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum HarvestRequest {
    /// The candidates of the harvester's plots for one challenge.
    Lookup(LookupRequest),
    /// The harvester's plot set.
    Status,
}

/// One challenge, with the chain's parameters (`docs/protocol.md`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LookupRequest {
    /// The farmer key whose plots answer (plots of other keys are not asked).
    pub farmer_pk: FarmerPublicKey,
    /// The challenge.
    pub challenge: Challenge,
    /// The chain's filter bits (at most 32).
    pub filter_bits: u32,
    /// The chain's probe bits (at most 16).
    pub probe_bits: u32,
    /// Most proofs wanted, best first (cut to [`MAX_PROOFS`]).
    pub max_proofs: u32,
    /// The farmer's lookup budget, ms: the harvester answers within about three quarters of it.
    pub budget_ms: u32,
}

/// A harvester's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum HarvestResponse {
    /// The answer to [`HarvestRequest::Lookup`].
    Lookup(LookupReply),
    /// The answer to [`HarvestRequest::Status`].
    Status(PlotReport),
    /// The request was not acceptable (bad parameters).
    Refused {
        /// Why.
        reason: String,
    },
}

/// The candidates of one challenge.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LookupReply {
    /// Plots asked (of the requested key).
    pub plots: u64,
    /// Plots that passed the filter and answered.
    pub passing: u64,
    /// Proofs found in all (`proofs` holds the best `max_proofs` of them).
    pub found: u64,
    /// Plots whose lookup failed, stalled or was skipped as stuck.
    pub errors: u64,
    /// Whether the harvester's own lookups hit its budget.
    pub over_budget: bool,
    /// The harvester's lookup time, µs.
    pub elapsed_us: u64,
    /// The best proofs, best first, each the hex of its 81-byte encoding.
    pub proofs: Vec<HexBytes>,
}

impl LookupReply {
    /// The proofs, decoded; the index and error of the first that does not decode.
    pub fn decode_proofs(&self) -> Result<Vec<Proof>, (usize, String)> {
        self.proofs
            .iter()
            .enumerate()
            .map(|(i, b)| Proof::decode(b.as_slice()).map_err(|e| (i, e.to_string())))
            .collect()
    }
}

/// A harvester's plot set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlotReport {
    /// Plots being served.
    pub plots: u64,
    /// Their total file size, bytes.
    pub bytes: u64,
    /// Plot files skipped (bad, truncated, duplicate) as of the last scan.
    pub skipped: u64,
    /// Plot directories that could not be listed at the last scan.
    pub unavailable_dirs: u64,
    /// Plot lookups that failed since the harvester started.
    pub lookup_errors: u64,
    /// Lookups answered since the harvester started.
    pub lookups: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_are_the_documented_json() {
        let req = HarvestRequest::Lookup(LookupRequest {
            farmer_pk: FarmerPublicKey([0xab; 32]),
            challenge: Challenge([1; 32]),
            filter_bits: 3,
            probe_bits: 6,
            max_proofs: 16,
            budget_ms: 2000,
        });
        let text = serde_json::to_string(&req).unwrap();
        assert_eq!(
            text,
            format!(
                "{{\"kind\":\"lookup\",\"farmer_pk\":\"{}\",\"challenge\":\"{}\",\"filter_bits\":3,\"probe_bits\":6,\"max_proofs\":16,\"budget_ms\":2000}}",
                "ab".repeat(32),
                "01".repeat(32)
            )
        );
        assert_eq!(serde_json::from_str::<HarvestRequest>(&text).unwrap(), req);
        assert_eq!(
            serde_json::to_string(&HarvestRequest::Status).unwrap(),
            "{\"kind\":\"status\"}"
        );
        let reply = HarvestResponse::Lookup(LookupReply {
            proofs: vec![HexBytes(vec![0; 81])],
            ..LookupReply::default()
        });
        let text = serde_json::to_string(&reply).unwrap();
        assert!(
            text.starts_with("{\"kind\":\"lookup\",\"plots\":0,"),
            "{text}"
        );
        assert_eq!(
            serde_json::from_str::<HarvestResponse>(&text).unwrap(),
            reply
        );
        // k = 0 is out of range: the proof does not decode.
        if let HarvestResponse::Lookup(r) = reply {
            assert_eq!(r.decode_proofs().unwrap_err().0, 0);
        }
    }
}
