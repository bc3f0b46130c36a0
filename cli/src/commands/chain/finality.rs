//! `verify-chain URL --pow-rpc URL`: the final block derived from the node's anchor proofs, each
//! checked against the PoW node itself, and the PoW node's header chain from below the lowest
//! anchor to its tip checked as the node's follower checks it (`docs/protocol.md` §14, "What a
//! light verifier checks").

use crate::bridge_http::{Bridge, BridgeRefused};
use anyhow::{bail, Context};
use clap::Args;
use masspoc_api::codes;
use masspoc_node_bridge::anchor::proof::verify_proof;
use masspoc_node_bridge::anchor::ItemKind;
use masspoc_node_bridge::error::FollowError;
use masspoc_node_bridge::follower::range::{
    check_chainwork, check_name, check_range, range_start, DEFAULT_CHUNK,
};
use masspoc_node_bridge::pow::{Hash256, PowParams};
use masspoc_node_bridge::rpc::{RpcAuth, RpcClient, RpcConfig};
use masspoc_verifier::{Block, ChainState, HeaderHash};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The PoW node a `verify-chain` checks anchor proofs against (the flags of `bridge run`'s node,
/// prefixed `pow-`).
#[derive(Args, Debug, Clone)]
pub struct PowArgs {
    /// The PoW node's JSON-RPC URL (litecoind); with a bridge URL as source, derive the final
    /// block from the bridge's anchor proofs and check it against the bridge's own claim.
    #[arg(long, value_name = "URL")]
    pub pow_rpc: Option<String>,
    /// The PoW node's cookie file; wins over user/password.
    #[arg(long, value_name = "FILE")]
    pub pow_rpc_cookie: Option<PathBuf>,
    /// The PoW node's RPC user name.
    #[arg(long)]
    pub pow_rpc_user: Option<String>,
    /// The PoW node's RPC password.
    #[arg(long)]
    pub pow_rpc_password: Option<String>,
    /// The PoW network whose rules the PoW headers are checked by (regtest, main, test);
    /// without it, the one the PoW node reports (`getblockchaininfo`).
    #[arg(long, value_name = "NAME")]
    pub pow_network: Option<String>,
}

impl PowArgs {
    fn client(&self, url: &str) -> anyhow::Result<RpcClient> {
        let auth = match (
            &self.pow_rpc_cookie,
            &self.pow_rpc_user,
            &self.pow_rpc_password,
        ) {
            (Some(c), _, _) => RpcAuth::Cookie(c.clone()),
            (None, Some(u), Some(p)) => RpcAuth::UserPass {
                user: u.clone(),
                password: p.clone(),
            },
            (None, None, None) => RpcAuth::None,
            _ => bail!("give both --pow-rpc-user and --pow-rpc-password, or --pow-rpc-cookie"),
        };
        let config = RpcConfig {
            retry_for: Duration::from_secs(3),
            ..RpcConfig::default()
        };
        Ok(RpcClient::new(url, auth, config))
    }

    /// The rules of `--pow-network`, or of the network `rpc` reports.
    fn params(&self, rpc: &RpcClient, url: &str) -> anyhow::Result<PowParams> {
        let name = match &self.pow_network {
            Some(n) => n.clone(),
            None => rpc
                .chain_name()
                .with_context(|| format!("asking the PoW node at {url} which network it is on"))?,
        };
        PowParams::by_name(&name).with_context(|| {
            format!("unknown PoW network {name:?} (regtest, main, test; --pow-network)")
        })
    }
}

/// What the derivation found (the `finality` object of `verify-chain --json`).
#[derive(Debug, Serialize)]
pub struct FinalityReport {
    /// The PoW node's tip height.
    pub pow_tip: u64,
    /// The PoW height the final block was derived at: the node's `final_pow_height` when it
    /// gives one at or below `pow_tip`, else `pow_tip`.
    pub compared_at_pow_height: u64,
    /// The first PoW height whose header was checked (`None`: no anchor, nothing checked).
    pub pow_headers_from: Option<u64>,
    /// PoW headers checked as the node's follower checks them, from `pow_headers_from` up to
    /// the PoW tip (or the highest anchoring block when the node moved on meanwhile).
    pub pow_headers_checked: u64,
    /// Seconds the fetching and checking of those headers took.
    pub pow_headers_secs: f64,
    /// The work those headers hold above the first (64 hex digits), which is the growth of the
    /// PoW node's `chainwork` over them (`None`: nothing checked).
    pub pow_headers_work: Option<String>,
    /// Headers with an anchor proof that checked out.
    pub anchored: usize,
    /// The derived final block's height.
    pub final_height: u64,
    /// Its hash.
    pub final_hash: HeaderHash,
    /// What the node claims (`GET /v1/chains`), height.
    pub node_final_height: u64,
    /// What the node claims, hash.
    pub node_final_hash: Option<HeaderHash>,
    /// Derived and claimed final blocks are the same.
    pub agrees: bool,
    /// When they are not: what the bridge claims and what was derived, in a sentence.
    pub mismatch: Option<String>,
}

/// Fetches each accepted block's header anchor proof from the bridge, checks it against the PoW
/// node (batch path, transaction, merkle path, the header's own scrypt proof of work, on the
/// PoW node's best chain), checks the PoW node's headers from below the lowest anchoring block
/// to its tip as the bridge's follower does and that every anchoring block is the checked header
/// at its height, records the anchors at that height, sets the PoW tip and reads the final
/// block. A proof that does not check out is an error naming the header; a PoW header that does
/// not, an error naming its height, the failed check and the PoW node.
pub fn derive(
    bridge_url: &str,
    pow: &PowArgs,
    state: &mut ChainState,
    blocks: &[Block],
) -> anyhow::Result<FinalityReport> {
    let Some(pow_url) = &pow.pow_rpc else {
        bail!("--pow-rpc is needed to derive finality");
    };
    let rpc = pow.client(pow_url)?;
    let bridge = Bridge::new(bridge_url);
    let pow_tip = rpc
        .block_count()
        .with_context(|| format!("asking the PoW node at {pow_url} for its tip"))?;
    let params = pow.params(&rpc, pow_url)?;
    let mut by_height: BTreeMap<u64, Vec<HeaderHash>> = BTreeMap::new();
    // (PoW height, PoW block, PoC header) of every anchor proof that checked out.
    let mut anchors: Vec<(u64, Hash256, String)> = Vec::new();
    for block in blocks {
        let hash = block.header.hash();
        if state.node(&hash).is_none() {
            continue;
        }
        let hex = hash.to_string();
        let proof = match bridge.anchor_proof(&hex, Some("header")) {
            Ok(p) => p,
            Err(e) if not_anchored(&e) => continue,
            Err(e) => return Err(e.context(format!("anchor proof of header {hex}"))),
        };
        if proof.item != hex || proof.kind != ItemKind::Header {
            bail!(
                "the bridge answered the anchor proof of header {hex} with a proof of {:?} item {}",
                proof.kind,
                proof.item
            );
        }
        let check = verify_proof(&rpc, &proof).with_context(|| {
            format!(
                "anchor proof of header {hex} (PoW block {} at {pow_url})",
                proof.block_hash
            )
        })?;
        if !check.valid {
            bail!(
                "anchor proof of header {hex}: PoW block {} is not on the best chain of {pow_url}",
                proof.block_hash
            );
        }
        // The height counted is the PoW node's; a proof claiming another one is a lie (a block's
        // height never changes), refused rather than silently corrected.
        if proof.block_height != check.block_height {
            bail!(
                "anchor proof of header {hex}: the bridge says PoW block {} is at height {}, \
                 {pow_url} has it at height {}",
                proof.block_hash,
                proof.block_height,
                check.block_height
            );
        }
        let block = Hash256::from_display_hex(&proof.block_hash)
            .map_err(|e| anyhow::anyhow!("anchor proof of header {hex}: bad block hash: {e}"))?;
        anchors.push((check.block_height, block, hex));
        by_height.entry(check.block_height).or_default().push(hash);
    }
    let started = Instant::now();
    let checked = match (by_height.keys().next(), by_height.keys().next_back()) {
        (Some(&lowest), Some(&highest)) => {
            let to = pow_tip.max(highest);
            let beacon = beacon_place(&rpc, pow_url, state)?;
            let from = range_start(&params, lowest, to).min(beacon.1);
            let range = check_range(&rpc, &params, from, to, DEFAULT_CHUNK).map_err(|e| {
                let what = match &e {
                    FollowError::InvalidHeader { height, reason } => format!(
                        "PoW header at height {height} fails the {} check (PoW node {pow_url})",
                        check_name(reason)
                    ),
                    _ => format!("checking PoW headers {from}..={to} of {pow_url}"),
                };
                anyhow::Error::new(e).context(what)
            })?;
            let at_beacon = range.id_at(beacon.1);
            if at_beacon != Some(beacon.0) {
                bail!(
                    "PoW header at height {} fails the beacon check (PoW node {pow_url}): the \
                     chain's beacon is {}, the header checked there is {}",
                    beacon.1,
                    beacon.0,
                    at_beacon.map_or_else(|| "none".to_string(), |h| h.to_string())
                );
            }
            for (height, block, hex) in &anchors {
                let checked = range.id_at(*height);
                if checked != Some(*block) {
                    bail!(
                        "anchor proof of header {hex}: PoW block {block} fails the id check at \
                         height {height}: the header checked there on {pow_url} is {}",
                        checked.map_or_else(|| "none".to_string(), |h| h.to_string())
                    );
                }
            }
            check_chainwork(&rpc, &range).with_context(|| {
                format!("PoW headers {from}..={to} fail the chainwork check (PoW node {pow_url})")
            })?;
            Some(range)
        }
        _ => None,
    };
    let pow_headers_secs = started.elapsed().as_secs_f64();
    let anchored = by_height.values().map(Vec::len).sum();
    for (h, hashes) in &by_height {
        state.record_anchors(*h, hashes);
    }
    let claim = bridge
        .chains()?
        .into_iter()
        .find(|c| c.chain_id == state.spec().chain_id)
        .context("the bridge no longer lists the chain")?;
    // Derived at the PoW height the node derived its claim at (its follower may lag the PoW
    // node): a node claiming a lower height can only claim an older final block, never another
    // branch, since the final block only moves up the chain as the PoW tip grows.
    let compared_at = claim.final_pow_height.map_or(pow_tip, |p| p.min(pow_tip));
    state.set_pow_tip(compared_at);
    let fin = state.final_block();
    let agrees = claim.final_height == fin.height && claim.final_hash == Some(fin.hash);
    let mismatch = (!agrees).then(|| {
        format!(
            "the bridge claims final block {} at height {}, but its anchor proofs checked \
             against {pow_url} (at PoW height {compared_at}, tip {pow_tip}, {anchored} anchored \
             headers) make {} at height {} final",
            claim
                .final_hash
                .map_or_else(|| "(none)".to_string(), |h| h.to_string()),
            claim.final_height,
            fin.hash,
            fin.height
        )
    });
    Ok(FinalityReport {
        pow_tip,
        compared_at_pow_height: compared_at,
        pow_headers_from: checked.as_ref().map(|r| r.from),
        pow_headers_checked: checked.as_ref().map_or(0, |r| r.len()),
        pow_headers_secs,
        pow_headers_work: checked.as_ref().map(|r| r.work_hex()),
        anchored,
        final_height: fin.height.0,
        final_hash: fin.hash,
        node_final_height: claim.final_height.0,
        node_final_hash: claim.final_hash,
        agrees,
        mismatch,
    })
}

/// The chain's beacon block (pinned in its parameters) and its height on the PoW node's best
/// chain: the checked PoW range starts there at the latest, so the headers under the anchors
/// descend from a block the chain's parameters name, not from one the PoW node picked.
fn beacon_place(
    rpc: &RpcClient,
    pow_url: &str,
    state: &ChainState,
) -> anyhow::Result<(Hash256, u64)> {
    let beacon = Hash256::from_display_hex(&state.spec().params.beacon.to_hex())
        .map_err(|e| anyhow::anyhow!("the chain's beacon: {e}"))?;
    let info = rpc
        .header_info(&beacon)
        .with_context(|| format!("asking {pow_url} for the chain's beacon block {beacon}"))?;
    if info.confirmations < 0 {
        bail!("the chain's beacon block {beacon} is not on the best chain of {pow_url}");
    }
    Ok((beacon, info.height))
}

fn not_anchored(e: &anyhow::Error) -> bool {
    e.downcast_ref::<BridgeRefused>().is_some_and(|r| {
        r.code == codes::UNKNOWN_ITEM
            || r.code == codes::NOT_PROVABLE
            || r.code == codes::NOT_ANCHORING
    })
}
