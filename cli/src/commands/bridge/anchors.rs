//! `masspoc anchors add | list | prove | verify`.

use super::{DataArgs, NodeArgs};
use crate::output::print_json;
use anyhow::Context;
use clap::Subcommand;
use masspoc_api::{AnchorBatch, AnchorList};
use masspoc_node_bridge::anchor::proof::{build_proof, verify_proof};
use masspoc_node_bridge::anchor::{AnchorProof, Item, ItemKind};
use masspoc_node_bridge::host::anchor_list::anchor_list;
use masspoc_node_bridge::pow::Hash256;
use std::io::Read;
use std::process::ExitCode;

/// Anchor commands.
#[derive(Subcommand)]
pub enum Command {
    /// Queues 32-byte items for anchoring (while no bridge runs on the same data directory).
    Add {
        #[command(flatten)]
        data: DataArgs,
        /// What the items are.
        #[arg(long, value_enum, default_value = "header")]
        kind: Kind,
        /// Item hashes, 64 hex digits each.
        #[arg(required = true)]
        items: Vec<String>,
    },
    /// Lists batches with their transaction, block and confirmations (from the store, or
    /// through a running bridge's API with --bridge).
    List {
        #[command(flatten)]
        data: DataArgs,
        #[command(flatten)]
        node: NodeArgs,
        /// Read through this running bridge's API (`http://` + its --listen) instead of the store
        /// a running bridge holds open; the confirmations are then those of the bridge's last
        /// pass unless a node is named (--rpc-url / --rpc-cookie) to ask live.
        #[arg(long, value_name = "URL")]
        bridge: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Prints the inclusion proof of an item (JSON), from the store or through a running
    /// bridge's API with --bridge.
    Prove {
        #[command(flatten)]
        data: DataArgs,
        #[command(flatten)]
        node: NodeArgs,
        /// Ask this running bridge's API (`http://` + its --listen) instead of the store a
        /// running bridge holds open.
        #[arg(long, value_name = "URL")]
        bridge: Option<String>,
        /// The item hash (64 hex digits).
        item_hash: String,
        /// The item's kind (default: whichever the store holds).
        #[arg(long, value_enum)]
        kind: Option<Kind>,
    },
    /// Checks a proof against the node; exit status 1 when it does not hold.
    Verify {
        #[command(flatten)]
        node: NodeArgs,
        /// The proof: a file, `-` for standard input, or the JSON itself.
        proof: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Item kinds on the command line.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum Kind {
    /// A PoC header hash.
    Header,
    /// A slashing-evidence hash.
    Evidence,
}

impl From<Kind> for ItemKind {
    fn from(k: Kind) -> Self {
        match k {
            Kind::Header => ItemKind::Header,
            Kind::Evidence => ItemKind::Evidence,
        }
    }
}

fn hash32(s: &str) -> anyhow::Result<[u8; 32]> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(s.trim(), &mut out)
        .with_context(|| format!("{s:?} is not 64 hex digits"))?;
    Ok(out)
}

impl Command {
    /// Runs the command.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            Command::Add { data, kind, items } => {
                let items = items
                    .iter()
                    .map(|s| {
                        Ok(Item {
                            kind: kind.into(),
                            hash: hash32(s)?,
                        })
                    })
                    .collect::<anyhow::Result<Vec<_>>>()?;
                let outbox = data.outbox()?;
                let added = outbox.enqueue(&items)?;
                println!(
                    "queued {added} new item(s), {} pending",
                    outbox.pending_len()?
                );
                Ok(ExitCode::SUCCESS)
            }
            Command::List {
                data,
                node,
                bridge,
                json,
            } => list(&data, &node, bridge.as_deref(), json),
            Command::Prove {
                bridge: Some(url),
                item_hash,
                kind,
                ..
            } => {
                hash32(&item_hash)?;
                let kind = kind.map(|k| match k {
                    Kind::Header => "header",
                    Kind::Evidence => "evidence",
                });
                let proof: AnchorProof = crate::bridge_http::Bridge::new(&url)
                    .anchor_proof(item_hash.trim(), kind)
                    .with_context(|| format!("asking the bridge at {url} for the proof"))?;
                print_json(&proof)?;
                Ok(ExitCode::SUCCESS)
            }
            Command::Prove {
                data,
                node,
                bridge: None,
                item_hash,
                kind,
            } => {
                let outbox = data.outbox_to_read()?;
                let hash = hash32(&item_hash)?;
                let kinds: Vec<ItemKind> = match kind {
                    Some(k) => vec![k.into()],
                    None => vec![ItemKind::Header, ItemKind::Evidence],
                };
                let item = kinds
                    .into_iter()
                    .map(|kind| Item { kind, hash })
                    .find(|i| matches!(outbox.batch_of(i), Ok(Some(_))))
                    .with_context(|| format!("item {item_hash} is not in this store"))?;
                let proof = build_proof(&outbox, &node.client_for_reads()?, &item)?;
                print_json(&proof)?;
                Ok(ExitCode::SUCCESS)
            }
            Command::Verify { node, proof, json } => {
                let text = if proof == "-" {
                    let mut s = String::new();
                    std::io::stdin().read_to_string(&mut s)?;
                    s
                } else if proof.trim_start().starts_with('{') {
                    proof
                } else {
                    std::fs::read_to_string(&proof).with_context(|| format!("reading {proof}"))?
                };
                let proof: AnchorProof =
                    serde_json::from_str(&text).context("reading the proof")?;
                match verify_proof(&node.client_for_reads()?, &proof) {
                    Ok(check) => {
                        if json {
                            print_json(&check)?;
                        } else {
                            println!(
                                "valid: {} (block {} at height {}, {} confirmations)",
                                check.valid,
                                proof.block_hash,
                                check.block_height,
                                check.confirmations
                            );
                        }
                        Ok(if check.valid {
                            ExitCode::SUCCESS
                        } else {
                            ExitCode::from(1)
                        })
                    }
                    Err(e @ masspoc_node_bridge::AnchorError::Invalid(_)) => {
                        if json {
                            print_json(
                                &serde_json::json!({"valid": false, "reason": e.to_string()}),
                            )?;
                        } else {
                            println!("valid: false ({e})");
                        }
                        Ok(ExitCode::from(1))
                    }
                    Err(e) => Err(anyhow::Error::from(e).context(format!(
                        "checking the proof against the node at {} (name your litecoind with \
                         --rpc-url and --rpc-cookie, as for `bridge run`; regtest: \
                         http://127.0.0.1:19443 and DATADIR/regtest/.cookie)",
                        node.rpc_url
                    ))),
                }
            }
        }
    }
}

