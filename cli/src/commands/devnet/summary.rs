//! The devnet's closing report: a table on the terminal or `--json`.

use serde::Serialize;

/// One chain's figures.
#[derive(Debug, Serialize)]
pub struct ChainSummary {
    /// Hex chain id.
    pub chain_id: String,
    /// Chain name.
    pub name: String,
    /// Blocks on the best chain.
    pub blocks: u64,
    /// Mean interval between blocks, in seconds.
    pub mean_interval_s: f64,
    /// Proofs the farmer found for this chain.
    pub proofs_found: u64,
    /// Whether `masspoc verify-chain` accepted the chain.
    pub verified: bool,
    /// Blocks whose anchor proof checked out against the node.
    pub anchored: u64,
    /// Anchoring transactions used.
    pub anchor_txs: usize,
    /// The smallest confirmation count among the anchored blocks.
    pub confirmations: u64,
    /// Every chain node's best tip (hex), node 0 (the farmer's) first.
    pub node_tips: Vec<String>,
    /// Whether every node had the same tip.
    pub nodes_agree: bool,
}

/// The double-signing demonstration.
#[derive(Debug, Serialize)]
pub struct SlashingSummary {
    /// Evidence items the detector produced.
    pub evidence: usize,
    /// Evidence items whose anchor checked out against the node.
    pub anchored: usize,
}

/// The status pages the devnet served while it ran (`docs/farming.md`, "Status page").
#[derive(Debug, Serialize)]
pub struct StatusPages {
    /// The farmer's (`status_listen`).
    pub farmer: String,
    /// Each chain node's, node 0 (the farmer's) first.
    pub nodes: Vec<String>,
}

/// The whole report.
#[derive(Debug, Serialize)]
pub struct Summary {
    /// Per chain.
    pub chains: Vec<ChainSummary>,
    /// Slashing.
    pub slashing: SlashingSummary,
    /// PoW height at the end.
    pub pow_height: u64,
    /// Where the devnet's files are.
    pub dir: String,
    /// The harvester processes (`--harvesters N`; empty without).
    pub harvesters: Vec<super::harvesters::HarvesterSummary>,
    /// The status pages' URLs (up while the devnet ran).
    pub status_pages: StatusPages,
}

impl Summary {
    /// Prints the table.
    pub fn print_table(&self) {
        println!(
            "\n{:<10} {:>7} {:>10} {:>7} {:>9} {:>9} {:>6} {:>6} {:>7}",
            "chain", "blocks", "interval", "proofs", "verified", "anchored", "txs", "conf", "nodes"
        );
        for c in &self.chains {
            println!(
                "{:<10} {:>7} {:>9.2}s {:>7} {:>9} {:>9} {:>6} {:>6} {:>7}",
                c.name,
                c.blocks,
                c.mean_interval_s,
                c.proofs_found,
                if c.verified { "yes" } else { "NO" },
                format!("{}/{}", c.anchored, c.blocks),
                c.anchor_txs,
                c.confirmations,
                if c.nodes_agree { "agree" } else { "DIFFER" }
            );
            for (i, tip) in c.node_tips.iter().enumerate() {
                println!("  node {i} tip {tip}");
            }
        }
        for h in &self.harvesters {
            println!(
                "harvester {}: {} plot(s), {} proof(s) merged",
                h.id, h.plots, h.proofs
            );
        }
        println!(
            "status pages (up while the devnet ran): farmer {}; chain node(s) {}",
            self.status_pages.farmer,
            self.status_pages.nodes.join(" ")
        );
        println!(
            "slashing: {} evidence item(s) caught, {} anchored; PoW height {}; files in {}",
            self.slashing.evidence, self.slashing.anchored, self.pow_height, self.dir
        );
    }
}
