//! The host's durable log (tables `host_log` and `host_pending_bans` of the bridge's database):
//! every accepted header and every ban, in the order they happened, so that replaying the log
//! rebuilds exactly the same chain states; and the bans waiting for their evidence to be anchored
//! deep enough.

use crate::error::StoreError;
use crate::store::Store;
use masspoc_proof::FarmerPublicKey;
use masspoc_verifier::{ChainId, EvidenceId, Height};
use redb::{ReadableTable, TableDefinition};
use std::path::Path;
use std::sync::Arc;

pub(crate) const LOG: TableDefinition<u64, &[u8]> = TableDefinition::new("host_log");
/// evidence id → chain id || farmer public key.
pub(crate) const PENDING_BANS: TableDefinition<&[u8], &[u8]> =
    TableDefinition::new("host_pending_bans");

const TAG_HEADER: u8 = 1;
const TAG_BAN: u8 = 2;

/// One log entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// An accepted header (its encoding) of a chain.
    Header {
        /// The chain.
        chain: ChainId,
        /// The header's encoding.
        bytes: Vec<u8>,
    },
    /// A ban applied to a chain.
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

/// A ban waiting for its evidence to be anchored deep enough.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingBan {
    /// The evidence that proves the equivocation.
    pub evidence: EvidenceId,
    /// The chain the farmer is banned on.
    pub chain: ChainId,
    /// The equivocating farmer.
    pub farmer: FarmerPublicKey,
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

    /// The log in an open database (its tables created if missing).
    pub fn on(store: Arc<Store>) -> Result<Self, StoreError> {
        let tx = store.begin_write()?;
        tx.open_table(LOG).map_err(|e| store.err(e))?;
        tx.open_table(PENDING_BANS).map_err(|e| store.err(e))?;
        store.commit(tx)?;
        Ok(HostLog { store })
    }

    /// Appends an entry (durable when it returns).
    pub fn append(&self, entry: &Entry) -> Result<(), StoreError> {
        let tx = self.store.begin_write()?;
        self.append_in(&tx, entry)?;
        self.store.commit(tx)
    }

    /// Appends an entry inside the caller's write transaction.
    pub fn append_in(&self, tx: &redb::WriteTransaction, entry: &Entry) -> Result<(), StoreError> {
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

    /// Records a ban waiting for its evidence's anchor.
    pub fn add_pending_ban(&self, ban: &PendingBan) -> Result<(), StoreError> {
        let tx = self.store.begin_write()?;
        self.add_pending_ban_in(&tx, ban)?;
        self.store.commit(tx)
    }

    /// [`HostLog::add_pending_ban`] inside the caller's write transaction.
    pub fn add_pending_ban_in(
        &self,
        tx: &redb::WriteTransaction,
        ban: &PendingBan,
    ) -> Result<(), StoreError> {
        let s = &self.store;
        tx.open_table(PENDING_BANS)
            .map_err(|e| s.err(e))?
            .insert(
                ban.evidence.as_bytes().as_slice(),
                [&ban.chain.0[..], &ban.farmer.0[..]].concat().as_slice(),
            )
            .map_err(|e| s.err(e))?;
        Ok(())
    }

    /// The bans waiting for their evidence.
    pub fn pending_bans(&self) -> Result<Vec<PendingBan>, StoreError> {
        let s = &self.store;
        let tx = s.db.begin_read().map_err(|e| s.err(e))?;
        let t = tx.open_table(PENDING_BANS).map_err(|e| s.err(e))?;
        let mut out = Vec::new();
        for row in t.iter().map_err(|e| s.err(e))? {
            let (k, v) = row.map_err(|e| s.err(e))?;
            let (k, v) = (k.value(), v.value());
            let bad = || s.corrupt(hex::encode(k), "bad pending ban");
            let bytes32 = |b: Option<&[u8]>| -> Result<[u8; 32], StoreError> {
                b.and_then(|b| b.try_into().ok()).ok_or_else(bad)
            };
            out.push(PendingBan {
                evidence: EvidenceId(bytes32(Some(k))?),
                chain: ChainId(bytes32(v.get(..32))?),
                farmer: FarmerPublicKey(bytes32(v.get(32..64))?),
            });
        }
        Ok(out)
    }

    /// Applies a pending ban: logs it and drops it from the waiting list in one transaction.
    pub fn settle_ban(&self, evidence: &EvidenceId, ban: &Entry) -> Result<(), StoreError> {
        let tx = self.store.begin_write()?;
        self.append_in(&tx, ban)?;
        self.remove_pending_ban_in(&tx, evidence)?;
        self.store.commit(tx)
    }

    /// Drops a ban from the waiting list inside the caller's write transaction.
    pub fn remove_pending_ban_in(
        &self,
        tx: &redb::WriteTransaction,
        evidence: &EvidenceId,
    ) -> Result<(), StoreError> {
        let s = &self.store;
        tx.open_table(PENDING_BANS)
            .map_err(|e| s.err(e))?
            .remove(evidence.as_bytes().as_slice())
            .map_err(|e| s.err(e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A log written byte by byte in the documented layout (as versions before the typed entries
    /// wrote it) reads back as the same typed entries and bans, and typed writes give those bytes.
    #[test]
    fn the_on_disk_layout_is_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("host.redb");
        let header_row = [&[1u8][..], &[0xc1; 32], b"header bytes"].concat();
        let mut ban_row = [&[2u8][..], &[0xc1; 32], &[0xfa; 32]].concat();
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
        let header = Entry::Header {
            chain: ChainId([0xc1; 32]),
            bytes: b"header bytes".to_vec(),
        };
        let ban = Entry::Ban {
            chain: ChainId([0xc1; 32]),
            farmer: FarmerPublicKey([0xfa; 32]),
            from: Height(7),
        };
        assert_eq!(log.entries().unwrap(), vec![header.clone(), ban.clone()]);
        assert_eq!(header.encode(), header_row);
        assert_eq!(ban.encode(), ban_row);
        let pending = PendingBan {
            evidence: EvidenceId([0xee; 32]),
            chain: ChainId([0xc1; 32]),
            farmer: FarmerPublicKey([0xfb; 32]),
        };
        assert_eq!(log.pending_bans().unwrap(), vec![pending]);
        // Settling moves it from the waiting list to the log.
        log.settle_ban(&pending.evidence, &ban).unwrap();
        assert!(log.pending_bans().unwrap().is_empty());
        assert_eq!(log.entries().unwrap().len(), 3);
        log.add_pending_ban(&pending).unwrap();
        assert_eq!(log.pending_bans().unwrap(), vec![pending]);
    }
}
