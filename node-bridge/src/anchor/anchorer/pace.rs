//! When new anchors may go out: the round timer, the bound on anchors waiting for a block, the
//! fee budget, and the status (with its hold, logged when it changes) after each pass.

use super::Anchorer;
use crate::anchor::budget::Window;
use crate::anchor::outbox::{BatchState, Pick};
use crate::anchor::payload::Item;
use crate::anchor::status::{AnchorStatus, Hold};
use crate::error::AnchorError;
use std::collections::HashSet;
use std::time::{Duration, Instant};

/// How often a hold that does not change is logged again.
const HOLD_LOG_EVERY: Duration = Duration::from_secs(60);

impl Anchorer {
    pub(super) fn finish_status(&mut self) -> Result<(), AnchorError> {
        let now = self.clock.now_ms();
        let spends = self.outbox.spends(now)?;
        let sum = |w: Window| {
            spends
                .iter()
                .filter(|s| s.at_ms > now.saturating_sub(w.ms()))
                .map(|s| s.litoshi)
                .sum()
        };
        self.status = AnchorStatus {
            queued: self.outbox.pending_len()?,
            unconfirmed: self.count_unconfirmed()?,
            hold: self.hold.clone(),
            spent_hour: sum(Window::Hour),
            spent_day: sum(Window::Day),
            budget: Some(self.config.budget),
        };
        match &self.hold {
            Some(hold) => {
                let message = hold.message();
                let again = match &self.logged {
                    Some((m, at)) => *m != message || at.elapsed() >= HOLD_LOG_EVERY,
                    None => true,
                };
                if again {
                    tracing::warn!(reason = hold.reason(), "{message}");
                    self.logged = Some((message, Instant::now()));
                }
            }
            None => {
                if self.logged.take().is_some() {
                    tracing::info!("anchoring resumes: nothing holds new anchors back any more");
                }
            }
        }
        Ok(())
    }

    pub(super) fn count_unconfirmed(&self) -> Result<u64, AnchorError> {
        Ok(self
            .outbox
            .open_batches()?
            .iter()
            .filter(|b| matches!(b.state, BatchState::Signed | BatchState::Broadcast))
            .count() as u64)
    }

    /// The queued items `pick` chooses now (read before the seal's write transaction); those it
    /// says never to anchor ([`Pick::Drop`]) are removed from the queue.
    pub(super) fn pick_queued(
        &self,
        pick: &dyn Fn(&Item) -> Pick,
    ) -> Result<HashSet<Vec<u8>>, AnchorError> {
        let mut chosen = HashSet::new();
        let mut dropped = HashSet::new();
        for item in self.outbox.pending_items()? {
            match pick(&item) {
                Pick::Anchor => chosen.insert(item.leaf_data().to_vec()),
                Pick::Drop => dropped.insert(item.leaf_data().to_vec()),
                Pick::Wait => false,
            };
        }
        let n = self.outbox.drop_pending(&dropped)?;
        if n > 0 {
            tracing::info!(
                dropped = n,
                "side-branch headers at or below finality dropped from the anchoring queue"
            );
        }
        Ok(chosen)
    }

    pub(super) fn round_due(&self, now: u64) -> Result<bool, AnchorError> {
        let interval = u64::try_from(self.config.interval.as_millis()).unwrap_or(u64::MAX);
        Ok(match self.outbox.last_seal_ms()? {
            Some(last) => now.saturating_sub(last) >= interval || now < last,
            None => true,
        })
    }

    /// Whether a new transaction may go out now; sets the hold when not.
    pub(super) fn may_send_new(&mut self, now: u64) -> Result<bool, AnchorError> {
        if self.hold.is_some() {
            return Ok(false);
        }
        if self.unconfirmed >= self.config.max_unconfirmed {
            self.hold = Some(Hold::WaitingForBlocks {
                unconfirmed: self.unconfirmed,
                max: self.config.max_unconfirmed,
            });
            return Ok(false);
        }
        // Before funding, the last fee paid stands for the next one (the exact fee is checked
        // once the wallet has funded it).
        let spends = self.outbox.spends(now)?;
        let estimate = spends
            .iter()
            .max_by_key(|s| s.at_ms)
            .map_or(1, |s| s.litoshi);
        if let Err(e) = self.config.budget.check(&spends, now, estimate) {
            self.hold = Some(Hold::Budget(e));
            return Ok(false);
        }
        Ok(true)
    }
}
