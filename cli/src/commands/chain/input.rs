//! Reading headers, parameters and evidence from files, hex arguments or a bridge URL.

use crate::bridge_http::{Bridge, BridgeRefused};
use anyhow::{bail, Context};
use masspoc_node_bridge::host::config::load_chains;
use masspoc_verifier::{parse_header_text, Block, ChainParams, ChainSpec, Header, HEADER_LEN};
use std::path::Path;

/// Reads an argument that is a file path or, failing that, the text itself (hex or JSON).
pub fn file_or_text(arg: &str) -> anyhow::Result<Vec<u8>> {
    let p = Path::new(arg);
    if p.is_file() {
        return std::fs::read(p).with_context(|| format!("reading {}", p.display()));
    }
    Ok(arg.as_bytes().to_vec())
}

/// One header from a file or an argument: raw 382 bytes, hex, or JSON.
pub fn header(arg: &str) -> anyhow::Result<Header> {
    let bytes = file_or_text(arg)?;
    if bytes.len() == HEADER_LEN && std::str::from_utf8(&bytes).is_err() {
        return Header::decode(&bytes).context("decoding the binary header");
    }
    let text = String::from_utf8(bytes).context("the header is neither binary nor text")?;
    parse_header_text(&text).context("parsing the header")
}

/// The chain parameters: a JSON file of one `ChainParams` (docs/protocol.md), or a bridge's
/// chains file (TOML, `[[chain]]` tables, docs/bridge.md) from which `chain` picks one by name
/// (needed only when the file has several).
pub fn spec(path: &Path, chain: Option<&str>) -> anyhow::Result<ChainSpec> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    if text.trim_start().starts_with('{') {
        if chain.is_some() {
            bail!(
                "{} holds one chain's parameters (JSON); --chain picks a chain of a chains file \
                 (TOML)",
                path.display()
            );
        }
        let params: ChainParams = serde_json::from_str(&text)
            .with_context(|| format!("parsing chain parameters (JSON) in {}", path.display()))?;
        return ChainSpec::new(params).context("invalid chain parameters");
    }
    let specs = load_chains(path).with_context(|| {
        format!(
            "reading {} as a chains file (TOML of [[chain]] tables; or give one chain's \
             parameters as JSON)",
            path.display()
        )
    })?;
    let names = || {
        specs
            .iter()
            .map(|s| s.params.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match chain {
        Some(name) => match specs.iter().find(|s| s.params.name == name) {
            Some(s) => Ok(s.clone()),
            None => bail!(
                "no chain named {name:?} in {}; it has: {}",
                path.display(),
                names()
            ),
        },
        None if specs.len() == 1 => Ok(specs[0].clone()),
        None if specs.is_empty() => bail!("{} has no [[chain]] table", path.display()),
        None => bail!(
            "{} has {} chains ({}); pick one with --chain NAME",
            path.display(),
            specs.len(),
            names()
        ),
    }
}

/// Blocks from a file with one header per line (JSON or hex; blank lines and `#` comments
/// skipped; each taken with the empty body), or from a bridge URL with their bodies
/// (`GET {url}/v1/chains/{chain_id}/headers?from=H&limit=1000`).
pub fn blocks(source: &str, spec: &ChainSpec) -> anyhow::Result<Vec<Block>> {
    if source.starts_with("http://") || source.starts_with("https://") {
        return blocks_from_bridge(source, spec);
    }
    let text = std::fs::read_to_string(source).with_context(|| format!("reading {source}"))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let header = parse_header_text(line).with_context(|| format!("{source}:{}", i + 1))?;
        out.push(Block::empty(header));
    }
    Ok(out)
}

fn blocks_from_bridge(url: &str, spec: &ChainSpec) -> anyhow::Result<Vec<Block>> {
    let bridge = Bridge::new(url);
    let mut out = Vec::new();
    loop {
        let page = match bridge.blocks(&spec.chain_id, out.len() as u64 + 1) {
            Ok(page) => page,
            Err(e) if is_unknown_chain(&e) => return Err(unknown_chain(&bridge, spec, e)),
            Err(e) => return Err(e),
        };
        if page.is_empty() {
            break;
        }
        out.extend(page);
        if out.len() > 100_000_000 {
            bail!("the bridge served more than 10^8 headers");
        }
    }
    Ok(out)
}

fn is_unknown_chain(e: &anyhow::Error) -> bool {
    e.downcast_ref::<BridgeRefused>()
        .is_some_and(|r| r.code == masspoc_api::codes::UNKNOWN_CHAIN)
}

/// "unknown chain id X on this bridge; it hosts: …" (the parameters do not match a hosted chain).
fn unknown_chain(bridge: &Bridge, spec: &ChainSpec, cause: anyhow::Error) -> anyhow::Error {
    let hosted = match bridge.chains() {
        Ok(chains) if chains.is_empty() => "no chains".to_string(),
        Ok(chains) => chains
            .iter()
            .map(|c| format!("{:?} ({})", c.name, c.chain_id))
            .collect::<Vec<_>>()
            .join(", "),
        Err(e) => format!("(its chain list did not answer: {e})"),
    };
    cause.context(format!(
        "unknown chain id {} (the parameters of {:?}) on the bridge at {}; it hosts: {hosted}. \
         The parameters must be exactly the bridge's (its chains file works as --params)",
        spec.chain_id,
        spec.params.name,
        bridge.base()
    ))
}
