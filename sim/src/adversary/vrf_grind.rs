//! The `vrf-grind` attack: on each block it wins, the adversary tries [`GRIND_KEYS`] other VRF
//! keys and publishes the one whose output gives it the best next challenge; the real rule
//! (`vrf_key_not_bound`) refuses such a block, and it falls back to its bound key.

use super::publish::{publish, Tally};
use super::race::{Found, Race};
use super::vrf_output;
use masspoc_proof::vrf::{VrfOutput, VrfPublicKey, VrfSecretKey};
use masspoc_proof::Score;
use masspoc_verifier::challenge::{derive_challenge, Slot};
use masspoc_verifier::state::{ChainState, SimBlock};
use masspoc_verifier::types::Height;
use std::sync::OnceLock;

/// VRF keys the grinding adversary tries per block it wins (besides its bound key).
pub const GRIND_KEYS: usize = 8;

/// The grinder's pool of other VRF keys (fixed: what it grinds is the challenge they give).
fn grind_keys() -> &'static [VrfPublicKey] {
    static KEYS: OnceLock<Vec<VrfPublicKey>> = OnceLock::new();
    KEYS.get_or_init(|| {
        (0..GRIND_KEYS)
            .map(|i| {
                let mut seed = [0x6b; 32];
                seed[..8].copy_from_slice(&(i as u64).to_le_bytes());
                VrfSecretKey::from_seed(&seed).public()
            })
            .collect()
    })
}

/// The grinder's choice among its keys: the one whose output gives it the earliest-looking
/// next block (lowest score at slot 0 of the next height).
fn grind(r: &Race<'_>, found: &Found, height: Height) -> Option<SimBlock> {
    let next = height.next()?;
    let mut best: Option<(Score, VrfPublicKey, VrfOutput)> = None;
    for pk in grind_keys() {
        let beta = vrf_output(pk, &found.challenge);
        let c = derive_challenge(&r.spec.chain_id, next, Slot(0), &beta).0;
        let Some(sc) = r.adversary_score(&c, height.0) else {
            continue;
        };
        if best.as_ref().is_none_or(|b| sc < b.0) {
            best = Some((sc, *pk, beta));
        }
    }
    let (_, pk, beta) = best?;
    Some(SimBlock {
        vrf_pk: Some(pk),
        beta,
        ..found.block
    })
}

/// The grinder won a block (already in its view `own`): it publishes the ground block, and its
/// bound block if the rules refuse that.
pub(super) fn on_own_block(
    r: &Race<'_>,
    public: &mut ChainState,
    own: &mut ChainState,
    found: Found,
    tally: &mut Tally,
) {
    let height = own
        .node(&found.block.parent)
        .map(|n| n.height.next().unwrap_or(n.height))
        .expect("known parent");
    if let Some(ground) = grind(r, &found, height) {
        let before = tally.refused;
        publish(public, &[ground], tally);
        if tally.refused == before {
            own.accept_simulated(&ground).expect("accepted publicly");
            return;
        }
    }
    publish(public, &[found.block], tally);
}
