//! Reading headers, parameters and evidence from files, hex arguments or a bridge URL.

use anyhow::{bail, Context};
use masspoc_api::routes::{self, MAX_HEADERS_LIMIT};
use masspoc_api::HeaderList;
use masspoc_verifier::{parse_header_text, ChainParams, ChainSpec, Header, Height, HEADER_LEN};
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

/// The chain parameters (JSON file, the `ChainParams` form of `docs/protocol.md`).
pub fn spec(path: &Path) -> anyhow::Result<ChainSpec> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let params: ChainParams = serde_json::from_str(&text)
        .with_context(|| format!("parsing chain parameters in {}", path.display()))?;
    ChainSpec::new(params).context("invalid chain parameters")
}

/// Headers from a file with one header per line (JSON or hex; blank lines and `#` comments
/// skipped), or from a bridge URL (`GET {url}/v1/chains/{chain_id}/headers?from=H&limit=1000`).
pub fn headers(source: &str, spec: &ChainSpec) -> anyhow::Result<Vec<Header>> {
    if source.starts_with("http://") || source.starts_with("https://") {
        return headers_from_bridge(source, spec);
    }
    let text = std::fs::read_to_string(source).with_context(|| format!("reading {source}"))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        out.push(parse_header_text(line).with_context(|| format!("{source}:{}", i + 1))?);
    }
    Ok(out)
}

fn headers_from_bridge(url: &str, spec: &ChainSpec) -> anyhow::Result<Vec<Header>> {
    let base = url.trim_end_matches('/');
    let mut out = Vec::new();
    loop {
        let from = Height(out.len() as u64 + 1);
        let page_url = format!(
            "{base}{}",
            routes::headers_page(&spec.chain_id, from, MAX_HEADERS_LIMIT)
        );
        let body = ureq::get(&page_url)
            .call()
            .with_context(|| format!("GET {page_url}"))?
            .body_mut()
            .read_to_string()
            .with_context(|| format!("reading the answer of {page_url}"))?;
        let page: HeaderList =
            serde_json::from_str(&body).with_context(|| format!("parsing {page_url}"))?;
        if page.headers.is_empty() {
            break;
        }
        let headers = page
            .decode()
            .map_err(|(i, e)| anyhow::anyhow!("header {i} from {page_url}: {e}"))?;
        out.extend(headers);
        if out.len() > 100_000_000 {
            bail!("the bridge served more than 10^8 headers");
        }
    }
    Ok(out)
}
