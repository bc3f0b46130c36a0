//! Small helpers over redb shared by the follower and the anchoring outbox: one file per store,
//! opened exclusively (a second opener gets a clear error), errors carrying the path.

use crate::error::StoreError;
use std::path::{Path, PathBuf};

/// An open store file.
#[derive(Debug)]
pub struct Store {
    /// The redb database.
    pub db: redb::Database,
    /// Its path, for error messages.
    pub path: PathBuf,
}

impl Store {
    /// Opens or creates the store at `path` (its parent directory must exist).
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let db = redb::Database::create(path).map_err(|e| StoreError::Db {
            path: path.to_path_buf(),
            detail: match e {
                redb::DatabaseError::DatabaseAlreadyOpen => {
                    "already open (is another bridge running on it?)".to_string()
                }
                other => other.to_string(),
            },
        })?;
        Ok(Store {
            db,
            path: path.to_path_buf(),
        })
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
