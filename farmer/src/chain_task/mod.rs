//! One chain instance: poll the bridge for work, farm each height, submit when the deadline
//! allows. Every chain runs in its own tokio task; lookups go to the blocking pool, so a slow
//! chain or disk never holds up another chain.
//!
//! The task is two loops joined by a `watch` channel: the poller long-polls
//! `GET /v1/chains/{id}/challenge` and publishes each new tip's work; the farming loop
//! ([`height::farm_height`]) works on the latest work until it submits, a new tip arrives, or the
//! farmer stops.

mod height;
mod submit;

use crate::bridge_client::{BridgeClient, BridgeError};
use crate::metrics::{ChainMetrics, Metrics};
use crate::plots::PlotSet;
use crate::signer::Identity;
use masspoc_api::Work;
use masspoc_proof::FilterBits;
use masspoc_verifier::{ChainId, HeaderHash, Height};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::watch;
use tracing::{info, warn};

/// How long one long-poll asks the bridge to wait for a new tip.
pub const LONG_POLL: Duration = Duration::from_secs(20);
/// Slots looked up back-to-back when joining a height late (older slots are skipped).
pub const MAX_CATCH_UP_SLOTS: u32 = 256;

/// Everything one chain task needs.
pub struct ChainContext {
    /// Name for logs and metrics.
    pub label: String,
    /// The chain id.
    pub chain_id: ChainId,
    /// The bridge serving it.
    pub client: BridgeClient,
    /// Filter bits to use instead of the chain's (testing).
    pub filter_override: Option<FilterBits>,
    /// The plots.
    pub plots: Arc<PlotSet>,
    /// Time budget of one round's lookups.
    pub budget: Duration,
    /// Keys and signer.
    pub identity: Arc<Identity>,
    /// This chain's counters.
    pub metrics: Arc<ChainMetrics>,
    /// Process-wide metrics (latency histogram).
    pub global: Arc<Metrics>,
    /// The paired harvesters, asked with the local plots every round.
    pub harvesters: Option<Arc<crate::remote::Harvesters>>,
}

/// Work as received, with the offset of the bridge's clock from ours at that moment.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub work: Work,
    /// `bridge_now - local_now` in ms.
    pub clock_offset_ms: i64,
    /// Published only because the evidence to include changed at the tip in hand: a height in
    /// progress takes it into the block it is about to sign, a finished height is not farmed
    /// again for it.
    pub evidence_only: bool,
}

impl Received {
    /// The bridge's clock, estimated from ours.
    pub fn now_ms(&self) -> u64 {
        let local = i128::from(local_ms());
        u64::try_from((local + i128::from(self.clock_offset_ms)).max(0)).unwrap_or(u64::MAX)
    }
}

/// Milliseconds since the Unix epoch on this machine.
pub(crate) fn local_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Runs one chain until `stop` turns true.
pub async fn run_chain(ctx: Arc<ChainContext>, mut stop: watch::Receiver<bool>) {
    let (work_tx, mut work_rx) = watch::channel::<Option<Received>>(None);
    let poller = tokio::spawn(poll_work(Arc::clone(&ctx), work_tx, stop.clone()));
    info!(chain = %ctx.label, bridge = ctx.client.base(), "farming chain");
    loop {
        if *stop.borrow() {
            break;
        }
        let current = work_rx.borrow_and_update().clone();
        let outcome = match current {
            Some(r) => height::farm_height(&ctx, &r, &mut work_rx, &mut stop).await,
            None => height::Outcome::Done,
        };
        if outcome == height::Outcome::Done {
            // Nothing more to do at this tip: wait for the next one (new evidence at this tip
            // comes too late for this height).
            loop {
                tokio::select! {
                    r = work_rx.changed() => if r.is_err() { return stop_poller(poller, &ctx).await },
                    _ = stop.changed() => break,
                }
                if work_rx.borrow().as_ref().is_none_or(|r| !r.evidence_only) {
                    break;
                }
            }
        }
    }
    stop_poller(poller, &ctx).await;
}

/// Stops the poller and waits until it is really gone: it holds the context (and so the signer).
async fn stop_poller(poller: tokio::task::JoinHandle<()>, ctx: &ChainContext) {
    poller.abort();
    let _ = poller.await;
    info!(chain = %ctx.label, "chain stopped");
}

/// Longest pause between work requests while the bridge is down: a restarted bridge is farmed
/// again within about this long.
pub const MAX_POLL_BACKOFF: Duration = Duration::from_secs(2);

/// Long-polls the bridge and publishes each new tip's work; backs off while the bridge is down.
///
/// After a failed request the next one does not long-poll (a restarted bridge answers at once),
/// and its work is published even when the tip is unchanged: a header this farmer signed may
/// never have reached the old bridge process, and only this farmer's next header can move a
/// chain it farms alone.
async fn poll_work(
    ctx: Arc<ChainContext>,
    tx: watch::Sender<Option<Received>>,
    mut stop: watch::Receiver<bool>,
) {
    let mut backoff = Duration::from_millis(250);
    let mut last: Option<(Height, HeaderHash)> = None;
    let mut last_evidence = Vec::new();
    let mut failed = false;
    let mut down_since_logged = false;
    loop {
        let wait = if last.is_some() && !failed {
            LONG_POLL
        } else {
            Duration::ZERO
        };
        // The long-poll names the tip in hand: a header landing between the last reply and this
        // request reaching the bridge (this farmer's own, on a loaded machine) ends the wait at
        // once instead of after LONG_POLL.
        let known = last.map(|(_, tip)| tip);
        let reply = tokio::select! {
            r = ctx.client.work(&ctx.chain_id, wait, known.as_ref()) => r,
            _ = stop.changed() => return,
        };
        match reply {
            Ok(work) => {
                backoff = Duration::from_millis(250);
                if down_since_logged {
                    info!(chain = %ctx.label, height = work.height.0, "bridge reachable again");
                    down_since_logged = false;
                }
                if work.chain_id != ctx.chain_id {
                    warn!(chain = %ctx.label, got = %work.chain_id, "bridge sent work of another chain");
                    ctx.metrics
                        .bridge_errors
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    continue;
                }
                let key = work.tip();
                let new_tip = last != Some(key) || failed;
                // The node answers a long-poll when evidence becomes includable too: the block
                // this farmer is about to sign at this tip should carry it.
                if new_tip || work.evidence != last_evidence {
                    last = Some(key);
                    last_evidence.clone_from(&work.evidence);
                    let offset = i128::from(work.now_ms) - i128::from(local_ms());
                    let clock_offset_ms = i64::try_from(offset).unwrap_or(0);
                    let _ = tx.send(Some(Received {
                        work,
                        clock_offset_ms,
                        evidence_only: !new_tip,
                    }));
                }
                failed = false;
            }
            Err(e) => {
                failed = true;
                ctx.metrics
                    .bridge_errors
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                ctx.metrics.note_error(format_args!(
                    "cannot get work: {}",
                    masspoc_report::Report(&e)
                ));
                if !down_since_logged || !matches!(e, BridgeError::Unreachable { .. }) {
                    warn!(chain = %ctx.label, error = %masspoc_report::Report(&e), retry_ms = backoff.as_millis() as u64,
                        "cannot get work; retrying until the bridge answers");
                    down_since_logged = matches!(e, BridgeError::Unreachable { .. });
                }
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => {}
                    _ = stop.changed() => return,
                }
                backoff = (backoff * 2).min(MAX_POLL_BACKOFF);
            }
        }
    }
}
