//! `masspoc verify-header` and `masspoc verify-chain`.

use super::input;
use crate::output::print_json;
use anyhow::Context;
use clap::Args;
use masspoc_proof::vrf::proof_to_hash;
use masspoc_verifier::batch::accept_sequence;
use masspoc_verifier::rules::{check_header, check_vrf_binding, ParentInfo};
use masspoc_verifier::{ChainState, Header, HeaderJson, RejectError};
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Arguments of `verify-header`.
#[derive(Args)]
pub struct HeaderArgs {
    /// The header: a file (binary, hex or JSON) or hex on the command line.
    header: String,
    /// Chain parameters: one chain's JSON, or a bridge's chains file (TOML; --chain picks one);
    /// without them only the encoding, the VRF key binding and the signature are checked.
    #[arg(long)]
    params: Option<PathBuf>,
    /// The chain's name in a chains file of several chains.
    #[arg(long, value_name = "NAME")]
    chain: Option<String>,
    /// The parent header (file or hex); not needed at height 1 (the parent is genesis).
    #[arg(long)]
    parent: Option<String>,
    /// Skip the future-drift rule (for old headers).
    #[arg(long)]
    no_clock: bool,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

impl HeaderArgs {
    /// Runs the check; exit 0 when valid, 1 when not.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let spec = self
            .params
            .as_deref()
            .map(|p| input::spec(p, self.chain.as_deref()))
            .transpose()?;
        let header = input::header(&self.header)?;
        let parent = match (&spec, &self.parent, header.height.0) {
            (None, _, _) => None,
            (Some(spec), _, 1) => Some(ParentInfo::genesis(&spec.genesis)),
            (Some(_), Some(p), _) => {
                let p: Header = input::header(p).context("the parent")?;
                // The parent's own VRF proof is not checked here (that needs the grandparent):
                // its output is read with ECVRF_proof_to_hash.
                let beta = proof_to_hash(&p.vrf_proof)
                    .map_err(|e| anyhow::anyhow!("the parent's VRF proof does not decode: {e}"))?;
                Some(ParentInfo {
                    hash: p.hash(),
                    height: p.height,
                    timestamp_ms: p.timestamp_ms,
                    beta,
                })
            }
            (Some(_), None, _) => None,
        };
        let now = (!self.no_clock).then(now_ms);
        // The retarget rule needs the window of ancestors: with only the parent, the header's own
        // difficulty is used (verify-chain checks it).
        let result = match (&parent, &spec) {
            (Some(p), Some(spec)) => {
                check_header(&header, p, spec, header.difficulty, now).map(Some)
            }
            // The VRF key binding needs nothing but the header.
            _ => check_vrf_binding(&header)
                .and_then(|()| header.verify_signature())
                .map(|()| None),
        };
        let scope = match (&parent, header.height.0) {
            (None, _) => {
                "encoding, vrf key binding and signature only (give --params, and --parent above \
                 height 1)"
            }
            (Some(_), 1) => "all rules",
            (Some(_), _) => "all rules except the retarget window (use verify-chain)",
        };
        let (valid, code, message) = match &result {
            Ok(_) => (true, None, None),
            Err(e) => (false, Some(e.code()), Some(e.to_string())),
        };
        let checked = result.as_ref().ok().and_then(Option::as_ref);
        if self.json {
            print_json(&json!({
                "valid": valid,
                "reason": code,
                "message": message,
                "scope": scope,
                "hash": header.hash(),
                "height": header.height.0,
                "farmer_pk": header.farmer(),
                "deadline_ms": checked.map(|c| c.deadline_ms),
                "score": checked.map(|c| c.proof.score.0.to_string()),
                "header": HeaderJson::from(&header),
            }))?;
        } else {
            println!("header {} at height {}", header.hash(), header.height);
            println!("checked: {scope}");
            match (&result, checked) {
                (Ok(_), Some(c)) => println!("valid (deadline {} ms)", c.deadline_ms),
                (Ok(_), None) => println!("valid"),
                (Err(e), _) => println!("INVALID [{}]: {e}", e.code()),
            }
        }
        Ok(if valid {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        })
    }
}