fn list(
    data: &DataArgs,
    node: &NodeArgs,
    bridge: Option<&str>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let mut list: AnchorList = match bridge {
        Some(url) => crate::bridge_http::Bridge::new(url)
            .anchors()
            .with_context(|| format!("reading the anchors of the bridge at {url}"))?,
        None => anchor_list(&data.outbox_to_read()?)?,
    };
    // Through a bridge, its own last pass has the confirmations; the node is asked only when
    // the user named one (a regtest bridge's node is not on the default mainnet port).
    if bridge.is_none() || node.is_given() {
        live_confirmations(&mut list.batches, node)?;
    }
    if json {
        print_json(&list)?;
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:>5}  {:<9}  {:>5}  {:<64}  {:>7}  {:>5}",
        "seq", "state", "items", "txid", "height", "conf"
    );
    for r in &list.batches {
        println!(
            "{:>5}  {:<9}  {:>5}  {:<64}  {:>7}  {:>5}",
            r.seq,
            r.state,
            r.items,
            r.txid.as_deref().unwrap_or("-"),
            r.block_height.map_or("-".into(), |h| h.to_string()),
            r.confirmations.map_or("-".into(), |c| c.to_string()),
        );
    }
    println!("{} item(s) waiting for a batch", list.pending_items);
    Ok(ExitCode::SUCCESS)
}

/// Replaces the recorded confirmations with the node's live count (-1: the block left the best
/// chain); when the node does not answer, says so once and keeps the recorded counts.
fn live_confirmations(rows: &mut [AnchorBatch], node: &NodeArgs) -> anyhow::Result<()> {
    if rows.iter().all(|r| r.block_hash.is_none()) {
        return Ok(());
    }
    let rpc = node.client_for_reads()?;
    for r in rows {
        let Some(block) = &r.block_hash else {
            continue;
        };
        let hash = Hash256::from_display_hex(block)?;
        match rpc.header_info(&hash) {
            Ok(info) => r.confirmations = Some(info.confirmations),
            Err(e) => {
                tracing::warn!(node = %node.rpc_url, error = %masspoc_report::Report(&e),
                    "node unreachable; showing the confirmations recorded at the bridge's last pass");
                return Ok(());
            }
        }
    }
    Ok(())
}
