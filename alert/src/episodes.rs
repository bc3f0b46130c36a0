//! Episodes: which conditions are new since the last sample, which ended, and which of the new
//! ones the rate limit lets through.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Debug;
use std::hash::Hash;
use std::sync::{Mutex, MutexGuard, PoisonError};
use tracing::{info, warn};

/// A kind of alert: a small enum with a stable name (`plot_missing`, `fee_budget_exhausted`).
pub trait Kind: Copy + Ord + Hash + Debug + Send + 'static {
    /// Its name in JSON and logs.
    fn name(self) -> &'static str;
}

/// A condition seen at one sample.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition<K> {
    /// Its kind.
    pub kind: K,
    /// Where: a plot path, a directory, a chain, a harvester id, a wallet.
    pub subject: String,
    /// What happened.
    pub what: String,
    /// What to do about it.
    pub todo: String,
}

/// A condition that holds, and since when (ms since the Unix epoch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Episode<K> {
    /// The condition as first seen.
    pub condition: Condition<K>,
    /// When the episode started.
    pub since_ms: u64,
}

/// The open episodes and the last delivery of each kind.
pub struct Episodes<K> {
    min_interval_ms: u64,
    open: Mutex<BTreeMap<(K, String), Episode<K>>>,
    last_sent: Mutex<HashMap<K, u64>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<K: Kind> Episodes<K> {
    /// No episode open; at most one delivery per kind every `min_interval_ms`.
    #[must_use]
    pub fn new(min_interval_ms: u64) -> Self {
        Episodes {
            min_interval_ms,
            open: Mutex::new(BTreeMap::new()),
            last_sent: Mutex::new(HashMap::new()),
        }
    }

    /// Takes the conditions seen at `now_ms`: starts an episode (and logs a `warn` line) for
    /// each new one, ends those no longer seen. Returns the new ones the rate limit lets through,
    /// to be delivered when `delivers` (with nothing to deliver to, nothing is rate-limited).
    pub fn observe(
        &self,
        now_ms: u64,
        conditions: Vec<Condition<K>>,
        delivers: bool,
    ) -> Vec<Condition<K>> {
        let mut fresh = Vec::new();
        {
            let mut open = lock(&self.open);
            let mut seen: BTreeMap<(K, String), Condition<K>> = BTreeMap::new();
            for c in conditions {
                seen.entry((c.kind, c.subject.clone())).or_insert(c);
            }
            open.retain(|key, _| {
                let still = seen.contains_key(key);
                if !still {
                    info!(kind = key.0.name(), subject = %key.1, "alert cleared");
                }
                still
            });
            for (key, c) in seen {
                if open.contains_key(&key) {
                    continue;
                }
                warn!(kind = c.kind.name(), subject = %c.subject, what = %c.what, todo = %c.todo, "alert");
                open.insert(
                    key,
                    Episode {
                        condition: c.clone(),
                        since_ms: now_ms,
                    },
                );
                fresh.push(c);
            }
        }
        if !delivers {
            return Vec::new();
        }
        let mut last = lock(&self.last_sent);
        fresh
            .into_iter()
            .filter(|c| match last.get(&c.kind) {
                Some(&t) if now_ms.saturating_sub(t) < self.min_interval_ms => {
                    info!(kind = c.kind.name(), subject = %c.subject,
                        min_interval_secs = self.min_interval_ms / 1000,
                        "alert not sent again so soon (rate limit)");
                    false
                }
                _ => {
                    last.insert(c.kind, now_ms);
                    true
                }
            })
            .collect()
    }

    /// The episodes open now, by kind and subject.
    #[must_use]
    pub fn active(&self) -> Vec<Episode<K>> {
        lock(&self.open).values().cloned().collect()
    }
}
