//! The durable signing history: one redb file per farmer key, opened by one process at a time.

use super::rules::{check, Decision};
use crate::error::HistoryError;
use crate::keys::secure_file;
use masspoc_proof::FarmerPublicKey;
use masspoc_verifier::{ChainId, HeaderHash, Height};
use redb::{Database, Durability, ReadableTable, TableDefinition, WriteTransaction};
use std::fs::OpenOptions;
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// `"farmer_pk"` → the 32-byte key the history belongs to; `"version"` → `[1]`.
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
/// `chain_id[32] || height (u64 big-endian)` → the 32-byte header hash signed there.
const SIGNED: TableDefinition<&[u8], &[u8]> = TableDefinition::new("signed");
/// `chain_id[32] || height (u64 big-endian) || header_hash[32]` → `()`: further hashes an import
/// reported at a height already holding another one. Such a height refuses every request.
const CONFLICTS: TableDefinition<&[u8], ()> = TableDefinition::new("conflicts");

/// Schema version stored under `"version"`.
const SCHEMA_VERSION: u8 = 1;

/// The store key of a (chain, height): big-endian height, so a chain's records iterate in order.
pub(crate) fn slot_key(chain_id: &ChainId, height: Height) -> [u8; 40] {
    let mut k = [0u8; 40];
    k[..32].copy_from_slice(chain_id.as_bytes());
    k[32..].copy_from_slice(&height.0.to_be_bytes());
    k
}

/// Splits a slot key back into (chain, height).
pub(crate) fn split_slot_key(k: &[u8]) -> Result<(ChainId, Height), HistoryError> {
    if k.len() < 40 {
        return Err(HistoryError::CorruptRecord);
    }
    let mut chain = [0u8; 32];
    chain.copy_from_slice(&k[..32]);
    let mut h = [0u8; 8];
    h.copy_from_slice(&k[32..40]);
    Ok((ChainId(chain), Height(u64::from_be_bytes(h))))
}

/// A header hash out of a stored value.
pub(crate) fn hash_of(v: &[u8]) -> Result<HeaderHash, HistoryError> {
    v.try_into()
        .map(HeaderHash)
        .map_err(|_| HistoryError::CorruptRecord)
}

/// One record: a header hash signed (or imported) at a chain and height.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Record {
    /// The chain.
    pub chain_id: ChainId,
    /// The height.
    pub height: Height,
    /// The header signed there.
    pub header_hash: HeaderHash,
}

/// The signing history of one farmer key (`docs/signing-history.md`).
///
/// Every write is one redb write transaction committed with `Durability::Immediate` and two-phase
/// commit: `commit()` returns only after `fsync`. redb holds an exclusive `flock` on the file for
/// as long as the history is open, so a second process (or a second handle) is refused.
pub struct SigningHistory {
    db: Database,
    path: PathBuf,
    farmer_pk: FarmerPublicKey,
}

/// The usual history file for a key file: `<key file>.history`.
#[must_use]
pub fn history_path_for(key_path: &Path) -> PathBuf {
    let mut name = key_path.as_os_str().to_owned();
    name.push(".history");
    PathBuf::from(name)
}

