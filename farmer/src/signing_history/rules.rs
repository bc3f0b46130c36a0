//! The slashing-protection rule as one pure function: what may be signed at a (chain, height)
//! given what was signed there before.

use masspoc_verifier::HeaderHash;

/// The answer of [`check`] for one signing request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Nothing was signed at this chain and height: record the header, then sign.
    Record,
    /// This very header was signed here before: signing it again is a safe re-broadcast (ed25519
    /// is deterministic, so the signature is the same bytes) and nothing new is recorded.
    Rebroadcast,
    /// Another header was signed here: signing would give two signed headers for one chain and
    /// height, the evidence of equivocation. Refused.
    Refuse {
        /// The header hash already signed at this chain and height.
        existing: HeaderHash,
    },
}

impl Decision {
    /// Whether a signature may be released.
    #[must_use]
    pub fn allows_signing(self) -> bool {
        !matches!(self, Decision::Refuse { .. })
    }
}

/// The rule, for one (chain, height): `existing` is the header hash already signed there (if
/// any), `new` the header hash asked for.
///
/// - nothing signed → [`Decision::Record`];
/// - the same hash → [`Decision::Rebroadcast`];
/// - another hash → [`Decision::Refuse`].
///
/// The store applies it inside one write transaction, and refuses outright at a height where an
/// import brought in two different hashes (`docs/signing-history.md`).
#[must_use]
pub fn check(existing: Option<HeaderHash>, new: HeaderHash) -> Decision {
    match existing {
        None => Decision::Record,
        Some(old) if old == new => Decision::Rebroadcast,
        Some(old) => Decision::Refuse { existing: old },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    #[test]
    fn the_three_cases() {
        let h = |b| HeaderHash([b; 32]);
        assert_eq!(check(None, h(1)), Decision::Record);
        assert_eq!(check(Some(h(1)), h(1)), Decision::Rebroadcast);
        assert_eq!(check(Some(h(1)), h(2)), Decision::Refuse { existing: h(1) });
        assert!(Decision::Record.allows_signing());
        assert!(Decision::Rebroadcast.allows_signing());
        assert!(!Decision::Refuse { existing: h(0) }.allows_signing());
    }

    proptest! {
        /// Driving the rule over any request sequence (recording what it says to record) never
        /// allows two different hashes at one (chain, height).
        #[test]
        fn never_two_hashes_at_one_height(
            requests in proptest::collection::vec((0u8..3, 0u64..4, 0u8..3), 0..200)
        ) {
            let mut recorded: HashMap<(u8, u64), HeaderHash> = HashMap::new();
            let mut signed: HashMap<(u8, u64), HeaderHash> = HashMap::new();
            for (chain, height, h) in requests {
                let hash = HeaderHash([h; 32]);
                let decision = check(recorded.get(&(chain, height)).copied(), hash);
                if decision == Decision::Record {
                    recorded.insert((chain, height), hash);
                }
                if decision.allows_signing() {
                    let first = *signed.entry((chain, height)).or_insert(hash);
                    prop_assert_eq!(first, hash);
                }
            }
        }
    }
}
