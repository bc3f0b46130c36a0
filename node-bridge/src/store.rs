//! The bridge's one redb database (`DATA/bridge.redb`): the follower's PoW headers, the anchoring
//! outbox, the chain host's log and pending bans, and the slashing detector's tables all live in
//! it, so writes that belong together (a header logged, queued for anchoring and shown to the
//! detector; evidence stored, queued and its ban recorded) commit in one write transaction.
//! Opened exclusively: a second opener gets a clear error. Data directories of the layout with
//! one file per store are migrated on first open ([`migrate`]).

pub mod migrate;

use crate::error::StoreError;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The database file inside a bridge data directory.
pub const BRIDGE_DB: &str = "bridge.redb";

/// An open store file, shared (`Arc`) by every component of one bridge.
#[derive(Debug)]
pub struct Store {
    /// The redb database.
    pub db: redb::Database,
    /// Its path, for error messages.
    pub path: PathBuf,
}

impl Store {
    /// Opens or creates the store at `path` (its parent directory must exist).
    pub fn open(path: &Path) -> Result<Arc<Self>, StoreError> {
        let db = redb::Database::create(path).map_err(|e| StoreError::Db {
            path: path.to_path_buf(),
            detail: match e {
                redb::DatabaseError::DatabaseAlreadyOpen => {
                    "already open (is another bridge running on it?)".to_string()
                }
                other => other.to_string(),
            },
        })?;
        Ok(Arc::new(Store {
            db,
            path: path.to_path_buf(),
        }))
    }

    /// Opens the database of the bridge data directory `dir` (created if missing), migrating a
    /// directory of the older one-file-per-store layout first ([`migrate::migrate_data_dir`]).
    pub fn open_data_dir(dir: &Path) -> Result<Arc<Self>, StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::Db {
            path: dir.to_path_buf(),
            detail: format!("cannot create the data directory: {e}"),
        })?;
        let store = Store::open(&dir.join(BRIDGE_DB))?;
        migrate::migrate_data_dir(&store, dir)?;
        Ok(store)
    }

    /// Starts a write transaction.
    pub fn begin_write(&self) -> Result<redb::WriteTransaction, StoreError> {
        self.db.begin_write().map_err(|e| self.err(e))
    }

    /// Starts a read transaction.
    pub fn begin_read(&self) -> Result<redb::ReadTransaction, StoreError> {
        self.db.begin_read().map_err(|e| self.err(e))
    }

    /// Commits a write transaction (durable when it returns).
    pub fn commit(&self, tx: redb::WriteTransaction) -> Result<(), StoreError> {
        tx.commit().map_err(|e| self.err(e))
    }

    /// Wraps a redb error with the store's path.
    pub fn err(&self, e: impl std::fmt::Display) -> StoreError {
        StoreError::Db {
            path: self.path.clone(),
            detail: e.to_string(),
        }
    }

    /// A corrupt-record error.
    pub fn corrupt(
        &self,
        key: impl std::fmt::Display,
        detail: impl std::fmt::Display,
    ) -> StoreError {
        StoreError::Corrupt {
            path: self.path.clone(),
            key: key.to_string(),
            detail: detail.to_string(),
        }
    }
}
