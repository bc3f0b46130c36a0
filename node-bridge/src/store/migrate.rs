//! Migration of a bridge data directory from the layout with one redb file per store
//! (`headers.redb`, `anchors.redb`, `host/host.redb`, `host/detector.redb`) into the one
//! database `bridge.redb`.
//!
//! Every table of every old file is copied into `bridge.redb` in ONE write transaction, which also
//! records `bridge_meta["migrated"] = 1`; only after that commit are the old files renamed to
//! `NAME.migrated` (kept as a backup, never read again). A crash before the commit leaves the old
//! files as they were and an empty `bridge.redb` (the next start migrates again); a crash after it
//! leaves the marker, and the next start only finishes the renames. A directory that holds old
//! files beside a `bridge.redb` that already has data but no marker is refused: which one is
//! right is for the operator to say.

use super::Store;
use crate::error::StoreError;
use crate::{anchor::outbox, follower::store as follower_store, host::log as host_log};
use masspoc_verifier::detector;
use redb::{Key, ReadableTable, ReadableTableMetadata, TableDefinition, TableHandle, Value};
use std::path::{Path, PathBuf};

/// Markers of the database layout.
const BRIDGE_META: TableDefinition<&str, u64> = TableDefinition::new("bridge_meta");

/// The old files, relative to the data directory.
pub const OLD_FILES: [&str; 4] = [
    "headers.redb",
    "anchors.redb",
    "host/host.redb",
    "host/detector.redb",
];

/// Suffix given to an old file once its tables are in `bridge.redb`.
pub const MIGRATED_SUFFIX: &str = ".migrated";

fn copy<K: Key + 'static, V: Value + 'static>(
    target: &Store,
    from: &redb::ReadTransaction,
    to: &redb::WriteTransaction,
    def: TableDefinition<K, V>,
    source: &Path,
) -> Result<u64, StoreError> {
    let src_err = |e: redb::Error| StoreError::Db {
        path: source.to_path_buf(),
        detail: format!("table {}: {e}", def.name()),
    };
    let src = match from.open_table(def) {
        Ok(t) => t,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(0),
        Err(e) => return Err(src_err(e.into())),
    };
    let mut dst = to.open_table(def).map_err(|e| target.err(e))?;
    let mut n = 0;
    for row in src.iter().map_err(|e| src_err(e.into()))? {
        let (k, v) = row.map_err(|e| src_err(e.into()))?;
        dst.insert(k.value(), v.value())
            .map_err(|e| target.err(e))?;
        n += 1;
    }
    Ok(n)
}

/// Copies the tables of one old file (by its name in [`OLD_FILES`]).
fn copy_file(
    target: &Store,
    to: &redb::WriteTransaction,
    name: &str,
    path: &Path,
) -> Result<u64, StoreError> {
    let db = redb::Database::open(path).map_err(|e| StoreError::Db {
        path: path.to_path_buf(),
        detail: match e {
            redb::DatabaseError::DatabaseAlreadyOpen => {
                "already open (is an older bridge still running on this directory?)".to_string()
            }
            other => other.to_string(),
        },
    })?;
    let from = db.begin_read().map_err(|e| StoreError::Db {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })?;
    Ok(match name {
        "headers.redb" => {
            copy(target, &from, to, follower_store::HEADERS, path)?
                + copy(target, &from, to, follower_store::META, path)?
        }
        "anchors.redb" => {
            copy(target, &from, to, outbox::PENDING, path)?
                + copy(target, &from, to, outbox::INDEX, path)?
                + copy(target, &from, to, outbox::BATCHES, path)?
                + copy(target, &from, to, outbox::META, path)?
                + copy(target, &from, to, outbox::OPEN, path)?
        }
        "host/host.redb" => {
            copy(target, &from, to, host_log::LOG, path)?
                + copy(target, &from, to, host_log::PENDING_BANS, path)?
        }
        _ => {
            copy(target, &from, to, detector::SEEN, path)?
                + copy(target, &from, to, detector::EVIDENCE, path)?
        }
    })
}

/// True when `store` holds any row in any table (other than the layout markers).
fn has_data(store: &Store) -> Result<bool, StoreError> {
    let tx = store.begin_read()?;
    for table in tx.list_tables().map_err(|e| store.err(e))? {
        if table.name() == BRIDGE_META.name() {
            continue;
        }
        // Tables have various key/value types; an untyped look is enough to count rows.
        let len = tx
            .open_untyped_table(table)
            .map_err(|e| store.err(e))?
            .len()
            .map_err(|e| store.err(e))?;
        if len > 0 {
            return Ok(true);
        }
    }
    Ok(false)
}

fn renamed(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(MIGRATED_SUFFIX);
    PathBuf::from(s)
}

/// What [`migrate_data_dir`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Migration {
    /// Old files whose tables were copied.
    pub files: usize,
    /// Rows copied.
    pub rows: u64,
}

