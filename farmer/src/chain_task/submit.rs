//! Building, signing and submitting a block for the best candidate of a height.
//!
//! The body carries the slashing evidence the chain node handed out in `Work` (except any against
//! this farmer) and no payload; the header commits to its root and carries the VRF proof over the
//! candidate's challenge. It is signed through the
//! signing guard (which records `(chain, height, hash)` durably first and refuses a second,
//! different header at the same height), and the signed bytes are kept, so a retried submission
//! re-sends the identical header instead of signing a new one.
//!
//! A header the bridge did not answer for (down, restarting, 5xx) is re-sent with a short capped
//! back-off until the bridge answers it, a new tip supersedes it, or the farmer stops: a lone
//! farmer is the only one who can move its chain, so giving up would stall the chain for good.

use super::height::{Candidate, Outcome};
use super::{ChainContext, Received};
use crate::bridge_client::BridgeError;
use crate::signer::SignRefusal;
use masspoc_proof::vrf;
use masspoc_verifier::body::MAX_BODY_EVIDENCE;
use masspoc_verifier::{Block, Body, Header};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tracing::{debug, error, info, warn};

/// First pause before re-sending a header the bridge did not answer.
const FIRST_PAUSE: Duration = Duration::from_millis(200);
/// Longest pause between re-sends (a restarted bridge is farmed again within this).
pub(crate) const MAX_PAUSE: Duration = Duration::from_secs(1);

/// The body of the next block: the evidence the work hands out that does not accuse this farmer
/// (a block may not include evidence against its signer), at most [`MAX_BODY_EVIDENCE`], and no
/// payload. Evidence that does not decode is left out with a warning (the node's fault, not a
/// reason to stop farming).
pub(crate) fn build_body(ctx: &ChainContext, r: &Received) -> Body {
    let mut evidence = Vec::new();
    for (i, raw) in r.work.evidence.iter().enumerate() {
        match masspoc_verifier::Evidence::decode(raw.as_slice()) {
            Ok(e) if e.farmer() == ctx.identity.farmer_pk => {}
            Ok(e) if evidence.len() < MAX_BODY_EVIDENCE => evidence.push(e),
            Ok(_) => {}
            Err(e) => {
                warn!(chain = %ctx.label, index = i, error = %masspoc_report::Report(&e),
                    "the node handed out evidence that does not verify; left out");
            }
        }
    }
    evidence.sort_by_cached_key(masspoc_verifier::Evidence::id);
    evidence.dedup_by_key(|e| e.id());
    Body::new(evidence, Vec::new()).unwrap_or_else(|e| {
        warn!(chain = %ctx.label, error = %masspoc_report::Report(&e),
            "the handed-out evidence makes no valid body; sending the empty body");
        Body::EMPTY
    })
}

/// The header for a candidate carrying `body`, unsigned.
pub(crate) fn build_header(
    ctx: &ChainContext,
    r: &Received,
    c: &Candidate,
    difficulty: u64,
    timestamp_ms: u64,
    body: &Body,
) -> Header {
    let w = &r.work;
    let vrf_proof = vrf::prove(&ctx.identity.vrf, c.challenge.as_bytes());
    Header {
        chain_id: w.chain_id,
        height: w.height,
        prev_hash: w.parent_hash,
        timestamp_ms,
        slot: c.slot,
        difficulty,
        proof: c.best.found.proof,
        vrf_pk: ctx.identity.vrf.public(),
        vrf_proof,
        payload_root: body.root(),
        signature: [0; 64],
    }
}

