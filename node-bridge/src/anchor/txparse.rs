//! Just enough transaction decoding to check an anchor without trusting the node's decoder:
//! the txid (SHA-256d of the serialization without witness data) and the output scripts.

use crate::pow::{sha256d, Hash256};

/// A decoded transaction: its txid and output scripts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedTx {
    /// The txid.
    pub txid: Hash256,
    /// Output scripts, in order.
    pub output_scripts: Vec<Vec<u8>>,
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let out = self.data.get(self.pos..end)?;
        self.pos = end;
        Some(out)
    }

    fn varint(&mut self) -> Option<u64> {
        let first = *self.take(1)?.first()?;
        Some(match first {
            0xfd => u16::from_le_bytes(self.take(2)?.try_into().ok()?) as u64,
            0xfe => u32::from_le_bytes(self.take(4)?.try_into().ok()?) as u64,
            0xff => u64::from_le_bytes(self.take(8)?.try_into().ok()?),
            n => n as u64,
        })
    }

    fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = usize::try_from(self.varint()?).ok()?;
        self.take(n)
    }
}

/// Decodes a serialized transaction (with or without segwit data). `None` for anything else
/// (including MWEB-flagged transactions, which anchors never are).
pub fn parse_tx(raw: &[u8]) -> Option<ParsedTx> {
    let mut r = Reader { data: raw, pos: 0 };
    let version = r.take(4)?;
    let mut segwit = false;
    if r.data.get(r.pos) == Some(&0) {
        let flag = *r.data.get(r.pos + 1)?;
        if flag != 1 {
            return None;
        }
        segwit = true;
        r.take(2)?;
    }
    let body_start = r.pos;
    let n_in = r.varint()?;
    for _ in 0..n_in {
        r.take(36)?;
        r.bytes()?;
        r.take(4)?;
    }
    let n_out = r.varint()?;
    let mut output_scripts = Vec::new();
    for _ in 0..n_out {
        r.take(8)?;
        output_scripts.push(r.bytes()?.to_vec());
    }
    let body_end = r.pos;
    if segwit {
        for _ in 0..n_in {
            let items = r.varint()?;
            for _ in 0..items {
                r.bytes()?;
            }
        }
    }
    let locktime = r.take(4)?;
    if r.pos != raw.len() {
        return None;
    }
    let mut stripped = Vec::with_capacity(raw.len());
    stripped.extend_from_slice(version);
    stripped.extend_from_slice(&raw[body_start..body_end]);
    stripped.extend_from_slice(locktime);
    Some(ParsedTx {
        txid: sha256d(&stripped),
        output_scripts,
    })
}
