//! The host's durable log (tables `host_log`, `host_bodies` and `host_meta` of the bridge's
//! database): every accepted block in the order it was accepted — its header as a log entry, its
//! body beside it under the header's hash, both written in one transaction — so that replaying
//! the log rebuilds exactly the same chain states.
//!
//! Data directories written before bodies existed have headers in the log and no `host_bodies`
//! rows: every block they accepted had the empty body. [`HostLog::on`] migrates them once, in one
//! transaction, by storing the empty body for every logged header and setting
//! `host_meta["bodies"] = 1`. Older logs may also hold node-local ban entries (tag 2) and a
//! `host_pending_bans` table: bans now come only from evidence included in blocks, so those
//! entries are read and skipped and the table is never read again.

use crate::error::StoreError;
use crate::store::Store;
use masspoc_proof::FarmerPublicKey;
use masspoc_verifier::{Block, Body, ChainId, Header, HeaderHash, Height};
use redb::{ReadableTable, TableDefinition};
use std::path::Path;
use std::sync::Arc;

pub(crate) const LOG: TableDefinition<u64, &[u8]> = TableDefinition::new("host_log");
/// Header hash → the block body's encoding (`docs/protocol.md`, "Block body").
pub(crate) const BODIES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("host_bodies");
/// Layout markers of the host's tables (`"bodies"` = 1 once old logs have their bodies).
pub(crate) const META: TableDefinition<&str, u64> = TableDefinition::new("host_meta");
/// Legacy: evidence id → chain id || farmer key of node-local bans waiting for an anchor, written
/// by versions before bans came from blocks. Copied by the file-layout migration, never read.
pub(crate) const PENDING_BANS: TableDefinition<&[u8], &[u8]> =
    TableDefinition::new("host_pending_bans");

const TAG_HEADER: u8 = 1;
const TAG_BAN: u8 = 2;
const BODIES_MIGRATED: &str = "bodies";

/// One log entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// An accepted block's header (its encoding) of a chain; its body is in `host_bodies`.
    Header {
        /// The chain.
        chain: ChainId,
        /// The header's encoding.
        bytes: Vec<u8>,
    },
    /// A node-local ban, as versions before bans came from blocks logged it. Read and skipped on
    /// replay; never written.
    Ban {
        /// The chain.
        chain: ChainId,
        /// The banned farmer's public key.
        farmer: FarmerPublicKey,
        /// First banned height.
        from: Height,
    },
}

impl Entry {
    /// `[1] || chain || header bytes`, or `[2] || chain || farmer || u64be(from)`.
    fn encode(&self) -> Vec<u8> {
        match self {
            Entry::Header { chain, bytes } => [&[TAG_HEADER][..], chain.as_bytes(), bytes].concat(),
            Entry::Ban {
                chain,
                farmer,
                from,
            } => [
                &[TAG_BAN][..],
                chain.as_bytes(),
                farmer.as_bytes(),
                &from.0.to_be_bytes(),
            ]
            .concat(),
        }
    }

    fn decode(b: &[u8]) -> Option<Entry> {
        let chain = ChainId(b.get(1..33)?.try_into().ok()?);
        match *b.first()? {
            TAG_HEADER => Some(Entry::Header {
                chain,
                bytes: b[33..].to_vec(),
            }),
            TAG_BAN if b.len() == 73 => Some(Entry::Ban {
                chain,
                farmer: FarmerPublicKey(b[33..65].try_into().ok()?),
                from: Height(u64::from_be_bytes(b[65..73].try_into().ok()?)),
            }),
            _ => None,
        }
    }
}

/// One logged block as replay reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedBlock {
    /// Its chain.
    pub chain: ChainId,
    /// The block (header and body).
    pub block: Block,
}

/// The log's tables in the bridge's database.
#[derive(Debug)]
pub struct HostLog {
    store: Arc<Store>,
}

