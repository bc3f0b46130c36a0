//! Building, signing and submitting a header for the best candidate of a height.
//!
//! The header carries the VRF proof over the candidate's challenge. It is signed through the
//! signing guard (which records `(chain, height, hash)` durably first and refuses a second,
//! different header at the same height), and the signed bytes are kept, so a retried submission
//! re-sends the identical header instead of signing a new one.

use super::height::Candidate;
use super::{ChainContext, Received};
use crate::bridge_client::BridgeError;
use crate::signer::SignRefusal;
use masspoc_proof::vrf;
use masspoc_verifier::{Header, PayloadRoot};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;
use tracing::{error, info, warn};

/// Submission attempts while the bridge is unreachable.
const SUBMIT_ATTEMPTS: u32 = 4;

/// The header for a candidate, unsigned.
pub(crate) fn build_header(
    ctx: &ChainContext,
    r: &Received,
    c: &Candidate,
    difficulty: u64,
    timestamp_ms: u64,
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
        // The farmer carries no payload: the empty commitment.
        payload_root: PayloadRoot([0; 32]),
        signature: [0; 64],
    }
}

/// Builds, signs (through the guard) and submits the candidate's header.
///
/// The timestamp is the candidate's earliest allowed time, not the clock: the header is then a
/// pure function of the work and the proof (the VRF proof is deterministic too), so a farmer that
/// restarts after signing but before the bridge got the header rebuilds the identical header,
/// which the signing history allows to be sent again.
pub(crate) async fn submit_candidate(
    ctx: &ChainContext,
    r: &Received,
    c: &Candidate,
    difficulty: u64,
) {
    let mut header = build_header(ctx, r, c, difficulty, c.earliest_ms);
    let signer = Arc::clone(&ctx.identity.signer);
    let height = header.height;
    let signed = tokio::task::spawn_blocking(move || signer.sign_header(&header)).await;
    let signature = match signed {
        Ok(Ok(sig)) => sig,
        Ok(Err(SignRefusal::Slashable(why))) => {
            ctx.metrics.signing_errors.fetch_add(1, Relaxed);
            info!(chain = %ctx.label, height = height.0, reason = %why,
                "not signing: another header was already signed at this height");
            return;
        }
        Ok(Err(e)) => {
            ctx.metrics.signing_errors.fetch_add(1, Relaxed);
            error!(chain = %ctx.label, height = height.0, error = %masspoc_report::Report(&e), "header not signed");
            return;
        }
        Err(e) => {
            ctx.metrics.signing_errors.fetch_add(1, Relaxed);
            error!(chain = %ctx.label, height = height.0, error = %masspoc_report::Report(&e), "signing task failed");
            return;
        }
    };
    header.signature = signature;
    let mut pause = Duration::from_millis(200);
    for attempt in 1..=SUBMIT_ATTEMPTS {
        match ctx.client.submit(&ctx.chain_id, &header).await {
            Ok(reply) if reply.accepted => {
                ctx.metrics.submissions_accepted.fetch_add(1, Relaxed);
                info!(chain = %ctx.label, height = height.0, slot = c.slot.0, hash = %reply.hash,
                    best = reply.best, deadline_ms = c.deadline_ms, plot = %c.best.path.display(),
                    "header accepted");
                return;
            }
            Ok(reply) => {
                ctx.metrics.submissions_rejected.fetch_add(1, Relaxed);
                warn!(chain = %ctx.label, height = height.0, hash = %reply.hash, "bridge did not accept the header");
                return;
            }
            Err(BridgeError::Refused {
                status,
                code,
                message,
            }) => {
                ctx.metrics.submissions_rejected.fetch_add(1, Relaxed);
                warn!(chain = %ctx.label, height = height.0, status, code = %code, message = %message,
                    "header refused");
                return;
            }
            Err(e) => {
                ctx.metrics.bridge_errors.fetch_add(1, Relaxed);
                warn!(chain = %ctx.label, height = height.0, attempt, error = %masspoc_report::Report(&e), "header submission failed");
                tokio::time::sleep(pause).await;
                pause *= 2;
            }
        }
    }
    error!(chain = %ctx.label, height = height.0, "giving up on this header: bridge unreachable");
}