/// Builds, signs (through the guard) and submits the candidate's header.
///
/// The timestamp is the candidate's earliest allowed time, not the clock: the header is then a
/// pure function of the work (the evidence it hands out included) and the proof (the VRF proof
/// is deterministic too), so a farmer that restarts after signing but before the bridge got the
/// header rebuilds the identical header, which the signing history allows to be sent again.
///
/// Returns [`Outcome::NewWork`] when a new tip superseded a header still undelivered,
/// [`Outcome::Stopped`] when the farmer stops, else [`Outcome::Done`].
pub(crate) async fn submit_candidate(
    ctx: &ChainContext,
    r: &Received,
    c: &Candidate,
    difficulty: u64,
    work_rx: &mut watch::Receiver<Option<Received>>,
    stop: &mut watch::Receiver<bool>,
) -> Outcome {
    let body = build_body(ctx, r);
    let included = body.evidence.len();
    let mut header = build_header(ctx, r, c, difficulty, c.earliest_ms, &body);
    let signer = Arc::clone(&ctx.identity.signer);
    let height = header.height;
    let signed = tokio::task::spawn_blocking(move || signer.sign_header(&header)).await;
    let signature = match signed {
        Ok(Ok(sig)) => sig,
        Ok(Err(SignRefusal::Slashable(why))) => {
            ctx.metrics.signing_errors.fetch_add(1, Relaxed);
            info!(chain = %ctx.label, height = height.0, reason = %why,
                "not signing: another header was already signed at this height");
            return Outcome::Done;
        }
        Ok(Err(e)) => {
            ctx.metrics.signing_errors.fetch_add(1, Relaxed);
            error!(chain = %ctx.label, height = height.0, error = %masspoc_report::Report(&e), "header not signed");
            return Outcome::Done;
        }
        Err(e) => {
            ctx.metrics.signing_errors.fetch_add(1, Relaxed);
            error!(chain = %ctx.label, height = height.0, error = %masspoc_report::Report(&e), "signing task failed");
            return Outcome::Done;
        }
    };
    header.signature = signature;
    ctx.metrics.signed.fetch_add(1, Relaxed);
    let block = Block { header, body };
    let tip = r.work.tip();
    let mut pause = FIRST_PAUSE;
    let mut attempt: u32 = 0;
    loop {
        attempt += 1;
        let sent_at = std::time::Instant::now();
        let sent = tokio::select! {
            reply = ctx.client.submit(&ctx.chain_id, &block) => reply,
            _ = stop.changed() => return Outcome::Stopped,
        };
        match sent {
            Ok(reply) if reply.accepted => {
                ctx.metrics.submissions_accepted.fetch_add(1, Relaxed);
                info!(chain = %ctx.label, height = height.0, slot = c.slot.0, hash = %reply.hash,
                    best = reply.best, deadline_ms = c.deadline_ms, plot = %c.best.path.display(),
                    evidence = included, attempt,
                    submit_us = u64::try_from(sent_at.elapsed().as_micros()).unwrap_or(u64::MAX),
                    "header accepted");
                return Outcome::Done;
            }
            Ok(reply) => {
                ctx.metrics.submissions_rejected.fetch_add(1, Relaxed);
                warn!(chain = %ctx.label, height = height.0, hash = %reply.hash, "bridge did not accept the header");
                return Outcome::Done;
            }
            Err(BridgeError::Refused {
                status,
                code,
                message,
            }) if status < 500 => {
                ctx.metrics.submissions_rejected.fetch_add(1, Relaxed);
                ctx.metrics.note_error(format_args!(
                    "header at height {} refused: {code}: {message}",
                    height.0
                ));
                warn!(chain = %ctx.label, height = height.0, status, code = %code, message = %message,
                    "header refused");
                return Outcome::Done;
            }
            Err(e) => {
                ctx.metrics.bridge_errors.fetch_add(1, Relaxed);
                if attempt == 1 {
                    warn!(chain = %ctx.label, height = height.0, error = %masspoc_report::Report(&e),
                        "header not delivered; re-sending the same signed header until the bridge answers or a new tip arrives");
                } else {
                    debug!(chain = %ctx.label, height = height.0, attempt, error = %masspoc_report::Report(&e), "header still not delivered");
                }
            }
        }
        // Wait, unless a new tip makes this header moot or the farmer stops.
        let until = tokio::time::Instant::now() + pause;
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(until) => break,
                changed = work_rx.changed() => {
                    if changed.is_err() {
                        return Outcome::Stopped;
                    }
                    let newer = work_rx.borrow_and_update().as_ref().map(|w| w.work.tip());
                    if newer.is_some_and(|t| t != tip) {
                        info!(chain = %ctx.label, height = height.0, attempt,
                            "a new tip arrived; the undelivered header is moot");
                        return Outcome::NewWork;
                    }
                }
                _ = stop.changed() => return Outcome::Stopped,
            }
        }
        pause = (pause * 2).min(MAX_PAUSE);
    }
}
