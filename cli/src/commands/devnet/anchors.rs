//! After the bridge has stopped: drive its anchoring outbox (the same `Anchorer` the bridge runs)
//! until every queued item is final, mining regtest blocks as needed, then prove and check each
//! item's anchor against the node.

use super::Stop;
use anyhow::Context;
use masspoc_node_bridge::anchor::outbox::BatchState;
use masspoc_node_bridge::anchor::proof::{build_proof, verify_proof};
use masspoc_node_bridge::anchor::{AnchorConfig, Anchorer, Item, ItemKind, Outbox};
use masspoc_node_bridge::regtest::RegtestNode;
use masspoc_node_bridge::store::Store;
use std::path::Path;
use std::time::{Duration, Instant};

/// The anchor of one item, checked against the node.
pub struct Checked {
    /// Whether a valid anchor proof was found on the best chain.
    pub anchored: bool,
    /// Its confirmations (0 when not anchored).
    pub confirmations: u64,
    /// The anchoring transaction, if any.
    pub txid: Option<String>,
}

/// Runs the outbox until nothing is pending or unfinal (or `timeout`), mining one block a pass.
pub fn finish_anchoring(
    node: &mut RegtestNode,
    bridge_data: &Path,
    confirmations: u64,
    timeout: Duration,
    stop: &Stop,
) -> anyhow::Result<Anchorer> {
    let store = Store::open_data_dir(bridge_data).context("opening the bridge's database")?;
    let outbox = Outbox::on(store).context("opening the bridge's anchor outbox")?;
    let mut anchorer = Anchorer::new(
        outbox,
        node.rpc(),
        node.wallet(),
        // One pass after the other, mining a block between them: no interval between rounds.
        AnchorConfig {
            confirmations,
            interval: Duration::ZERO,
            ..AnchorConfig::for_network("regtest")
        },
    );
    let deadline = Instant::now() + timeout;
    loop {
        stop.check()?;
        anchorer.tick().context("anchoring pass")?;
        let pending = anchorer.outbox.pending_len()?;
        let unfinal = anchorer
            .outbox
            .batches()?
            .iter()
            .filter(|b| b.state != BatchState::Final)
            .count();
        if pending == 0 && unfinal == 0 {
            return Ok(anchorer);
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "anchors not final after {timeout:?}: {pending} item(s) pending, {unfinal} batch(es) unfinal"
        );
        node.mine(1).context("mining a regtest block")?;
    }
}

/// Proves and checks the anchor of one item.
pub fn check_item(
    node: &RegtestNode,
    anchorer: &Anchorer,
    kind: ItemKind,
    hash: [u8; 32],
) -> Checked {
    let item = Item { kind, hash };
    let rpc = node.rpc();
    match build_proof(&anchorer.outbox, &rpc, &item) {
        Ok(proof) => match verify_proof(&rpc, &proof) {
            Ok(check) => Checked {
                anchored: check.valid,
                confirmations: check.confirmations,
                txid: Some(proof.txid.clone()),
            },
            Err(_) => Checked {
                anchored: false,
                confirmations: 0,
                txid: Some(proof.txid.clone()),
            },
        },
        Err(_) => Checked {
            anchored: false,
            confirmations: 0,
            txid: None,
        },
    }
}
