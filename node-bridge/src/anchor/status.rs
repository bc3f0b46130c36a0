//! What the anchorer is doing, for logs, `GET /v1/health` and `/metrics`: how much waits, and
//! why nothing new goes out when something holds it (the fee budget, anchors waiting for a
//! block). Holding never drops anything: every item stays queued.

use super::budget::{Exhausted, FeeBudget};

/// Why the anchorer sends no new transaction now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hold {
    /// `unconfirmed` anchors are sent and not in a block, at or above the bound.
    WaitingForBlocks {
        /// Anchors waiting for a block.
        unconfirmed: u64,
        /// The bound (`max_unconfirmed`).
        max: u64,
    },
    /// The node refuses more unconfirmed descendants (`too-long-mempool-chain`).
    MempoolChain {
        /// Anchors waiting for a block.
        unconfirmed: u64,
    },
    /// A fee budget is used up.
    Budget(Exhausted),
}

impl Hold {
    /// A short machine-readable reason: `waiting_for_blocks`, `mempool_chain`,
    /// `budget_hour`, `budget_day`.
    pub fn reason(&self) -> &'static str {
        match self {
            Hold::WaitingForBlocks { .. } => "waiting_for_blocks",
            Hold::MempoolChain { .. } => "mempool_chain",
            Hold::Budget(e) => match e.window {
                super::budget::Window::Hour => "budget_hour",
                super::budget::Window::Day => "budget_day",
            },
        }
    }

    /// When the hold ends by itself (unix ms), if that is known.
    pub fn until_ms(&self) -> Option<u64> {
        match self {
            Hold::Budget(e) => e.until_ms,
            _ => None,
        }
    }

    /// The sentence logged and shown by `health`.
    pub fn message(&self) -> String {
        match self {
            Hold::WaitingForBlocks { unconfirmed, max } => format!(
                "{unconfirmed} anchors waiting for a block; is anybody mining? (no new anchor \
                 transaction until fewer than {max} wait; everything stays queued)"
            ),
            Hold::MempoolChain { unconfirmed } => format!(
                "{unconfirmed} anchors waiting for a block; is anybody mining? (the node refuses \
                 a longer chain of unconfirmed transactions: too-long-mempool-chain; everything \
                 stays queued)"
            ),
            Hold::Budget(e) => {
                let when = match e.until_ms {
                    Some(ms) => format!("until {}", utc(ms)),
                    None => "for good: one anchor costs more than the whole budget".to_string(),
                };
                format!(
                    "anchoring fee budget per {} exhausted ({} of {} litoshi spent); no new anchor \
                     transaction {when}; everything stays queued",
                    e.window.name(),
                    e.spent,
                    e.budget
                )
            }
        }
    }
}

/// The anchorer after its last pass.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnchorStatus {
    /// Items queued for a batch (side-branch headers held back included).
    pub queued: u64,
    /// Anchors sent (or signed) and not yet in a block.
    pub unconfirmed: u64,
    /// Why nothing new goes out, if something holds it.
    pub hold: Option<Hold>,
    /// Fees of the last hour and the last day (litoshi).
    pub spent_hour: u64,
    /// See `spent_hour`.
    pub spent_day: u64,
    /// The budget in force.
    pub budget: Option<FeeBudget>,
}

/// A unix time in milliseconds as `YYYY-MM-DDTHH:MM:SSZ` (UTC; proleptic Gregorian).
pub fn utc(ms: u64) -> String {
    let secs = ms / 1000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Howard Hinnant's days-from-civil inverse, on days since 1970-01-01.
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anchor::budget::Window;

    #[test]
    fn utc_times_match_known_dates() {
        // `date -u -d @0`, `@951782400` (a leap day), `@1767225600`.
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc(951_782_400_000), "2000-02-29T00:00:00Z");
        assert_eq!(utc(1_767_225_600_000), "2026-01-01T00:00:00Z");
        assert_eq!(utc(1_767_225_600_000 + 3_723_000), "2026-01-01T01:02:03Z");
    }

    #[test]
    fn messages_say_what_holds_and_until_when() {
        let m = Hold::WaitingForBlocks {
            unconfirmed: 10,
            max: 10,
        }
        .message();
        assert!(
            m.starts_with("10 anchors waiting for a block; is anybody mining?"),
            "{m}"
        );
        let h = Hold::Budget(Exhausted {
            window: Window::Hour,
            spent: 9_000,
            budget: 10_000,
            until_ms: Some(1_767_225_600_000),
        });
        assert_eq!(h.reason(), "budget_hour");
        assert!(
            h.message().contains("until 2026-01-01T00:00:00Z"),
            "{}",
            h.message()
        );
        assert!(h.message().contains("everything stays queued"));
    }
}
