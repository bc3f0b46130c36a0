//! A round over the farmer's own plots and its harvesters: both asked at once within the
//! budget; every remote proof checked in full (and for the farmer's key) before it is merged; a
//! harvester with one proof that fails is reported and its whole answer ignored.

use super::pool::{Answer, Harvesters};
use crate::lookup::{run_round, BestProof, RoundOutcome};
use crate::plots::{FoundProof, PlotSet};
use masspoc_proof::{Challenge, FarmerPublicKey, FilterBits, ProbeBits};
use std::path::PathBuf;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};
use tracing::warn;

/// Looks up `challenge` in every plot of `plots` and, if there are harvesters, in every
/// connected harvester at once, within `budget`; the outcome holds both, best first.
pub async fn farm_round(
    plots: &PlotSet,
    harvesters: Option<&Harvesters>,
    farmer_pk: FarmerPublicKey,
    challenge: Challenge,
    filter_bits: FilterBits,
    probe_bits: ProbeBits,
    budget: Duration,
) -> RoundOutcome {
    let started = Instant::now();
    let snapshot = plots.snapshot();
    let local = run_round(
        &snapshot,
        plots.dirs(),
        challenge,
        filter_bits,
        probe_bits,
        budget,
    );
    let Some(h) = harvesters else {
        return local.await;
    };
    let (mut out, answers) =
        tokio::join!(local, h.lookup(challenge, filter_bits, probe_bits, budget));
    merge(
        &mut out,
        answers,
        farmer_pk,
        &challenge,
        filter_bits,
        probe_bits,
    );
    out.elapsed = started.elapsed();
    out
}

/// Merges the harvesters' answers into a local outcome (whose best is already checked).
fn merge(
    out: &mut RoundOutcome,
    answers: Vec<Answer>,
    farmer_pk: FarmerPublicKey,
    challenge: &Challenge,
    filter_bits: FilterBits,
    probe_bits: ProbeBits,
) {
    let mut any = false;
    for a in answers {
        let source = PathBuf::from(format!("harvester:{}", a.stats.peer));
        let checked: Result<Vec<BestProof>, String> = a
            .reply
            .decode_proofs()
            .map_err(|(i, e)| format!("proof {i} does not decode: {e}"))
            .and_then(|proofs| {
                proofs
                    .into_iter()
                    .enumerate()
                    .map(|(i, proof)| {
                        if proof.farmer_pk != farmer_pk {
                            return Err(format!("proof {i} is for farmer key {}", proof.farmer_pk));
                        }
                        let v = proof
                            .verify(challenge, filter_bits, probe_bits)
                            .map_err(|e| format!("proof {i}: {e}"))?;
                        Ok(BestProof {
                            found: FoundProof {
                                proof,
                                quality: v.quality,
                                score: v.score,
                            },
                            path: source.clone(),
                        })
                    })
                    .collect()
            });
        match checked {
            Ok(proofs) => {
                out.plots += a.reply.plots as usize;
                out.passing += a.reply.passing as usize;
                out.proofs += a.reply.found as usize;
                a.stats.proofs.fetch_add(proofs.len() as u64, Relaxed);
                any |= !proofs.is_empty();
                out.all.extend(proofs);
            }
            Err(why) => {
                a.stats.invalid.fetch_add(1, Relaxed);
                warn!(harvester = %a.stats.peer, reason = %why, "harvester sent an invalid proof: its answer is ignored");
                out.errors
                    .push((source, format!("invalid proof from the harvester: {why}")));
            }
        }
    }
    if any {
        // Stable: equal scores keep local proofs first.
        out.all.sort_by_key(|p| p.found.score);
        out.best = out.all.first().cloned();
    }
}
