//! Ancestor lookups in `O(log n)`: every block keeps one skip pointer to an earlier ancestor, at
//! the height Bitcoin Core's `GetSkipHeight` gives (`chain.cpp`), so walking down to any height
//! takes a logarithmic number of steps on any branch.

use super::Node;
use crate::types::{HeaderHash, Height};
use std::collections::HashMap;

/// `n` with its lowest set bit cleared.
fn invert_lowest_one(n: u64) -> u64 {
    n & n.wrapping_sub(1)
}

/// The height of the ancestor a block at `height` keeps its skip pointer to.
#[must_use]
pub fn skip_height(height: u64) -> u64 {
    if height < 2 {
        return 0;
    }
    if height & 1 == 1 {
        invert_lowest_one(invert_lowest_one(height - 1)) + 1
    } else {
        invert_lowest_one(height)
    }
}

/// The ancestor at `height` of the known block `from` (itself at its own height); `None` if
/// `height` is above it or a link is missing.
#[must_use]
pub fn ancestor(
    nodes: &HashMap<HeaderHash, Node>,
    from: &HeaderHash,
    height: Height,
) -> Option<HeaderHash> {
    let target = height.0;
    let mut walk = nodes.get(from)?;
    if target > walk.height.0 {
        return None;
    }
    while walk.height.0 > target {
        let h = walk.height.0;
        let hs = skip_height(h);
        let hs_prev = skip_height(h - 1);
        let take_skip = hs == target || (hs > target && !(hs_prev + 2 < hs && hs_prev >= target));
        let next = if take_skip { walk.skip } else { walk.parent };
        walk = nodes.get(&next)?;
    }
    Some(walk.hash)
}

/// Whether the known block `block` is `root` or one of its descendants.
#[must_use]
pub fn descends_from(
    nodes: &HashMap<HeaderHash, Node>,
    block: &HeaderHash,
    root: &HeaderHash,
) -> bool {
    let Some(r) = nodes.get(root) else {
        return false;
    };
    ancestor(nodes, block, r.height) == Some(*root)
}

#[cfg(test)]
mod tests {
    use super::skip_height;

    #[test]
    fn skip_heights_are_below_and_match_bitcoin_core() {
        // GetSkipHeight of Bitcoin Core for heights 0..=12 and 1024, 1025.
        let expected = [0, 0, 0, 1, 0, 1, 4, 1, 0, 1, 8, 1, 8];
        for (h, e) in expected.iter().enumerate() {
            assert_eq!(skip_height(h as u64), *e, "height {h}");
        }
        assert_eq!(skip_height(1024), 0);
        assert_eq!(skip_height(1025), 1);
        for h in 2..5_000u64 {
            assert!(skip_height(h) < h);
        }
    }
}