impl HostLog {
    /// Opens or creates a database file holding (at least) the log.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::on(Store::open(path)?)
    }

    /// The log in an open database (its tables created if missing, an old log given the empty
    /// body of each of its headers).
    pub fn on(store: Arc<Store>) -> Result<Self, StoreError> {
        let tx = store.begin_write()?;
        tx.open_table(LOG).map_err(|e| store.err(e))?;
        tx.open_table(BODIES).map_err(|e| store.err(e))?;
        let migrated = tx
            .open_table(META)
            .map_err(|e| store.err(e))?
            .get(BODIES_MIGRATED)
            .map_err(|e| store.err(e))?
            .is_some();
        let log = HostLog { store };
        if !migrated {
            let n = log.add_empty_bodies_in(&tx)?;
            if n > 0 {
                tracing::info!(
                    headers = n,
                    "host log: stored the empty body of every block logged before bodies existed"
                );
            }
            tx.open_table(META)
                .map_err(|e| log.store.err(e))?
                .insert(BODIES_MIGRATED, 1)
                .map_err(|e| log.store.err(e))?;
        }
        log.store.commit(tx)?;
        Ok(log)
    }

    /// The migration: the empty body for every logged header that has none (every block accepted
    /// before bodies existed had the empty body). Returns how many were stored.
    fn add_empty_bodies_in(&self, tx: &redb::WriteTransaction) -> Result<u64, StoreError> {
        let s = &self.store;
        let mut hashes = Vec::new();
        {
            let log = tx.open_table(LOG).map_err(|e| s.err(e))?;
            for row in log.iter().map_err(|e| s.err(e))? {
                let (k, v) = row.map_err(|e| s.err(e))?;
                if let Some(Entry::Header { bytes, .. }) = Entry::decode(v.value()) {
                    // A header that does not decode fails replay with its own error.
                    if let Ok(h) = Header::decode(&bytes) {
                        hashes.push((k.value(), h.hash()));
                    }
                }
            }
        }
        let empty = Body::EMPTY.encode();
        let mut bodies = tx.open_table(BODIES).map_err(|e| s.err(e))?;
        let mut n = 0;
        for (_, hash) in hashes {
            if bodies
                .get(hash.0.as_slice())
                .map_err(|e| s.err(e))?
                .is_none()
            {
                bodies
                    .insert(hash.0.as_slice(), empty.as_slice())
                    .map_err(|e| s.err(e))?;
                n += 1;
            }
        }
        Ok(n)
    }

    /// Appends an accepted block inside the caller's write transaction: its header as the next log
    /// entry, its body under the header's hash.
    pub fn append_block_in(
        &self,
        tx: &redb::WriteTransaction,
        chain: &ChainId,
        block: &Block,
    ) -> Result<(), StoreError> {
        self.append_in(
            tx,
            &Entry::Header {
                chain: *chain,
                bytes: block.header.encode().to_vec(),
            },
        )?;
        let s = &self.store;
        tx.open_table(BODIES)
            .map_err(|e| s.err(e))?
            .insert(block.hash().0.as_slice(), block.body.encode().as_slice())
            .map_err(|e| s.err(e))?;
        Ok(())
    }

    /// Appends an entry inside the caller's write transaction.
    pub(crate) fn append_in(
        &self,
        tx: &redb::WriteTransaction,
        entry: &Entry,
    ) -> Result<(), StoreError> {
        let s = &self.store;
        let mut t = tx.open_table(LOG).map_err(|e| s.err(e))?;
        let next = t
            .last()
            .map_err(|e| s.err(e))?
            .map_or(0, |(k, _)| k.value() + 1);
        t.insert(next, entry.encode().as_slice())
            .map_err(|e| s.err(e))?;
        Ok(())
    }

    /// Every entry, in order.
    pub fn entries(&self) -> Result<Vec<Entry>, StoreError> {
        let s = &self.store;
        let tx = s.begin_read()?;
        let t = tx.open_table(LOG).map_err(|e| s.err(e))?;
        let mut out = Vec::new();
        for row in t.iter().map_err(|e| s.err(e))? {
            let (k, v) = row.map_err(|e| s.err(e))?;
            out.push(
                Entry::decode(v.value()).ok_or_else(|| s.corrupt(k.value(), "bad log entry"))?,
            );
        }
        Ok(out)
    }

    /// The stored body of a logged block (its encoding), if any.
    pub fn body(&self, hash: &HeaderHash) -> Result<Option<Vec<u8>>, StoreError> {
        let s = &self.store;
        let tx = s.begin_read()?;
        let t = tx.open_table(BODIES).map_err(|e| s.err(e))?;
        let got = t.get(hash.0.as_slice()).map_err(|e| s.err(e))?;
        Ok(got.map(|v| v.value().to_vec()))
    }

    /// Every logged block in log order, skipping legacy ban entries. A header whose encoding or
    /// stored body is missing or does not decode is a corrupt store, named by its log key.
    pub fn blocks(&self) -> Result<Vec<LoggedBlock>, StoreError> {
        let s = &self.store;
        let tx = s.begin_read()?;
        let log = tx.open_table(LOG).map_err(|e| s.err(e))?;
        let bodies = tx.open_table(BODIES).map_err(|e| s.err(e))?;
        let mut out = Vec::new();
        for row in log.iter().map_err(|e| s.err(e))? {
            let (k, v) = row.map_err(|e| s.err(e))?;
            let key = k.value();
            let chain_bytes = match Entry::decode(v.value()) {
                Some(Entry::Header { chain, bytes }) => (chain, bytes),
                Some(Entry::Ban { .. }) => continue,
                None => return Err(s.corrupt(key, "bad log entry")),
            };
            let (chain, bytes) = chain_bytes;
            let header = Header::decode(&bytes)
                .map_err(|e| s.corrupt(key, format!("logged header: {e}")))?;
            let body = bodies
                .get(header.hash().0.as_slice())
                .map_err(|e| s.err(e))?
                .ok_or_else(|| s.corrupt(key, "logged header has no stored body"))?;
            let body = Body::decode(body.value())
                .map_err(|e| s.corrupt(key, format!("stored body: {e}")))?;
            out.push(LoggedBlock {
                chain,
                block: Block { header, body },
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use masspoc_verifier::testkit::{bench_params, grow_chain, TestFarmer};
    use masspoc_verifier::{ChainSpec, ChainState};

    /// A log written byte by byte in the documented layout of the versions before bodies (a header
    /// entry, a node-local ban entry, a pending ban) reads back as the same typed entries; opening
    /// it stores the empty body (six zero bytes) of its header once, and the ban entry is skipped
    /// as a block.
    #[test]
    fn an_old_log_is_migrated_to_empty_bodies_and_its_bans_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("host.redb");
        let spec = ChainSpec::new(bench_params()).unwrap();
        let state = ChainState::new(spec.clone());
        let farmer = TestFarmer::new([7; 32], &[16]);
        let header = grow_chain(&state, &[farmer], spec.genesis.hash, 1)[0];
        let chain = spec.chain_id;
        let header_row = [&[1u8][..], chain.as_bytes(), &header.encode()].concat();
        let mut ban_row = [&[2u8][..], chain.as_bytes(), &[0xfa; 32]].concat();
        ban_row.extend_from_slice(&7u64.to_be_bytes());
        {
            let db = redb::Database::create(&path).unwrap();
            let tx = db.begin_write().unwrap();
            {
                let mut log = tx.open_table(LOG).unwrap();
                log.insert(0, header_row.as_slice()).unwrap();
                log.insert(1, ban_row.as_slice()).unwrap();
                let mut bans = tx.open_table(PENDING_BANS).unwrap();
                let value = [[0xc1; 32], [0xfb; 32]].concat();
                bans.insert([0xee; 32].as_slice(), value.as_slice())
                    .unwrap();
            }
            tx.commit().unwrap();
        }
        let log = HostLog::open(&path).unwrap();
        let entry = Entry::Header {
            chain,
            bytes: header.encode().to_vec(),
        };
        let ban = Entry::Ban {
            chain,
            farmer: FarmerPublicKey([0xfa; 32]),
            from: Height(7),
        };
        assert_eq!(log.entries().unwrap(), vec![entry.clone(), ban.clone()]);
        assert_eq!(entry.encode(), header_row);
        assert_eq!(ban.encode(), ban_row);
        assert_eq!(log.body(&header.hash()).unwrap(), Some(vec![0u8; 6]));
        assert_eq!(
            log.blocks().unwrap(),
            vec![LoggedBlock {
                chain,
                block: Block::empty(header)
            }]
        );
        // A new block goes in with its body; reopening migrates nothing again.
        let body = Body::new(vec![], vec![1, 2, 3]).unwrap();
        let mut other = header;
        other.timestamp_ms += 1;
        let block = Block {
            header: other,
            body: body.clone(),
        };
        let store = log.store.clone();
        let tx = store.begin_write().unwrap();
        log.append_block_in(&tx, &chain, &block).unwrap();
        store.commit(tx).unwrap();
        drop(log);
        let log = HostLog::on(store).unwrap();
        assert_eq!(log.blocks().unwrap().len(), 2);
        assert_eq!(log.blocks().unwrap()[1].block, block);
        assert_eq!(log.body(&other.hash()).unwrap(), Some(body.encode()));
        assert_eq!(log.body(&HeaderHash([3; 32])).unwrap(), None);
    }

    /// A logged header without a stored body after the migration is a corrupt store, named.
    #[test]
    fn a_header_without_its_body_is_corruption() {
        let dir = tempfile::tempdir().unwrap();
        let log = HostLog::open(&dir.path().join("host.redb")).unwrap();
        let spec = ChainSpec::new(bench_params()).unwrap();
        let state = ChainState::new(spec.clone());
        let header = grow_chain(
            &state,
            &[TestFarmer::new([7; 32], &[16])],
            spec.genesis.hash,
            1,
        )[0];
        let tx = log.store.begin_write().unwrap();
        log.append_in(
            &tx,
            &Entry::Header {
                chain: spec.chain_id,
                bytes: header.encode().to_vec(),
            },
        )
        .unwrap();
        log.store.commit(tx).unwrap();
        let e = log.blocks().unwrap_err().to_string();
        assert!(e.contains("no stored body"), "{e}");
    }
}
