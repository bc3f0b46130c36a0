//! `masspoc simulate`.

use crate::output::print_json;
use anyhow::Context;
use clap::Args as ClapArgs;
use masspoc_sim::{parse_farmers, run, run_with_adversary, AdversaryConfig, SimConfig, Strategy};
use std::process::ExitCode;

/// Arguments of `simulate`.
#[derive(ClapArgs)]
pub struct Args {
    /// Heights to produce.
    #[arg(long)]
    heights: u64,
    /// Farmers: `K:COUNT` items separated by commas, one farmer per item.
    #[arg(long)]
    farmers: String,
    /// RNG seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Multiply the total space by this factor over the run (e.g. 4 or 0.25).
    #[arg(long, default_value_t = 1.0)]
    space_change: f64,
    /// Target interval, ms.
    #[arg(long, default_value_t = 10_000)]
    target_ms: u64,
    /// Slot delay, ms.
    #[arg(long, default_value_t = 60_000)]
    slot_ms: u64,
    /// The chain's filter and probe bits (each plot holds Poisson(2^(B-1)) pairs per challenge).
    #[command(flatten)]
    bits: crate::bits_arg::ChallengeBits,
    /// Retarget window, blocks.
    #[arg(long, default_value_t = 64)]
    window: u32,
    /// Propagation delay, ms (blocks due within it of the best one are published too).
    #[arg(long, default_value_t = 500)]
    delay_ms: u64,
    /// An adversary racing the farmers on the real rules: withhold, vrf-grind or private-chain.
    #[arg(long, requires = "adversary_share")]
    adversary: Option<Strategy>,
    /// The adversary's share of the total weight, in (0, 1).
    #[arg(long, requires = "adversary")]
    adversary_share: Option<f64>,
    /// Finality from a simulated PoW chain (with --adversary): a PoW block every
    /// --pow-interval-ms anchors what the honest nodes accepted and what the adversary built.
    #[arg(long, requires = "adversary")]
    finality: bool,
    /// Simulated time between PoW blocks, ms (Litecoin: 150000).
    #[arg(long, default_value_t = 150_000, requires = "finality")]
    pow_interval_ms: u64,
    /// The chain's anchor_confirmations.
    #[arg(long, default_value_t = masspoc_verifier::params::DEFAULT_ANCHOR_CONFIRMATIONS, requires = "finality")]
    anchor_confirmations: u32,
    /// The chain's finality_window R (PoW blocks).
    #[arg(long, default_value_t = masspoc_verifier::params::DEFAULT_FINALITY_WINDOW, requires = "finality")]
    finality_window: u32,
    /// The chain's finality_depth c (PoC blocks).
    #[arg(long, default_value_t = masspoc_verifier::params::DEFAULT_FINALITY_DEPTH, requires = "finality")]
    finality_depth: u32,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

impl Args {
    /// Runs the simulation.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        anyhow::ensure!(
            self.space_change.is_finite() && self.space_change > 0.0,
            "--space-change must be a positive number"
        );
        let mut cfg = SimConfig::new(self.heights, parse_farmers(&self.farmers)?, self.seed);
        cfg.space_change = self.space_change;
        cfg.target_interval_ms = self.target_ms;
        cfg.slot_ms = self.slot_ms;
        cfg.filter_bits = self.bits.filter_bits;
        cfg.probe_bits = self.bits.probe_bits;
        cfg.retarget_window = self.window;
        cfg.delay_ms = self.delay_ms;
        if self.finality {
            anyhow::ensure!(
                self.pow_interval_ms > 0,
                "--pow-interval-ms must be at least 1"
            );
            cfg.finality = Some(masspoc_sim::SimFinality {
                pow_interval_ms: self.pow_interval_ms,
                anchor_confirmations: self.anchor_confirmations,
                finality_window: self.finality_window,
                finality_depth: self.finality_depth,
            });
        }
        let (_, r) = match (self.adversary, self.adversary_share) {
            (Some(strategy), Some(share)) => {
                anyhow::ensure!(
                    share > 0.0 && share < 1.0,
                    "--adversary-share must be in (0, 1)"
                );
                run_with_adversary(&cfg, &AdversaryConfig { strategy, share })
            }
            _ => run(&cfg),
        }
        .context("invalid simulation parameters")?;
        if self.json {
            print_json(&r)?;
            return Ok(ExitCode::SUCCESS);
        }
        println!(
            "{} heights, target {:.1} s, probe bits {}",
            r.heights, r.target_interval_s, self.bits.probe_bits
        );
        println!(
            "{:<16} {:>12} {:>12} {:>8}",
            "farmer", "weight share", "block share", "blocks"
        );
        for f in &r.farmers {
            println!(
                "{:<16} {:>12.4} {:>12.4} {:>8}",
                f.name, f.weight_share, f.block_share, f.blocks
            );
        }
        println!(
            "interval mean {:.3} s, stddev {:.3} s (first/last quarter {:.3} / {:.3} s)",
            r.mean_interval_s,
            r.interval_stddev_s,
            r.mean_interval_quarters_s[0],
            r.mean_interval_quarters_s[1]
        );
        println!(
            "reorgs {} (deepest {}), orphans {}, blocks from a later slot {}",
            r.reorgs, r.max_reorg_depth, r.orphans, r.late_slot_blocks
        );
        if let Some(a) = &r.adversary {
            println!(
                "adversary {}: weight share {:.4}, block share {:.4}, reorgs caused {} (deepest {}), blocks refused {}",
                a.strategy, a.weight_share, a.block_share, a.reorgs_caused, a.max_reorg_depth, a.refused_blocks
            );
            if let Some(f) = &a.finality {
                println!(
                    "finality: {} PoW blocks ({:.0} s), final height {} ({} below the tip, moved {} times), reorgs past a final block {}, final blocks lost {}, reveals refused as conflicting {} blocks, tip moves forced by finality {}",
                    f.pow_blocks, f.pow_interval_s, f.final_height, f.final_lag_blocks, f.final_moves, f.reorgs_past_final, f.final_blocks_lost, f.refused_conflicting, f.finality_reorgs
                );
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}