/// Arguments of `verify-chain`.
#[derive(Args)]
pub struct ChainArgs {
    /// A file with one header per line (JSON or hex), or a bridge base URL (`http://HOST:PORT`).
    source: String,
    /// Chain parameters: one chain's JSON, or a bridge's chains file (TOML, e.g. the bridge's
    /// --chains file; --chain picks one of several).
    #[arg(long)]
    params: PathBuf,
    /// The chain's name in a chains file of several chains.
    #[arg(long, value_name = "NAME")]
    chain: Option<String>,
    /// Skip the future-drift rule.
    #[arg(long)]
    no_clock: bool,
    /// The PoW node to derive finality with (bridge URL sources only).
    #[command(flatten)]
    pow: super::finality::PowArgs,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

impl ChainArgs {
    /// Runs the check; exit 0 when every header is valid (and, with --pow-rpc, the derived final
    /// block is the bridge's), 1 otherwise.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let spec = input::spec(&self.params, self.chain.as_deref())?;
        let blocks = input::blocks(&self.source, &spec)?;
        let mut state = ChainState::new(spec);
        let now = (!self.no_clock).then(now_ms);
        let start = Instant::now();
        let mut rejected = Vec::new();
        for (chunk_no, chunk) in blocks.chunks(8192).enumerate() {
            for (i, r) in accept_sequence(&mut state, chunk, now)
                .into_iter()
                .enumerate()
            {
                if let Err(e) = r {
                    rejected.push((chunk_no * 8192 + i, chunk[i].header, e));
                }
            }
        }
        let finality = match &self.pow.pow_rpc {
            Some(_) if !self.source.starts_with("http") => {
                anyhow::bail!(
                    "--pow-rpc needs a bridge URL as the source (it serves anchor proofs)"
                )
            }
            Some(_) => Some(super::finality::derive(
                &self.source,
                &self.pow,
                &mut state,
                &blocks,
            )?),
            None => None,
        };
        let secs = start.elapsed().as_secs_f64();
        let best = state.best();
        let rate = blocks.len() as f64 / secs.max(1e-9);
        let valid = rejected.is_empty() && finality.as_ref().is_none_or(|f| f.agrees);
        if self.json {
            let rej: Vec<_> = rejected
                .iter()
                .map(|(i, h, e): &(usize, Header, RejectError)| {
                    json!({"index": i, "height": h.height.0, "hash": h.hash(),
                           "reason": e.code(), "message": e.to_string()})
                })
                .collect();
            print_json(&json!({
                "valid": valid,
                "headers": blocks.len(),
                "accepted": blocks.len() - rejected.len(),
                "rejected": rej,
                "best": {"height": best.height.0, "hash": best.hash,
                         "cumulative_difficulty": best.cumulative.to_string()},
                "reorgs": state.reorg_count(),
                "elapsed_s": secs,
                "headers_per_s": rate,
                "finality": finality,
            }))?;
        } else {
            println!(
                "{} headers, {} rejected, best tip {} at height {} ({:.0} headers/s)",
                blocks.len(),
                rejected.len(),
                best.hash,
                best.height,
                rate
            );
            if let Some(f) = &finality {
                println!(
                    "final block {} at height {} (derived from {} anchored headers at PoW height \
                     {}, PoW tip {}, {} PoW headers checked in {:.2} s); the bridge claims {} at \
                     height {}{}",
                    f.final_hash,
                    f.final_height,
                    f.anchored,
                    f.compared_at_pow_height,
                    f.pow_tip,
                    f.pow_headers_checked,
                    f.pow_headers_secs,
                    f.node_final_hash
                        .map_or("nothing".into(), |h| h.to_string()),
                    f.node_final_height,
                    if f.agrees { "" } else { ": MISMATCH" }
                );
            }
            for (i, h, e) in rejected.iter().take(20) {
                println!(
                    "  #{i} height {} {}: [{}] {e}",
                    h.height,
                    h.hash(),
                    e.code()
                );
            }
        }
        if let Some(why) = finality.as_ref().and_then(|f| f.mismatch.as_deref()) {
            eprintln!("verify-chain: MISMATCH: {why}");
        }
        Ok(if valid {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        })
    }
}