impl SigningHistory {
    /// Opens (creating, mode 0600, if missing) the history at `path` for `farmer_pk`.
    ///
    /// Refuses a history another process has open ([`HistoryError::AlreadyOpen`]), one that belongs
    /// to another key ([`HistoryError::WrongKey`]), and a file group or others can read.
    pub fn open(path: &Path, farmer_pk: &FarmerPublicKey) -> Result<Self, HistoryError> {
        let io_err = |source: io::Error| HistoryError::Io {
            path: path.to_path_buf(),
            source,
        };
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
        {
            Ok(file) => {
                file.sync_all().map_err(io_err)?;
                secure_file::sync_parent_dir(path).map_err(io_err)?;
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(io_err(e)),
        }
        let file = std::fs::File::open(path).map_err(io_err)?;
        let mode = secure_file::mode_of(&file).map_err(io_err)?;
        if mode & 0o077 != 0 {
            return Err(HistoryError::InsecurePermissions {
                path: path.to_path_buf(),
                mode,
            });
        }
        drop(file);
        let db = Database::create(path).map_err(|e| match e {
            redb::DatabaseError::DatabaseAlreadyOpen => HistoryError::AlreadyOpen {
                path: path.to_path_buf(),
            },
            other => other.into(),
        })?;
        let history = SigningHistory {
            db,
            path: path.to_path_buf(),
            farmer_pk: *farmer_pk,
        };
        history.init_or_check_key()?;
        Ok(history)
    }

    /// Creates the tables and the key record on first use; checks the key afterwards.
    fn init_or_check_key(&self) -> Result<(), HistoryError> {
        let tx = self.begin_durable()?;
        {
            let mut meta = tx.open_table(META)?;
            let stored = meta.get("farmer_pk")?.map(|v| v.value().to_vec());
            match stored {
                Some(found) if found.as_slice() != self.farmer_pk.as_bytes() => {
                    return Err(HistoryError::WrongKey {
                        path: self.path.clone(),
                        expected: self.farmer_pk.to_hex(),
                        found: hex::encode(found),
                    });
                }
                Some(_) => {}
                None => {
                    meta.insert("farmer_pk", self.farmer_pk.as_bytes().as_slice())?;
                    meta.insert("version", [SCHEMA_VERSION].as_slice())?;
                }
            }
            tx.open_table(SIGNED)?;
            tx.open_table(CONFLICTS)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// A write transaction that is durable on commit (fsync, two-phase).
    pub(crate) fn begin_durable(&self) -> Result<WriteTransaction, HistoryError> {
        let mut tx = self.db.begin_write()?;
        tx.set_durability(Durability::Immediate);
        tx.set_two_phase_commit(true);
        Ok(tx)
    }

    /// The farmer key this history belongs to.
    #[must_use]
    pub fn farmer_pk(&self) -> FarmerPublicKey {
        self.farmer_pk
    }

    /// The history file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Checks a signing request and, when it is new, records it durably, all in one write
    /// transaction (redb serializes writers, so concurrent callers cannot both record).
    ///
    /// Returns the [`Decision`]; `Record` is returned only after the record is on disk. A height
    /// where an import found two different hashes refuses every request.
    pub fn record(
        &self,
        chain_id: &ChainId,
        height: Height,
        header_hash: &HeaderHash,
    ) -> Result<Decision, HistoryError> {
        let key = slot_key(chain_id, height);
        let tx = self.begin_durable()?;
        let decision = {
            let mut signed = tx.open_table(SIGNED)?;
            let existing = match signed.get(key.as_slice())? {
                Some(v) => Some(hash_of(v.value())?),
                None => None,
            };
            let conflicts = tx.open_table(CONFLICTS)?;
            let decision = match (existing, first_conflict(&conflicts, &key)?) {
                (Some(existing), Some(_)) => Decision::Refuse { existing },
                (None, Some(other)) => Decision::Refuse { existing: other },
                (existing, None) => check(existing, *header_hash),
            };
            if decision == Decision::Record {
                signed.insert(key.as_slice(), header_hash.as_bytes().as_slice())?;
            }
            decision
        };
        if decision == Decision::Record {
            tx.commit()?;
        } else {
            tx.abort()?;
        }
        Ok(decision)
    }

    /// The header hash signed at (chain, height), if any.
    pub fn signed_at(
        &self,
        chain_id: &ChainId,
        height: Height,
    ) -> Result<Option<HeaderHash>, HistoryError> {
        let tx = self.db.begin_read()?;
        let signed = tx.open_table(SIGNED)?;
        let value = signed.get(slot_key(chain_id, height).as_slice())?;
        value.map(|v| hash_of(v.value())).transpose()
    }

    /// Every record, in (chain, height, hash) order: the signed hashes and the conflicting ones.
    pub fn entries(&self) -> Result<Vec<Record>, HistoryError> {
        let tx = self.db.begin_read()?;
        let mut out = Vec::new();
        for item in tx.open_table(SIGNED)?.iter()? {
            let (k, v) = item?;
            let (chain_id, height) = split_slot_key(k.value())?;
            out.push(Record {
                chain_id,
                height,
                header_hash: hash_of(v.value())?,
            });
        }
        for item in tx.open_table(CONFLICTS)?.iter()? {
            let (k, _) = item?;
            let k = k.value();
            let (chain_id, height) = split_slot_key(k)?;
            out.push(Record {
                chain_id,
                height,
                header_hash: hash_of(&k[40..])?,
            });
        }
        out.sort_unstable();
        Ok(out)
    }

    /// Merges one imported record inside the caller's write transaction, never loosening: a new
    /// slot is added, a known one kept, a different hash at a known slot becomes a conflict.
    pub(crate) fn merge_one(
        tx: &WriteTransaction,
        record: &Record,
    ) -> Result<MergeOutcome, HistoryError> {
        let key = slot_key(&record.chain_id, record.height);
        let new = record.header_hash;
        let mut signed = tx.open_table(SIGNED)?;
        let existing = match signed.get(key.as_slice())? {
            Some(v) => Some(hash_of(v.value())?),
            None => None,
        };
        match existing {
            None => {
                signed.insert(key.as_slice(), new.as_bytes().as_slice())?;
                Ok(MergeOutcome::Added)
            }
            Some(old) if old == new => Ok(MergeOutcome::AlreadyPresent),
            Some(_) => {
                let mut conflicts = tx.open_table(CONFLICTS)?;
                let mut ck = [0u8; 72];
                ck[..40].copy_from_slice(&key);
                ck[40..].copy_from_slice(new.as_bytes());
                let was_new = conflicts.insert(ck.as_slice(), ())?.is_none();
                Ok(if was_new {
                    MergeOutcome::Conflict
                } else {
                    MergeOutcome::AlreadyPresent
                })
            }
        }
    }
}

/// What merging one imported record did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MergeOutcome {
    /// A new (chain, height) was recorded.
    Added,
    /// Already known.
    AlreadyPresent,
    /// A second hash at a known height: that height now refuses every request.
    Conflict,
}

/// The first conflicting hash recorded at a slot, if any.
fn first_conflict(
    conflicts: &impl ReadableTable<&'static [u8], ()>,
    slot: &[u8; 40],
) -> Result<Option<HeaderHash>, HistoryError> {
    let mut lo = [0u8; 72];
    lo[..40].copy_from_slice(slot);
    let mut hi = [0xffu8; 72];
    hi[..40].copy_from_slice(slot);
    let mut range = conflicts.range(lo.as_slice()..=hi.as_slice())?;
    match range.next() {
        Some(item) => {
            let (k, _) = item?;
            Ok(Some(hash_of(&k.value()[40..])?))
        }
        None => Ok(None),
    }
}
