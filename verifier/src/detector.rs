//! The slashing detector: remembers `(chain, height, farmer) -> header` in a durable redb store
//! and emits evidence when one farmer signed two different headers for one chain and height.
//!
//! Tables: `seen` maps `chain_id[32] || u64be(height) || farmer_pk[32]` to the first header seen
//! (its 382-byte encoding); `evidence` maps the evidence id to its encoding, so duplicate evidence
//! is stored once. Each observation is one write transaction, committed durably before the result
//! is returned. redb locks the file: a second process opening the same store gets an error.

use crate::error::{DetectorError, RejectError};
use crate::evidence::Evidence;
use crate::header::Header;
use redb::{Database, ReadableTable, ReadableTableMetadata, TableDefinition};
use std::path::Path;

const SEEN: TableDefinition<&[u8], &[u8]> = TableDefinition::new("seen");
const EVIDENCE: TableDefinition<&[u8], &[u8]> = TableDefinition::new("evidence");

/// What the detector made of a header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observation {
    /// The first header of this farmer at this chain and height.
    New,
    /// The same header again.
    Known,
    /// A second, different header: equivocation. `new` is false when this evidence was already
    /// stored.
    Equivocation {
        /// The evidence (the remembered header and this one).
        evidence: Box<Evidence>,
        /// Whether the evidence was not stored before.
        new: bool,
    },
}

/// The detector and its store.
#[derive(Debug)]
pub struct SlashingDetector {
    db: Database,
}

fn store<E: std::fmt::Display>(e: E) -> DetectorError {
    DetectorError::Store(e.to_string())
}

fn seen_key(h: &Header) -> [u8; 72] {
    let mut k = [0u8; 72];
    k[..32].copy_from_slice(h.chain_id.as_bytes());
    k[32..40].copy_from_slice(&h.height.0.to_be_bytes());
    k[40..].copy_from_slice(h.farmer().as_bytes());
    k
}

impl SlashingDetector {
    /// Opens (or creates) the store at `path`; fails if another process holds it.
    pub fn open(path: &Path) -> Result<SlashingDetector, DetectorError> {
        let db = Database::create(path).map_err(store)?;
        let txn = db.begin_write().map_err(store)?;
        txn.open_table(SEEN).map_err(store)?;
        txn.open_table(EVIDENCE).map_err(store)?;
        txn.commit().map_err(store)?;
        Ok(SlashingDetector { db })
    }

    /// Records a header (its signature must verify strictly) and reports equivocation.
    pub fn observe(&self, header: &Header) -> Result<Observation, DetectorError> {
        header.verify_signature().map_err(DetectorError::Rejected)?;
        let key = seen_key(header);
        let txn = self.db.begin_write().map_err(store)?;
        let result = {
            let mut seen = txn.open_table(SEEN).map_err(store)?;
            let previous = seen
                .get(key.as_slice())
                .map_err(store)?
                .map(|v| v.value().to_vec());
            match previous {
                None => {
                    seen.insert(key.as_slice(), header.encode().as_slice())
                        .map_err(store)?;
                    Observation::New
                }
                Some(bytes) => {
                    let first = Header::decode(&bytes).map_err(|e: RejectError| {
                        DetectorError::Corrupt(format!("seen header: {e}"))
                    })?;
                    if first.hash() == header.hash() {
                        Observation::Known
                    } else {
                        let evidence =
                            Evidence::new(first, *header).map_err(DetectorError::Evidence)?;
                        let mut table = txn.open_table(EVIDENCE).map_err(store)?;
                        let new = insert_evidence(&mut table, &evidence)?;
                        Observation::Equivocation {
                            evidence: Box::new(evidence),
                            new,
                        }
                    }
                }
            }
        };
        txn.commit().map_err(store)?;
        Ok(result)
    }

    /// Stores evidence from elsewhere (e.g. another detector); returns whether it was new.
    /// Evidence is stored as given by [`Evidence`], which is always verified.
    pub fn add_evidence(&self, evidence: &Evidence) -> Result<bool, DetectorError> {
        let txn = self.db.begin_write().map_err(store)?;
        let new = {
            let mut table = txn.open_table(EVIDENCE).map_err(store)?;
            insert_evidence(&mut table, evidence)?
        };
        txn.commit().map_err(store)?;
        Ok(new)
    }

    /// All stored evidence, ordered by id.
    pub fn evidence(&self) -> Result<Vec<Evidence>, DetectorError> {
        let txn = self.db.begin_read().map_err(store)?;
        let table = txn.open_table(EVIDENCE).map_err(store)?;
        let mut out = Vec::new();
        for item in table.iter().map_err(store)? {
            let (_, v) = item.map_err(store)?;
            out.push(
                Evidence::decode(v.value())
                    .map_err(|e| DetectorError::Corrupt(format!("evidence: {e}")))?,
            );
        }
        Ok(out)
    }

    /// Number of `(chain, height, farmer)` entries remembered.
    pub fn seen_count(&self) -> Result<u64, DetectorError> {
        let txn = self.db.begin_read().map_err(store)?;
        let table = txn.open_table(SEEN).map_err(store)?;
        table.len().map_err(store)
    }
}

fn insert_evidence(
    table: &mut redb::Table<'_, &[u8], &[u8]>,
    evidence: &Evidence,
) -> Result<bool, DetectorError> {
    let id = evidence.id();
    if table
        .get(id.as_bytes().as_slice())
        .map_err(store)?
        .is_some()
    {
        return Ok(false);
    }
    table
        .insert(id.as_bytes().as_slice(), evidence.encode().as_slice())
        .map_err(store)?;
    Ok(true)
}
