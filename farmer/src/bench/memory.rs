//! Resident memory of this process, from `/proc/self/status` (Linux; zeros elsewhere).

use serde::Serialize;

/// Resident set sizes in KiB.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Rss {
    /// Total resident memory (`VmRSS`).
    pub rss_kib: u64,
    /// Anonymous memory: the farmer's own heap and stacks (`RssAnon`).
    pub anon_kib: u64,
    /// File pages mapped and resident: plot pages in the page cache (`RssFile`), shared and
    /// reclaimable.
    pub file_kib: u64,
}

/// The current resident memory.
#[must_use]
pub fn rss() -> Rss {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return Rss::default();
    };
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    Rss {
        rss_kib: field("VmRSS:"),
        anon_kib: field("RssAnon:"),
        file_kib: field("RssFile:"),
    }
}

/// Open file descriptors of this process (`/proc/self/fd`), 0 where unknown.
#[must_use]
pub fn open_fds() -> u64 {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count() as u64)
}