/// Moves the old files of `dir` into `store` (see the module comment). Nothing to do when there
/// are none.
pub fn migrate_data_dir(store: &Store, dir: &Path) -> Result<Migration, StoreError> {
    let old: Vec<(&str, PathBuf)> = OLD_FILES
        .iter()
        .map(|n| (*n, dir.join(n)))
        .filter(|(_, p)| p.exists())
        .collect();
    if old.is_empty() {
        return Ok(Migration::default());
    }
    let marked = {
        let tx = store.begin_read()?;
        match tx.open_table(BRIDGE_META) {
            Ok(t) => t.get("migrated").map_err(|e| store.err(e))?.is_some(),
            Err(redb::TableError::TableDoesNotExist(_)) => false,
            Err(e) => return Err(store.err(e)),
        }
    };
    let mut done = Migration::default();
    if !marked {
        if has_data(store)? {
            return Err(StoreError::Db {
                path: store.path.clone(),
                detail: format!(
                    "this data directory holds both {} and files of the older layout ({}); \
                     move one of them away (docs/operations.md, \"Data directory\")",
                    super::BRIDGE_DB,
                    old.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
                ),
            });
        }
        let tx = store.begin_write()?;
        for (name, path) in &old {
            done.rows += copy_file(store, &tx, name, path)?;
            done.files += 1;
        }
        tx.open_table(BRIDGE_META)
            .map_err(|e| store.err(e))?
            .insert("migrated", 1)
            .map_err(|e| store.err(e))?;
        store.commit(tx)?;
        tracing::info!(
            files = done.files,
            rows = done.rows,
            "migrated the data directory into {}",
            super::BRIDGE_DB
        );
    }
    for (_, path) in &old {
        std::fs::rename(path, renamed(path)).map_err(|e| StoreError::Db {
            path: path.clone(),
            detail: format!("migrated, but cannot rename it to {MIGRATED_SUFFIX}: {e}"),
        })?;
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anchor::{Item, Outbox};
    use crate::follower::store::HeaderStore;
    use crate::host::log::HostLog;
    use std::sync::Arc;

    fn item(b: u8) -> Item {
        Item::header([b; 32])
    }

    /// Writes a data directory in the older layout, each file through the APIs that wrote it.
    fn old_layout(dir: &Path) {
        std::fs::create_dir_all(dir.join("host")).unwrap();
        HeaderStore::open(&dir.join("headers.redb"))
            .unwrap()
            .set_start_height(7)
            .unwrap();
        let outbox = Outbox::open(&dir.join("anchors.redb")).unwrap();
        outbox.enqueue(&[item(1), item(2)]).unwrap();
        outbox.seal(1).unwrap().unwrap();
        // A log entry as the old host wrote it: tag 1, chain id, header bytes.
        let db = redb::Database::create(dir.join("host/host.redb")).unwrap();
        let tx = db.begin_write().unwrap();
        tx.open_table(host_log::LOG)
            .unwrap()
            .insert(0, [&[1u8][..], &[3; 32], &[4; 5]].concat().as_slice())
            .unwrap();
        tx.commit().unwrap();
        drop(db);
        let db = redb::Database::create(dir.join("host/detector.redb")).unwrap();
        let tx = db.begin_write().unwrap();
        tx.open_table(detector::EVIDENCE)
            .unwrap()
            .insert([9u8; 32].as_slice(), [8u8; 3].as_slice())
            .unwrap();
        tx.commit().unwrap();
    }

    #[test]
    fn an_old_data_directory_is_moved_into_one_database_once() {
        let dir = tempfile::tempdir().unwrap();
        old_layout(dir.path());
        let store = Store::open_data_dir(dir.path()).unwrap();
        for name in OLD_FILES {
            assert!(!dir.path().join(name).exists(), "{name} renamed");
            assert!(renamed(&dir.path().join(name)).exists(), "{name} kept");
        }
        let check = |store: &Arc<Store>, pending: u64| {
            let headers = HeaderStore::on(store.clone()).unwrap();
            assert_eq!(headers.start_height().unwrap(), Some(7));
            let outbox = Outbox::on(store.clone()).unwrap();
            assert_eq!(outbox.batch_of(&item(1)).unwrap(), Some(Some(0)));
            assert_eq!(outbox.batch_of(&item(2)).unwrap(), Some(None));
            assert_eq!(outbox.pending_len().unwrap(), pending);
            assert_eq!(outbox.batches().unwrap().len(), 1);
            assert_eq!(outbox.open_batches().unwrap().len(), 1);
            let log = HostLog::on(store.clone()).unwrap();
            assert_eq!(log.entries().unwrap().len(), 1);
            let tx = store.begin_read().unwrap();
            let t = tx.open_table(detector::EVIDENCE).unwrap();
            assert_eq!(
                t.get([9u8; 32].as_slice()).unwrap().unwrap().value(),
                &[8u8; 3]
            );
        };
        check(&store, 1);
        // Enqueueing goes on from the migrated counters.
        let outbox = Outbox::on(store.clone()).unwrap();
        assert_eq!(outbox.enqueue(&[item(2), item(5)]).unwrap(), 1);
        assert_eq!(outbox.pending_len().unwrap(), 2);
        drop((outbox, store));
        // Opening again migrates nothing more.
        let store = Store::open_data_dir(dir.path()).unwrap();
        check(&store, 2);
    }

    #[test]
    fn a_crash_after_the_copy_only_finishes_the_renames() {
        let dir = tempfile::tempdir().unwrap();
        old_layout(dir.path());
        drop(Store::open_data_dir(dir.path()).unwrap());
        // As if the process died between the commit and the renames.
        for name in OLD_FILES {
            let p = dir.path().join(name);
            std::fs::rename(renamed(&p), &p).unwrap();
        }
        let store = Store::open_data_dir(dir.path()).unwrap();
        assert_eq!(Outbox::on(store).unwrap().pending_len().unwrap(), 1);
        assert!(!dir.path().join("anchors.redb").exists());
    }

    #[test]
    fn old_files_beside_a_used_database_are_refused_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_data_dir(dir.path()).unwrap();
        Outbox::on(store.clone())
            .unwrap()
            .enqueue(&[item(1)])
            .unwrap();
        drop(store);
        old_layout(dir.path());
        let e = Store::open_data_dir(dir.path()).unwrap_err().to_string();
        assert!(
            e.contains("both bridge.redb and files of the older layout")
                && e.contains("anchors.redb")
                && e.contains("docs/operations.md"),
            "{e}"
        );
        assert!(dir.path().join("anchors.redb").exists(), "nothing touched");
    }
}
