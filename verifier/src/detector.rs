//! The slashing detector: remembers `(chain, height, farmer) -> header` in a durable redb store
//! and emits evidence when one farmer signed two different headers for one chain and height.
//!
//! Tables: `seen` maps `chain_id[32] || u64be(height) || farmer_pk[32]` to the first header seen
//! (its 382-byte encoding); `evidence` maps the evidence id to its encoding, so duplicate evidence
//! is stored once. Each observation is one write transaction, committed durably before the result
//! is returned. redb locks the file: a second process opening the same store gets an error.
//!
//! A program that keeps other tables beside these (the chain node keeps its log and anchoring
//! outbox in the same database) uses [`observe_in`] and [`add_evidence_in`] inside its own write
//! transaction, so the detector's writes commit together with its own.

use crate::error::{DetectorError, RejectError};
use crate::evidence::Evidence;
use crate::header::Header;
use redb::{
    Database, ReadTransaction, ReadableTable, ReadableTableMetadata, TableDefinition,
    WriteTransaction,
};
use std::path::Path;

/// `chain_id[32] || u64be(height) || farmer_pk[32]` → the first header seen (its encoding).
pub const SEEN: TableDefinition<&[u8], &[u8]> = TableDefinition::new("seen");
/// Evidence id → evidence encoding.
pub const EVIDENCE: TableDefinition<&[u8], &[u8]> = TableDefinition::new("evidence");

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
        create_tables(&txn)?;
        txn.commit().map_err(store)?;
        Ok(SlashingDetector { db })
    }

    /// Records a header (its signature must verify strictly) and reports equivocation.
    pub fn observe(&self, header: &Header) -> Result<Observation, DetectorError> {
        header.verify_signature().map_err(DetectorError::Rejected)?;
        let txn = self.db.begin_write().map_err(store)?;
        let result = observe_in(&txn, header)?;
        txn.commit().map_err(store)?;
        Ok(result)
    }

    /// Stores evidence from elsewhere (e.g. another detector); returns whether it was new.
    /// Evidence is stored as given by [`Evidence`], which is always verified.
    pub fn add_evidence(&self, evidence: &Evidence) -> Result<bool, DetectorError> {
        let txn = self.db.begin_write().map_err(store)?;
        let new = add_evidence_in(&txn, evidence)?;
        txn.commit().map_err(store)?;
        Ok(new)
    }

    /// All stored evidence, ordered by id.
    pub fn evidence(&self) -> Result<Vec<Evidence>, DetectorError> {
        evidence_in(&self.db.begin_read().map_err(store)?)
    }

    /// Number of `(chain, height, farmer)` entries remembered.
    pub fn seen_count(&self) -> Result<u64, DetectorError> {
        let txn = self.db.begin_read().map_err(store)?;
        let table = txn.open_table(SEEN).map_err(store)?;
        table.len().map_err(store)
    }
}

/// Creates the detector's tables in `txn` if they are missing.
pub fn create_tables(txn: &WriteTransaction) -> Result<(), DetectorError> {
    txn.open_table(SEEN).map_err(store)?;
    txn.open_table(EVIDENCE).map_err(store)?;
    Ok(())
}

/// [`SlashingDetector::observe`] inside the caller's write transaction, which commits it. The
/// caller has already checked the header's signature (e.g. the chain rules accepted it).
pub fn observe_in(txn: &WriteTransaction, header: &Header) -> Result<Observation, DetectorError> {
    let key = seen_key(header);
    let mut seen = txn.open_table(SEEN).map_err(store)?;
    let previous = seen
        .get(key.as_slice())
        .map_err(store)?
        .map(|v| v.value().to_vec());
    Ok(match previous {
        None => {
            seen.insert(key.as_slice(), header.encode().as_slice())
                .map_err(store)?;
            Observation::New
        }
        Some(bytes) => {
            let first = Header::decode(&bytes)
                .map_err(|e: RejectError| DetectorError::Corrupt(format!("seen header: {e}")))?;
            if first.hash() == header.hash() {
                Observation::Known
            } else {
                let evidence = Evidence::new(first, *header).map_err(DetectorError::Evidence)?;
                let new = add_evidence_in(txn, &evidence)?;
                Observation::Equivocation {
                    evidence: Box::new(evidence),
                    new,
                }
            }
        }
    })
}

/// [`SlashingDetector::add_evidence`] inside the caller's write transaction.
pub fn add_evidence_in(txn: &WriteTransaction, evidence: &Evidence) -> Result<bool, DetectorError> {
    let mut table = txn.open_table(EVIDENCE).map_err(store)?;
    insert_evidence(&mut table, evidence)
}

/// Whether evidence with this id is stored.
pub fn has_evidence_in(
    txn: &ReadTransaction,
    id: &crate::EvidenceId,
) -> Result<bool, DetectorError> {
    let table = txn.open_table(EVIDENCE).map_err(store)?;
    Ok(table
        .get(id.as_bytes().as_slice())
        .map_err(store)?
        .is_some())
}

/// Every stored evidence in the database `txn` reads, ordered by id.
pub fn evidence_in(txn: &ReadTransaction) -> Result<Vec<Evidence>, DetectorError> {
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
