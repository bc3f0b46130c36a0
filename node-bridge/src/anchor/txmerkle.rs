//! The block's transaction merkle tree (Bitcoin/Litecoin consensus): SHA-256d over txids in
//! internal byte order, the last node of an odd level paired with itself.

use crate::pow::{sha256d, Hash256};

fn parent(l: &Hash256, r: &Hash256) -> Hash256 {
    let mut buf = [0u8; 64];
    buf[..32].copy_from_slice(&l.0);
    buf[32..].copy_from_slice(&r.0);
    sha256d(&buf)
}

/// The merkle root of `txids` (`None` for none).
pub fn merkle_root(txids: &[Hash256]) -> Option<Hash256> {
    if txids.is_empty() {
        return None;
    }
    let mut level = txids.to_vec();
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|c| parent(&c[0], c.get(1).unwrap_or(&c[0])))
            .collect();
    }
    Some(level[0])
}

/// The sibling path of transaction `index`, from the bottom up.
pub fn merkle_path(txids: &[Hash256], index: usize) -> Option<Vec<Hash256>> {
    if index >= txids.len() {
        return None;
    }
    let mut out = Vec::new();
    let mut level = txids.to_vec();
    let mut i = index;
    while level.len() > 1 {
        let sibling = if i & 1 == 0 {
            *level.get(i + 1).unwrap_or(&level[i])
        } else {
            level[i - 1]
        };
        out.push(sibling);
        level = level
            .chunks(2)
            .map(|c| parent(&c[0], c.get(1).unwrap_or(&c[0])))
            .collect();
        i /= 2;
    }
    Some(out)
}

/// Folds a txid up its path: the root it proves membership in.
pub fn root_from_path(txid: &Hash256, index: u64, path: &[Hash256]) -> Hash256 {
    let mut r = *txid;
    let mut i = index;
    for s in path {
        r = if i & 1 == 0 {
            parent(&r, s)
        } else {
            parent(s, &r)
        };
        i /= 2;
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_fold_to_the_root() {
        let txids: Vec<Hash256> = (0..11u8).map(|i| sha256d(&[i])).collect();
        for n in 1..=txids.len() {
            let root = merkle_root(&txids[..n]).unwrap();
            for i in 0..n {
                let p = merkle_path(&txids[..n], i).unwrap();
                assert_eq!(root_from_path(&txids[i], i as u64, &p), root);
            }
        }
        // One transaction: the root is the txid itself (as in every coinbase-only block).
        assert_eq!(merkle_root(&txids[..1]), Some(txids[0]));
    }
}
