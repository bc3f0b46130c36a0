//! Farming one height: look up each slot's challenge as its slot opens, keep the candidate with
//! the earliest allowed timestamp, and submit it once the clock reaches that timestamp.
//!
//! Slot `s` opens `s * slot_ms` after the parent; a proof of slot `s` with deadline `d` may be
//! timestamped from `parent + s * slot_ms + d` (`docs/protocol.md`). A later slot can only win
//! if it opens before the best candidate's time, so the loop stops looking up slots then.

use super::submit::submit_candidate;
use super::{ChainContext, Received, MAX_CATCH_UP_SLOTS};
use crate::lookup::BestProof;
use masspoc_proof::{Challenge, FilterBits, ProbeBits};
use masspoc_verifier::rules::earliest_timestamp;
use masspoc_verifier::{deadline_ms, derive_challenge, Slot};
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use tokio::sync::watch;
use tracing::{info, warn};

/// How farming a height ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Submitted, refused, or nothing can be done at this tip: wait for the next.
    Done,
    /// A new tip arrived: farm it at once.
    NewWork,
    /// The farmer is stopping.
    Stopped,
}

/// The best proof so far at this height.
pub(crate) struct Candidate {
    pub slot: Slot,
    pub challenge: Challenge,
    pub best: BestProof,
    pub deadline_ms: u64,
    pub earliest_ms: u64,
}

/// Farms the height of `r` until it submits, a new tip arrives or the farmer stops.
pub(crate) async fn farm_height(
    ctx: &ChainContext,
    r: &Received,
    work_rx: &mut watch::Receiver<Option<Received>>,
    stop: &mut watch::Receiver<bool>,
) -> Outcome {
    let w = &r.work;
    // The latest work at this tip: newer evidence replaces the old in the block to be signed.
    let mut latest = r.clone();
    let (chain_id, height, beta, difficulty) =
        (w.chain_id, w.height, w.parent_vrf_output, w.difficulty);
    for c in &w.challenges {
        let ours = derive_challenge(&chain_id, height, c.slot, &beta);
        if ours != c.challenge {
            warn!(chain = %ctx.label, height = height.0, slot = c.slot.0,
                "the bridge's challenge differs from the chain rules' derivation; using the rules'");
        }
    }
    let filter_bits = ctx.filter_override.unwrap_or(w.filter_bits);
    let probe_bits = w.probe_bits;
    let slot_ms = w.slot_ms.max(1);
    let mut best: Option<Candidate> = None;
    let mut slot: u32 = 0;
    loop {
        let now = r.now_ms();
        let opens = w
            .parent_timestamp_ms
            .saturating_add(u64::from(slot).saturating_mul(slot_ms));
        let can_improve = best.as_ref().is_none_or(|c| opens < c.earliest_ms);
        if can_improve && now >= opens {
            // Joining late: skip to the last MAX_CATCH_UP_SLOTS open slots.
            let open_now = (now - w.parent_timestamp_ms) / slot_ms;
            if u64::from(slot) + u64::from(MAX_CATCH_UP_SLOTS) < open_now {
                slot = u32::try_from(open_now - u64::from(MAX_CATCH_UP_SLOTS)).unwrap_or(u32::MAX);
                continue;
            }
            let challenge = derive_challenge(&chain_id, height, Slot(slot), &beta);
            if let Some(c) = round(
                ctx,
                height.0,
                Slot(slot),
                challenge,
                (filter_bits, probe_bits),
                difficulty,
                w.parent_timestamp_ms,
                slot_ms,
            )
            .await
            {
                if best.as_ref().is_none_or(|b| c.earliest_ms < b.earliest_ms) {
                    best = Some(c);
                }
            }
            if slot == u32::MAX {
                return Outcome::Done;
            }
            slot += 1;
            continue;
        }
        // Submit only once no open slot can beat the candidate: a farmer catching up (after a
        // restart) then picks the same candidate it would have picked live.
        if let Some(c) = &best {
            if now >= c.earliest_ms {
                return submit_candidate(ctx, &latest, c, difficulty, work_rx, stop).await;
            }
        }
        let wake_at = match (&best, can_improve) {
            (Some(c), true) => c.earliest_ms.min(opens),
            (Some(c), false) => c.earliest_ms,
            (None, _) => opens,
        };
        let sleep = Duration::from_millis(wake_at.saturating_sub(now).max(1));
        tokio::select! {
            _ = tokio::time::sleep(sleep) => {}
            changed = work_rx.changed() => {
                if changed.is_err() {
                    return Outcome::Stopped;
                }
                match work_rx.borrow_and_update().as_ref() {
                    Some(n) if n.work.tip() == w.tip() => latest = n.clone(),
                    _ => return Outcome::NewWork,
                }
            }
            _ = stop.changed() => return Outcome::Stopped,
        }
    }
}

/// One round: lookups of one slot's challenge over every plot, logged and counted.
#[allow(clippy::too_many_arguments)]
async fn round(
    ctx: &ChainContext,
    height: u64,
    slot: Slot,
    challenge: Challenge,
    (filter_bits, probe_bits): (FilterBits, ProbeBits),
    difficulty: u64,
    parent_ms: u64,
    slot_ms: u64,
) -> Option<Candidate> {
    let out = crate::remote::farm_round(
        &ctx.plots,
        ctx.harvesters.as_deref(),
        ctx.identity.farmer_pk,
        challenge,
        filter_bits,
        probe_bits,
        ctx.budget,
    )
    .await;
    let m = &ctx.metrics;
    m.rounds.fetch_add(1, Relaxed);
    m.lookups.fetch_add(out.passing as u64, Relaxed);
    m.proofs.fetch_add(out.proofs as u64, Relaxed);
    m.stalls.fetch_add(out.stalled.len() as u64, Relaxed);
    ctx.global.round_latency.observe(out.elapsed);
    let candidate = out.best.as_ref().and_then(|b| {
        let d = deadline_ms(b.found.score, difficulty);
        earliest_timestamp(parent_ms, slot, slot_ms, d).map(|earliest_ms| Candidate {
            slot,
            challenge,
            best: b.clone(),
            deadline_ms: d,
            earliest_ms,
        })
    });
    let lookup_us = out.elapsed.as_micros() as u64;
    let best_deadline_ms = candidate.as_ref().map(|c| c.deadline_ms);
    if out.over_budget {
        m.rounds_over_budget.fetch_add(1, Relaxed);
        warn!(chain = %ctx.label, height, slot = slot.0, plots = out.plots, passing = out.passing,
            stalled = out.stalled.len(), budget_ms = ctx.budget.as_millis() as u64,
            "round's lookups exceeded the budget");
    }
    info!(chain = %ctx.label, height, slot = slot.0, plots = out.plots, passing = out.passing,
        proofs = out.proofs, best_deadline_ms, lookup_us, skipped = out.skipped.len(), "round");
    for (path, e) in &out.errors {
        warn!(chain = %ctx.label, plot = %path.display(), error = %e, "plot lookup failed");
    }
    if !out.errors.is_empty() && ctx.plots.request_rescan_if_broken() {
        info!(chain = %ctx.label, "a plot went bad while mapped: rescanning the plot directories now");
    }
    candidate
}
