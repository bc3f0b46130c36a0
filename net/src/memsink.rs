//! An in-memory [`ChainSink`] over a [`ChainState`] (feature `testkit`): the crate's tests and
//! the `sync_rate` example.

use crate::sink::{ChainSink, Verdict};
use masspoc_verifier::{ChainId, ChainState, Evidence, Header, HeaderHash, Height};
use std::sync::Mutex;

/// A chain node in memory; `permissive` accepts anything (a junk peer's view).
#[derive(Debug)]
pub struct MemSink {
    /// The chain.
    pub state: Mutex<ChainState>,
    /// Every header offered to `accept_header`.
    pub offered: Mutex<Vec<HeaderHash>>,
    /// Accept everything without checking (and without storing).
    pub permissive: bool,
}

impl MemSink {
    /// A node holding `state`.
    #[must_use]
    pub fn new(state: ChainState) -> Self {
        MemSink {
            state: Mutex::new(state),
            offered: Mutex::new(Vec::new()),
            permissive: false,
        }
    }

    /// The best height.
    #[must_use]
    pub fn height(&self) -> u64 {
        self.state.lock().unwrap().best().height.0
    }

    /// The best tip's hash.
    #[must_use]
    pub fn tip(&self) -> HeaderHash {
        self.state.lock().unwrap().best().hash
    }
}

impl ChainSink for MemSink {
    fn chain_ids(&self) -> Vec<ChainId> {
        vec![self.state.lock().unwrap().spec().chain_id]
    }

    fn best(&self, chain: &ChainId) -> Option<(Height, HeaderHash, u128)> {
        let s = self.state.lock().unwrap();
        (s.spec().chain_id == *chain).then(|| (s.best().height, s.best().hash, s.best().cumulative))
    }

    fn main_at(&self, _chain: &ChainId, height: Height) -> Option<HeaderHash> {
        self.state.lock().unwrap().main_at(height)
    }

    fn header(&self, _chain: &ChainId, hash: &HeaderHash) -> Option<Header> {
        self.state.lock().unwrap().node(hash).and_then(|n| n.header)
    }

    fn main_headers(&self, _chain: &ChainId, from: Height, limit: u64) -> Vec<Header> {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        self.state.lock().unwrap().main_headers(from, limit)
    }

    fn accept_header(&self, _chain: &ChainId, header: &Header) -> Verdict {
        self.offered.lock().unwrap().push(header.hash());
        if self.permissive {
            return Verdict::New { best: true };
        }
        match self.state.lock().unwrap().accept_header(header, None) {
            Ok(a) => Verdict::of_accepted(&a),
            Err(e) => Verdict::of_reject(&e),
        }
    }

    fn accept_evidence(&self, _evidence: &Evidence) -> Verdict {
        Verdict::Known
    }
}
