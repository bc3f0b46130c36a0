//! The host's durable log (redb `host.redb`): every accepted header and every ban, in the order
//! they happened, so that replaying the log rebuilds exactly the same chain states; and the bans
//! waiting for their evidence to be anchored deep enough.

use crate::error::StoreError;
use crate::store::Store;
use redb::{ReadableTable, TableDefinition};
use std::path::Path;

const LOG: TableDefinition<u64, &[u8]> = TableDefinition::new("host_log");
/// evidence id → chain id || farmer public key.
const PENDING_BANS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("host_pending_bans");

const TAG_HEADER: u8 = 1;
const TAG_BAN: u8 = 2;

/// One log entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// An accepted header (its encoding) of a chain.
    Header {
        /// The chain.
        chain: [u8; 32],
        /// The header's encoding.
        bytes: Vec<u8>,
    },
    /// A ban applied to a chain.
    Ban {
        /// The chain.
        chain: [u8; 32],
        /// The banned farmer's public key.
        farmer: [u8; 32],
        /// First banned height.
        from: u64,
    },
}

impl Entry {
    fn encode(&self) -> Vec<u8> {
        match self {
            Entry::Header { chain, bytes } => [&[TAG_HEADER][..], chain, bytes].concat(),
            Entry::Ban {
                chain,
                farmer,
                from,
            } => [&[TAG_BAN][..], chain, farmer, &from.to_be_bytes()].concat(),
        }
    }

    fn decode(b: &[u8]) -> Option<Entry> {
        let chain: [u8; 32] = b.get(1..33)?.try_into().ok()?;
        match *b.first()? {
            TAG_HEADER => Some(Entry::Header {
                chain,
                bytes: b[33..].to_vec(),
            }),
            TAG_BAN if b.len() == 73 => Some(Entry::Ban {
                chain,
                farmer: b[33..65].try_into().ok()?,
                from: u64::from_be_bytes(b[65..73].try_into().ok()?),
            }),
            _ => None,
        }
    }
}

/// A ban waiting for its evidence: (evidence id, chain id, farmer public key).
pub type PendingBan = ([u8; 32], [u8; 32], [u8; 32]);

/// The log.
#[derive(Debug)]
pub struct HostLog {
    store: Store,
}

impl HostLog {
    /// Opens or creates the log.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let store = Store::open(path)?;
        let tx = store.db.begin_write().map_err(|e| store.err(e))?;
        tx.open_table(LOG).map_err(|e| store.err(e))?;
        tx.open_table(PENDING_BANS).map_err(|e| store.err(e))?;
        tx.commit().map_err(|e| store.err(e))?;
        Ok(HostLog { store })
    }

    /// Appends an entry (durable when it returns).
    pub fn append(&self, entry: &Entry) -> Result<(), StoreError> {
        let s = &self.store;
        let tx = s.db.begin_write().map_err(|e| s.err(e))?;
        {
            let mut t = tx.open_table(LOG).map_err(|e| s.err(e))?;
            let next = t
                .last()
                .map_err(|e| s.err(e))?
                .map_or(0, |(k, _)| k.value() + 1);
            t.insert(next, entry.encode().as_slice())
                .map_err(|e| s.err(e))?;
        }
        tx.commit().map_err(|e| s.err(e))
    }

    /// Every entry, in order.
    pub fn entries(&self) -> Result<Vec<Entry>, StoreError> {
        let s = &self.store;
        let tx = s.db.begin_read().map_err(|e| s.err(e))?;
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
    pub fn add_pending_ban(
        &self,
        evidence: &[u8; 32],
        chain: &[u8; 32],
        farmer: &[u8; 32],
    ) -> Result<(), StoreError> {
        let s = &self.store;
        let tx = s.db.begin_write().map_err(|e| s.err(e))?;
        tx.open_table(PENDING_BANS)
            .map_err(|e| s.err(e))?
            .insert(
                evidence.as_slice(),
                [&chain[..], farmer].concat().as_slice(),
            )
            .map_err(|e| s.err(e))?;
        tx.commit().map_err(|e| s.err(e))
    }

    /// Bans waiting: (evidence id, chain, farmer).
    pub fn pending_bans(&self) -> Result<Vec<PendingBan>, StoreError> {
        let s = &self.store;
        let tx = s.db.begin_read().map_err(|e| s.err(e))?;
        let t = tx.open_table(PENDING_BANS).map_err(|e| s.err(e))?;
        let mut out = Vec::new();
        for row in t.iter().map_err(|e| s.err(e))? {
            let (k, v) = row.map_err(|e| s.err(e))?;
            let (k, v) = (k.value(), v.value());
            let bad = || s.corrupt(hex::encode(k), "bad pending ban");
            out.push((
                k.try_into().map_err(|_| bad())?,
                v.get(..32)
                    .and_then(|c| c.try_into().ok())
                    .ok_or_else(bad)?,
                v.get(32..64)
                    .and_then(|c| c.try_into().ok())
                    .ok_or_else(bad)?,
            ));
        }
        Ok(out)
    }

    /// Applies a pending ban: logs it and drops it from the waiting list in one transaction.
    pub fn settle_ban(&self, evidence: &[u8; 32], ban: &Entry) -> Result<(), StoreError> {
        let s = &self.store;
        let tx = s.db.begin_write().map_err(|e| s.err(e))?;
        {
            let mut t = tx.open_table(LOG).map_err(|e| s.err(e))?;
            let next = t
                .last()
                .map_err(|e| s.err(e))?
                .map_or(0, |(k, _)| k.value() + 1);
            t.insert(next, ban.encode().as_slice())
                .map_err(|e| s.err(e))?;
            tx.open_table(PENDING_BANS)
                .map_err(|e| s.err(e))?
                .remove(evidence.as_slice())
                .map_err(|e| s.err(e))?;
        }
        tx.commit().map_err(|e| s.err(e))
    }
}
