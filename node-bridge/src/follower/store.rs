//! The follower's durable chain: height → (id, 80-byte header), plus its start height.

use crate::error::StoreError;
use crate::pow::{BlockHeader, Hash256};
use crate::store::Store;
use redb::{ReadableTable, ReadableTableMetadata, TableDefinition};
use std::path::Path;
use std::sync::Arc;

pub(crate) const HEADERS: TableDefinition<u64, &[u8]> = TableDefinition::new("pow_headers");
pub(crate) const META: TableDefinition<&str, u64> = TableDefinition::new("pow_meta");

/// A stored header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredHeader {
    /// Height.
    pub height: u64,
    /// Id (SHA-256d).
    pub id: Hash256,
    /// The header.
    pub header: BlockHeader,
}

/// The follower's tables in the bridge's database.
#[derive(Debug)]
pub struct HeaderStore {
    store: Arc<Store>,
}

impl HeaderStore {
    /// Opens or creates a database file holding (at least) the follower's tables.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::on(Store::open(path)?)
    }

    /// The follower's tables in an open database (created if missing).
    pub fn on(store: Arc<Store>) -> Result<Self, StoreError> {
        let tx = store.db.begin_write().map_err(|e| store.err(e))?;
        tx.open_table(HEADERS).map_err(|e| store.err(e))?;
        tx.open_table(META).map_err(|e| store.err(e))?;
        tx.commit().map_err(|e| store.err(e))?;
        Ok(HeaderStore { store })
    }

    /// The start height recorded at first use, if any.
    pub fn start_height(&self) -> Result<Option<u64>, StoreError> {
        let s = &self.store;
        let tx = s.db.begin_read().map_err(|e| s.err(e))?;
        let t = tx.open_table(META).map_err(|e| s.err(e))?;
        Ok(t.get("start").map_err(|e| s.err(e))?.map(|v| v.value()))
    }

    /// Records the start height.
    pub fn set_start_height(&self, height: u64) -> Result<(), StoreError> {
        let s = &self.store;
        let tx = s.db.begin_write().map_err(|e| s.err(e))?;
        tx.open_table(META)
            .map_err(|e| s.err(e))?
            .insert("start", height)
            .map_err(|e| s.err(e))?;
        tx.commit().map_err(|e| s.err(e))
    }

    fn decode(&self, height: u64, bytes: &[u8]) -> Result<StoredHeader, StoreError> {
        if bytes.len() != 112 {
            return Err(self.store.corrupt(height, "header record is not 112 bytes"));
        }
        let mut id = [0u8; 32];
        id.copy_from_slice(&bytes[..32]);
        let header =
            BlockHeader::decode(&bytes[32..]).map_err(|e| self.store.corrupt(height, e))?;
        Ok(StoredHeader {
            height,
            id: Hash256(id),
            header,
        })
    }

    /// The highest stored header.
    pub fn tip(&self) -> Result<Option<StoredHeader>, StoreError> {
        let s = &self.store;
        let tx = s.db.begin_read().map_err(|e| s.err(e))?;
        let t = tx.open_table(HEADERS).map_err(|e| s.err(e))?;
        let last = t.last().map_err(|e| s.err(e))?;
        let out = match last {
            Some((k, v)) => Some(self.decode(k.value(), v.value())?),
            None => None,
        };
        Ok(out)
    }

    /// The stored header at `height`.
    pub fn get(&self, height: u64) -> Result<Option<StoredHeader>, StoreError> {
        let s = &self.store;
        let tx = s.db.begin_read().map_err(|e| s.err(e))?;
        let t = tx.open_table(HEADERS).map_err(|e| s.err(e))?;
        match t.get(height).map_err(|e| s.err(e))? {
            Some(v) => Ok(Some(self.decode(height, v.value())?)),
            None => Ok(None),
        }
    }

    /// How many headers are stored.
    pub fn len(&self) -> Result<u64, StoreError> {
        let s = &self.store;
        let tx = s.db.begin_read().map_err(|e| s.err(e))?;
        let t = tx.open_table(HEADERS).map_err(|e| s.err(e))?;
        t.len().map_err(|e| s.err(e))
    }

    /// True when no header is stored.
    pub fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(self.len()? == 0)
    }

    /// In one transaction: removes every header above `keep_up_to` (`None`: all) and appends
    /// `headers`.
    pub fn replace_above(
        &self,
        keep_up_to: Option<u64>,
        headers: &[StoredHeader],
    ) -> Result<(), StoreError> {
        let s = &self.store;
        let tx = s.db.begin_write().map_err(|e| s.err(e))?;
        {
            let mut t = tx.open_table(HEADERS).map_err(|e| s.err(e))?;
            let from = keep_up_to.map_or(0, |h| h + 1);
            t.retain_in(from.., |_, _| false).map_err(|e| s.err(e))?;
            for h in headers {
                let mut rec = Vec::with_capacity(112);
                rec.extend_from_slice(&h.id.0);
                rec.extend_from_slice(&h.header.encode());
                t.insert(h.height, rec.as_slice()).map_err(|e| s.err(e))?;
            }
        }
        tx.commit().map_err(|e| s.err(e))
    }
}
