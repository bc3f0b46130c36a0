//! The JSON interchange format of signing histories (`docs/signing-history.md`), in the spirit of
//! EIP-3076: metadata naming the farmer key, then per chain the list of (height, header hash).

use super::store::Record;
use super::store::{MergeOutcome, SigningHistory};
use crate::error::HistoryError;
use masspoc_proof::FarmerPublicKey;
use masspoc_verifier::{ChainId, HeaderHash, Height};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `metadata.interchange_format`.
pub const INTERCHANGE_FORMAT: &str = "masspoc-signing-history";
/// `metadata.interchange_format_version`.
pub const INTERCHANGE_VERSION: u32 = 1;

/// A whole interchange document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Interchange {
    /// Format, version and key.
    pub metadata: InterchangeMetadata,
    /// One entry per chain.
    pub data: Vec<ChainHistory>,
}

/// The document's metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterchangeMetadata {
    /// Always `masspoc-signing-history`.
    pub interchange_format: String,
    /// Always `1`.
    pub interchange_format_version: u32,
    /// The farmer key whose signatures are listed.
    pub farmer_pk: FarmerPublicKey,
}

/// What was signed on one chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainHistory {
    /// The chain id, 64 hex digits.
    pub chain_id: ChainId,
    /// The signed headers, by height (a height listed twice with two hashes is a known conflict).
    pub signed_headers: Vec<SignedHeader>,
}

/// One signed header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedHeader {
    /// The height, a JSON number.
    pub height: Height,
    /// The header hash, 64 hex digits.
    pub header_hash: HeaderHash,
}

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// Records new to this history.
    pub added: u64,
    /// Records it already held.
    pub already_present: u64,
    /// Records naming another hash at a height this history already held: those heights now
    /// refuse every signing request.
    pub conflicts: u64,
}

impl Interchange {
    /// Parses a document and checks its format and version.
    pub fn from_json(text: &str) -> Result<Self, HistoryError> {
        let doc: Interchange = serde_json::from_str(text).map_err(HistoryError::Interchange)?;
        let m = &doc.metadata;
        if m.interchange_format != INTERCHANGE_FORMAT
            || m.interchange_format_version != INTERCHANGE_VERSION
        {
            return Err(HistoryError::InterchangeFormat {
                format: m.interchange_format.clone(),
                version: m.interchange_format_version,
            });
        }
        Ok(doc)
    }

    /// Pretty JSON with a final newline.
    pub fn to_json(&self) -> Result<String, HistoryError> {
        let mut s = serde_json::to_string_pretty(self).map_err(HistoryError::Interchange)?;
        s.push('\n');
        Ok(s)
    }
}

impl SigningHistory {
    /// Everything this history holds, as an interchange document (chains and heights ascending).
    pub fn export(&self) -> Result<Interchange, HistoryError> {
        let mut chains: BTreeMap<ChainId, Vec<SignedHeader>> = BTreeMap::new();
        for r in self.entries()? {
            chains.entry(r.chain_id).or_default().push(SignedHeader {
                height: r.height,
                header_hash: r.header_hash,
            });
        }
        Ok(Interchange {
            metadata: InterchangeMetadata {
                interchange_format: INTERCHANGE_FORMAT.to_string(),
                interchange_format_version: INTERCHANGE_VERSION,
                farmer_pk: self.farmer_pk(),
            },
            data: chains
                .into_iter()
                .map(|(chain_id, signed_headers)| ChainHistory {
                    chain_id,
                    signed_headers,
                })
                .collect(),
        })
    }

    /// Merges a document into this history in one durable transaction, never loosening
    /// protection: unknown heights are added, known ones kept, and a different hash at a known
    /// height turns that height into one that refuses every request. The document must be for
    /// this history's farmer key; on any error nothing is imported.
    pub fn import(&self, doc: &Interchange) -> Result<ImportReport, HistoryError> {
        if doc.metadata.farmer_pk != self.farmer_pk() {
            return Err(HistoryError::InterchangeWrongKey {
                expected: self.farmer_pk().to_hex(),
                found: doc.metadata.farmer_pk.to_hex(),
            });
        }
        let tx = self.begin_durable()?;
        let mut report = ImportReport::default();
        for chain in &doc.data {
            for h in &chain.signed_headers {
                let record = Record {
                    chain_id: chain.chain_id,
                    height: h.height,
                    header_hash: h.header_hash,
                };
                match SigningHistory::merge_one(&tx, &record)? {
                    MergeOutcome::Added => report.added += 1,
                    MergeOutcome::AlreadyPresent => report.already_present += 1,
                    MergeOutcome::Conflict => report.conflicts += 1,
                }
            }
        }
        tx.commit()?;
        Ok(report)
    }
}
