//! The bridge's Prometheus metrics: counters updated by the HTTP handlers and the bridge loop,
//! rendered as Prometheus text (`GET /metrics`) together with gauges read at scrape time.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Counters of one bridge process.
#[derive(Debug, Default)]
pub struct BridgeMetrics {
    /// Headers accepted (new or known again).
    pub submissions_accepted: AtomicU64,
    /// Headers refused, by rejection code.
    pub submissions_rejected: Mutex<BTreeMap<String, u64>>,
    /// Evidence submissions accepted.
    pub evidence_submitted: AtomicU64,
    /// PoW headers added by the follower.
    pub pow_headers_added: AtomicU64,
    /// PoW headers removed by reorganisations.
    pub pow_headers_removed: AtomicU64,
    /// Follower passes that failed (node unreachable, RPC errors).
    pub follow_errors: AtomicU64,
    /// Anchoring passes that failed (node unreachable, wallet, RPC errors).
    pub anchor_errors: AtomicU64,
}

/// Adds `n` to a counter.
pub fn add(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Ordering::Relaxed);
}

fn line(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

impl BridgeMetrics {
    /// Counts a refused submission.
    pub fn rejected(&self, code: &str) {
        if let Ok(mut m) = self.submissions_rejected.lock() {
            *m.entry(code.to_string()).or_default() += 1;
        }
    }

    /// Appends the counters in Prometheus text format.
    pub fn render(&self, out: &mut String) {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        line(
            out,
            "masspoc_bridge_submissions_accepted_total",
            "counter",
            "Headers accepted.",
        );
        let _ = writeln!(
            out,
            "masspoc_bridge_submissions_accepted_total {}",
            get(&self.submissions_accepted)
        );
        line(
            out,
            "masspoc_bridge_submissions_rejected_total",
            "counter",
            "Headers refused, by reason.",
        );
        if let Ok(m) = self.submissions_rejected.lock() {
            for (code, n) in m.iter() {
                let _ = writeln!(
                    out,
                    "masspoc_bridge_submissions_rejected_total{{reason=\"{code}\"}} {n}"
                );
            }
        }
        for (name, help, c) in [
            (
                "masspoc_bridge_evidence_submitted_total",
                "Evidence submissions accepted.",
                &self.evidence_submitted,
            ),
            (
                "masspoc_bridge_pow_headers_added_total",
                "PoW headers checked and added by the follower.",
                &self.pow_headers_added,
            ),
            (
                "masspoc_bridge_pow_headers_removed_total",
                "PoW headers dropped by reorganisations.",
                &self.pow_headers_removed,
            ),
            (
                "masspoc_bridge_follow_errors_total",
                "Follower passes that failed (RPC).",
                &self.follow_errors,
            ),
            (
                "masspoc_bridge_anchor_errors_total",
                "Anchoring passes that failed (RPC, wallet).",
                &self.anchor_errors,
            ),
        ] {
            line(out, name, "counter", help);
            let _ = writeln!(out, "{name} {}", get(c));
        }
    }
}

/// Appends a gauge of anchor batches by state.
pub fn render_batches(out: &mut String, by_state: &BTreeMap<String, u64>) {
    line(
        out,
        "masspoc_bridge_anchor_batches",
        "gauge",
        "Anchor batches in the outbox, by state.",
    );
    for (state, n) in by_state {
        let _ = writeln!(
            out,
            "masspoc_bridge_anchor_batches{{state=\"{state}\"}} {n}"
        );
    }
}

/// The anchorer's state as the health answer's `anchoring` object.
#[must_use]
pub fn anchoring_health(st: &crate::anchor::AnchorStatus) -> masspoc_api::AnchoringHealth {
    let budget = st.budget.unwrap_or_default();
    masspoc_api::AnchoringHealth::new(
        st.hold.as_ref().map_or("ok", |h| h.reason()).to_string(),
        st.hold.as_ref().map(|h| h.message()),
        st.hold.as_ref().and_then(|h| h.until_ms()),
        st.queued,
        st.unconfirmed,
        (st.spent_hour, st.spent_day),
        (budget.per_hour, budget.per_day),
    )
}

/// Appends the anchorer's gauges: queued items, unconfirmed anchors, fees spent per window and
/// `masspoc_bridge_anchor_held{reason}` (1 for the reason holding new anchors back, else 0).
pub fn render_anchor_status(out: &mut String, st: &crate::anchor::AnchorStatus) {
    let budget = st.budget.unwrap_or_default();
    for (name, help, v) in [
        (
            "masspoc_bridge_anchor_queued_items",
            "Items queued for an anchor batch.",
            st.queued,
        ),
        (
            "masspoc_bridge_anchor_unconfirmed",
            "Anchor transactions sent and not yet in a block.",
            st.unconfirmed,
        ),
    ] {
        line(out, name, "gauge", help);
        let _ = writeln!(out, "{name} {v}");
    }
    line(
        out,
        "masspoc_bridge_anchor_fee_spent_litoshi",
        "gauge",
        "Fees of anchor transactions in the last hour/day (litoshi).",
    );
    line(
        out,
        "masspoc_bridge_anchor_fee_budget_litoshi",
        "gauge",
        "The anchoring fee budget per hour/day (litoshi).",
    );
    for (window, spent, cap) in [
        ("hour", st.spent_hour, budget.per_hour),
        ("day", st.spent_day, budget.per_day),
    ] {
        let _ = writeln!(
            out,
            "masspoc_bridge_anchor_fee_spent_litoshi{{window=\"{window}\"}} {spent}\n\
             masspoc_bridge_anchor_fee_budget_litoshi{{window=\"{window}\"}} {cap}"
        );
    }
    line(
        out,
        "masspoc_bridge_anchor_held",
        "gauge",
        "1 while new anchors are held back, by reason.",
    );
    let held = st.hold.as_ref().map(|h| h.reason());
    for reason in [
        "waiting_for_blocks",
        "mempool_chain",
        "budget_hour",
        "budget_day",
    ] {
        let _ = writeln!(
            out,
            "masspoc_bridge_anchor_held{{reason=\"{reason}\"}} {}",
            u8::from(held == Some(reason))
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_reasons() {
        let m = BridgeMetrics::default();
        add(&m.submissions_accepted, 3);
        m.rejected("deadline_not_met");
        m.rejected("deadline_not_met");
        m.rejected("bad_signature");
        let mut out = String::new();
        m.render(&mut out);
        assert!(out.contains("masspoc_bridge_submissions_accepted_total 3\n"));
        assert!(out.contains(
            "masspoc_bridge_submissions_rejected_total{reason=\"deadline_not_met\"} 2\n"
        ));
        assert!(
            out.contains("masspoc_bridge_submissions_rejected_total{reason=\"bad_signature\"} 1\n")
        );
        assert!(out.contains("masspoc_bridge_anchor_errors_total 0\n"));
        let mut by_state = BTreeMap::new();
        by_state.insert("final".to_string(), 4);
        render_batches(&mut out, &by_state);
        assert!(out.contains("masspoc_bridge_anchor_batches{state=\"final\"} 4\n"));
        let st = crate::anchor::AnchorStatus {
            queued: 7,
            unconfirmed: 10,
            hold: Some(crate::anchor::Hold::WaitingForBlocks {
                unconfirmed: 10,
                max: 10,
            }),
            ..Default::default()
        };
        render_anchor_status(&mut out, &st);
        assert!(out.contains("masspoc_bridge_anchor_queued_items 7\n"));
        assert!(out.contains("masspoc_bridge_anchor_held{reason=\"waiting_for_blocks\"} 1\n"));
        assert!(out.contains("masspoc_bridge_anchor_held{reason=\"budget_hour\"} 0\n"));
        assert!(out.contains("masspoc_bridge_anchor_fee_budget_litoshi{window=\"hour\"} 1000000\n"));
        let h = anchoring_health(&st);
        assert_eq!(h.state, "waiting_for_blocks");
        assert!(h.message.unwrap().contains("is anybody mining?"));
    }
}
