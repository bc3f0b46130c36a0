//! The batch tree: RFC 6962 (Certificate Transparency) section 2.1 Merkle Tree Hash over SHA-256,
//! with its leaf/node domain separation and its inclusion proofs.
//!
//! ```text
//! leaf hash   = SHA-256(0x00 || leaf_data)
//! node hash   = SHA-256(0x01 || left || right)
//! MTH({d0})   = leaf hash of d0
//! MTH(D[n])   = node hash(MTH(D[0:k]), MTH(D[k:n])),  k = largest power of two < n
//! ```
//! A batch's leaf data is one tag byte (the item kind) followed by the 32-byte item.
//! An odd node is never duplicated (no CVE-2012-2459 ambiguity), and a leaf can never be
//! mistaken for a node.

use sha2::{Digest, Sha256};

/// A 32-byte tree hash.
pub type Node = [u8; 32];

/// `SHA-256(0x00 || data)`.
pub fn leaf_hash(data: &[u8]) -> Node {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

/// `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Node, right: &Node) -> Node {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

fn split(n: usize) -> usize {
    // Largest power of two strictly below n (n ≥ 2).
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// The root over leaf hashes (`None` for an empty list: batches are never empty).
pub fn root(leaves: &[Node]) -> Option<Node> {
    match leaves.len() {
        0 => None,
        1 => Some(leaves[0]),
        n => {
            let k = split(n);
            Some(node_hash(&root(&leaves[..k])?, &root(&leaves[k..])?))
        }
    }
}

/// The inclusion path of leaf `index` (RFC 6962 section 2.1.1), from the leaf up.
pub fn path(leaves: &[Node], index: usize) -> Option<Vec<Node>> {
    if index >= leaves.len() {
        return None;
    }
    let mut out = Vec::new();
    fn walk(leaves: &[Node], index: usize, out: &mut Vec<Node>) -> Option<()> {
        if leaves.len() <= 1 {
            return Some(());
        }
        let k = split(leaves.len());
        if index < k {
            walk(&leaves[..k], index, out)?;
            out.push(root(&leaves[k..])?);
        } else {
            walk(&leaves[k..], index - k, out)?;
            out.push(root(&leaves[..k])?);
        }
        Some(())
    }
    walk(leaves, index, &mut out)?;
    Some(out)
}

/// Recomputes the root from a leaf hash, its index, the tree size and its path (RFC 9162
/// section 2.1.3.2); `None` when the path does not fit the index and size.
pub fn root_from_path(leaf: &Node, index: u64, size: u64, path: &[Node]) -> Option<Node> {
    if index >= size {
        return None;
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = *leaf;
    for p in path {
        if s == 0 {
            return None;
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            if f & 1 == 0 {
                while f & 1 == 0 && f != 0 {
                    f >>= 1;
                    s >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    (s == 0).then_some(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Node {
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out).unwrap();
        out
    }

    // Certificate Transparency's reference test data (RFC 6962 trees): the leaf inputs, the roots
    // of the trees of their first 1..8 leaves, and two audit paths.
    const LEAVES: [&str; 8] = [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ];
    const ROOTS: [&str; 8] = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    fn leaves() -> Vec<Node> {
        LEAVES
            .iter()
            .map(|l| leaf_hash(&hex::decode(l).unwrap()))
            .collect()
    }

    #[test]
    fn reference_roots() {
        let l = leaves();
        for n in 1..=8 {
            assert_eq!(root(&l[..n]).unwrap(), h(ROOTS[n - 1]), "size {n}");
        }
        assert_eq!(root(&[]), None);
    }

    #[test]
    fn reference_paths() {
        let l = leaves();
        let p0 = [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ];
        let p5 = [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ];
        assert_eq!(path(&l, 0).unwrap(), p0.map(h).to_vec());
        assert_eq!(path(&l, 5).unwrap(), p5.map(h).to_vec());
    }

    #[test]
    fn every_path_verifies_and_tampering_fails() {
        let l: Vec<Node> = (0..37u8)
            .map(|i| leaf_hash(&[i, i.wrapping_mul(7)]))
            .collect();
        for n in 1..=l.len() {
            let r = root(&l[..n]).unwrap();
            for i in 0..n {
                let p = path(&l[..n], i).unwrap();
                assert_eq!(root_from_path(&l[i], i as u64, n as u64, &p), Some(r));
                let wrong = (i + 1) % n;
                if wrong != i {
                    assert_ne!(root_from_path(&l[wrong], i as u64, n as u64, &p), Some(r));
                }
                if let Some((_, shorter)) = p.split_last() {
                    assert_ne!(root_from_path(&l[i], i as u64, n as u64, shorter), Some(r));
                }
                assert_eq!(root_from_path(&l[i], n as u64, n as u64, &p), None);
            }
        }
    }
}
