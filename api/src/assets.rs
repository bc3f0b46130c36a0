//! The status pages' files, embedded once for both servers: the farmer's page (`GET /` on its
//! `status_listen`) and the chain node's (`GET /` on its API port) load their scripts, styles and
//! the vendored chart library [uPlot](https://github.com/leeoniya/uPlot) from `/assets/NAME`,
//! served from these bytes (no CDN, nothing fetched at run time). `api/assets/README.md` says
//! where each file comes from.

/// The Content-Security-Policy both servers send with every page and asset: only this origin's
/// scripts, styles and JSON, no inline script, no `eval`, no frames, no forms.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// One embedded file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Asset {
    /// Its `Content-Type`.
    pub content_type: &'static str,
    /// Its bytes.
    pub body: &'static [u8],
}

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const HTML: &str = "text/html; charset=utf-8";

/// The farmer's status page (`GET /`).
pub const FARM_PAGE: Asset = Asset {
    content_type: HTML,
    body: include_bytes!("../assets/farm.html"),
};

/// The chain node's status page (`GET /`).
pub const NODE_PAGE: Asset = Asset {
    content_type: HTML,
    body: include_bytes!("../assets/node.html"),
};

/// The file served at `/assets/{name}`, if there is one.
#[must_use]
pub fn asset(name: &str) -> Option<Asset> {
    let (content_type, body): (&str, &[u8]) = match name {
        "uPlot.iife.min.js" => (JS, include_bytes!("../assets/uPlot.iife.min.js")),
        "uPlot.min.css" => (CSS, include_bytes!("../assets/uPlot.min.css")),
        "status.css" => (CSS, include_bytes!("../assets/status.css")),
        "common.js" => (JS, include_bytes!("../assets/common.js")),
        "farm.js" => (JS, include_bytes!("../assets/farm.js")),
        "node.js" => (JS, include_bytes!("../assets/node.js")),
        _ => return None,
    };
    Some(Asset { content_type, body })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_load_only_embedded_assets() {
        for page in [FARM_PAGE, NODE_PAGE] {
            let html = std::str::from_utf8(page.body).unwrap();
            assert!(!html.contains("http://") && !html.contains("https://"));
            assert!(!html.contains("<script>"), "no inline script (CSP)");
            assert!(!html.contains("style="), "no inline style (CSP)");
            for part in html.split("/assets/").skip(1) {
                let name = part.split('"').next().unwrap();
                assert!(asset(name).is_some(), "{name} is not embedded");
            }
        }
        assert!(asset("../Cargo.toml").is_none());
        let uplot = std::str::from_utf8(asset("uPlot.iife.min.js").unwrap().body).unwrap();
        assert!(uplot.contains("uPlot"));
    }
}
