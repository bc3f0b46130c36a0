//! Range sync over a [`ChainSink`]: the block locator a node sends, and the answers to
//! [`SyncRequest`]s it serves. Pure over the sink's reads.
//!
//! A locator lists the requester's best chain newest first: the ten newest blocks, then every
//! 2nd, 4th, 8th … back, and genesis last (Bitcoin's `getheaders` locator). The responder finds
//! the first hash on its own best chain (the fork point) and sends its best chain after it.

use crate::message::{SyncRequest, MAX_LOCATOR, MAX_SYNC_HEADERS};
use crate::sink::ChainSink;
use masspoc_verifier::{Block, ChainId, HeaderHash, Height};

/// The locator of `chain`'s best chain (empty for a chain the sink does not host).
#[must_use]
pub fn locator(sink: &dyn ChainSink, chain: &ChainId) -> Vec<HeaderHash> {
    let Some((tip, _, _)) = sink.best(chain) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut height = tip.0;
    let mut step = 1u64;
    loop {
        if let Some(h) = sink.main_at(chain, Height(height)) {
            out.push(h);
        }
        if height == 0 || out.len() + 1 >= MAX_LOCATOR {
            break;
        }
        if out.len() >= 10 {
            step = step.saturating_mul(2);
        }
        height = height.saturating_sub(step);
    }
    if height != 0 {
        if let Some(g) = sink.main_at(chain, Height(0)) {
            out.push(g);
        }
    }
    out
}

/// The blocks (headers and bodies) a [`SyncRequest`] asks for (empty for an unhosted chain).
#[must_use]
pub fn answer(sink: &dyn ChainSink, request: &SyncRequest) -> Vec<Block> {
    match request {
        SyncRequest::Headers {
            chain,
            locator,
            have,
            limit,
        } => headers_after(sink, chain, locator, *have, *limit),
        SyncRequest::Ancestors {
            chain,
            hash,
            limit,
            locator,
        } => ancestors(sink, chain, hash, *limit, locator),
        #[allow(unreachable_patterns)]
        _ => Vec::new(),
    }
}

fn headers_after(
    sink: &dyn ChainSink,
    chain: &ChainId,
    locator: &[HeaderHash],
    have: u128,
    limit: u64,
) -> Vec<Block> {
    let Some((_, _, cumulative)) = sink.best(chain) else {
        return Vec::new();
    };
    if cumulative <= have {
        return Vec::new();
    }
    let fork = locator
        .iter()
        .take(MAX_LOCATOR)
        .find_map(|hash| {
            let height = match sink.block(chain, hash) {
                Some(b) => b.header.height,
                None if sink.main_at(chain, Height(0)) == Some(*hash) => Height(0),
                None => return None,
            };
            (sink.main_at(chain, height) == Some(*hash)).then_some(height)
        })
        .unwrap_or(Height(0));
    sink.main_blocks(
        chain,
        Height(fork.0.saturating_add(1)),
        limit.min(MAX_SYNC_HEADERS),
    )
}

fn ancestors(
    sink: &dyn ChainSink,
    chain: &ChainId,
    hash: &HeaderHash,
    limit: u64,
    locator: &[HeaderHash],
) -> Vec<Block> {
    let limit = usize::try_from(limit.min(MAX_SYNC_HEADERS)).unwrap_or(0);
    let have: std::collections::HashSet<&HeaderHash> = locator.iter().take(MAX_LOCATOR).collect();
    let mut out = Vec::new();
    let mut next = *hash;
    while out.len() < limit && !have.contains(&next) {
        let Some(b) = sink.block(chain, &next) else {
            break;
        };
        next = b.header.prev_hash;
        out.push(b);
    }
    out.reverse();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memsink::MemSink;
    use masspoc_verifier::testkit::{bench_params, grow_chain, TestFarmer};
    use masspoc_verifier::{ChainSpec, ChainState};

    #[test]
    fn locators_find_the_fork_point_and_answers_stay_bounded() {
        let spec = ChainSpec::new(bench_params()).unwrap();
        let chain = spec.chain_id;
        let mut full = ChainState::new(spec.clone());
        let main = grow_chain(
            &full,
            &[TestFarmer::new([1; 32], &[16])],
            spec.genesis.hash,
            100,
        );
        for h in &main {
            full.accept_header(h, None).unwrap();
        }
        let responder = MemSink::new(full.clone());
        // Locator of a 100-block chain: 10 dense, then doubling steps, genesis last.
        let loc = locator(&responder, &chain);
        assert_eq!(loc[0], main[99].hash());
        assert_eq!(loc[9], main[90].hash());
        assert_eq!(loc[10], main[88].hash());
        assert_eq!(*loc.last().unwrap(), spec.genesis.hash);
        assert!(loc.len() < 20);

        // A requester on a lighter branch off height 40.
        let mut side = ChainState::new(spec.clone());
        for h in &main[..40] {
            side.accept_header(h, None).unwrap();
        }
        let branch = grow_chain(
            &side,
            &[TestFarmer::new([2; 32], &[16])],
            main[39].hash(),
            3,
        );
        for h in &branch {
            side.accept_header(h, None).unwrap();
        }
        let requester = MemSink::new(side);
        let (_, _, have) = requester.best(&chain).unwrap();
        let ask = |limit| SyncRequest::Headers {
            chain,
            locator: locator(&requester, &chain),
            have,
            limit,
        };
        let got = answer(&responder, &ask(1000));
        assert_eq!(got.len(), 60, "heights 41..=100");
        assert_eq!(got[0].header, main[40]);
        assert_eq!(answer(&responder, &ask(7)).len(), 7);
        // Not heavier than what the requester has: nothing.
        let (_, _, top) = responder.best(&chain).unwrap();
        let same = SyncRequest::Headers {
            chain,
            locator: locator(&responder, &chain),
            have: top,
            limit: 10,
        };
        assert!(answer(&responder, &same).is_empty());
        // An unhosted chain: nothing.
        let other = SyncRequest::Headers {
            chain: ChainId([9; 32]),
            locator: vec![],
            have: 0,
            limit: 10,
        };
        assert!(answer(&responder, &other).is_empty());

        // Ancestors stop at what the requester has, and at the limit.
        let anc = |limit, locator| SyncRequest::Ancestors {
            chain,
            hash: main[59].hash(),
            limit,
            locator,
        };
        let got = answer(&responder, &anc(64, locator(&requester, &chain)));
        assert_eq!(
            got.first().map(|b| b.header),
            Some(main[40]),
            "stops above the fork point"
        );
        assert_eq!(got.last().map(|b| b.header), Some(main[59]));
        let got = answer(&responder, &anc(5, vec![]));
        assert_eq!(
            got,
            main[55..60]
                .iter()
                .copied()
                .map(Block::empty)
                .collect::<Vec<_>>()
        );
        let got = answer(&responder, &anc(u64::MAX, vec![]));
        assert_eq!(got.len(), 60, "back to height 1, never genesis");
    }
}
