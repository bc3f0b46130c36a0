//! The double-signing demonstration: a second signer on a copy of the farmer key, with a signing
//! history of its own (so nothing stops it), signs a second header at a height the honest farmer
//! already signed, and hands it to the bridge, whose slashing detector must catch it.

use super::setup::Layout;
use crate::bridge_http::Bridge;
use anyhow::Context;
use masspoc_api::{routes, SubmitHeader};
use masspoc_farmer::keys::FarmerKey;
use masspoc_farmer::signing_history::SigningGuard;
use masspoc_verifier::ChainId;

/// Double-signs at height 1 of `chain_id`; returns the bridge's answer to the second header.
pub fn double_sign(layout: &Layout, bridge: &Bridge, chain_id: &ChainId) -> anyhow::Result<String> {
    let honest = bridge
        .headers(chain_id, 1)?
        .into_iter()
        .next()
        .context("the chain has no header at height 1 to double-sign")?;

    // The second signer: a copy of the key, and a fresh, empty signing history.
    std::fs::create_dir_all(layout.rogue_dir())?;
    let key = FarmerKey::load(&layout.key(), None).context("loading the copied key")?;
    let guard = SigningGuard::open(key, &layout.rogue_dir().join("history"))?;

    let mut twin = honest;
    // One millisecond later: still valid (a timestamp may be later than the deadline allows), with
    // the same empty body, and a different header at the same height.
    twin.timestamp_ms += 1;
    let signature = guard.sign(&twin).context("the second signer signing")?;
    twin.signature = signature.to_bytes();
    let (status, reply) =
        bridge.post(&routes::headers(&twin.chain_id), &SubmitHeader::new(&twin))?;
    Ok(format!("HTTP {status}: {reply}"))
}
