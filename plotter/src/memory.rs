//! Memory helpers: the machine's RAM, the default bound, peak RSS, returning freed memory.
//!
//! (Transparent huge pages via `madvise` were measured on the round buffers and made plotting
//! slower here, with THP defrag in `madvise` mode; buffers are reused across rounds instead.)

/// Total RAM of the machine in bytes (`sysconf`), or 4 GiB when unknown.
#[must_use]
pub fn total_ram() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let (pages, size) = unsafe {
        (
            libc::sysconf(libc::_SC_PHYS_PAGES),
            libc::sysconf(libc::_SC_PAGESIZE),
        )
    };
    if pages > 0 && size > 0 {
        pages as u64 * size as u64
    } else {
        4 << 30
    }
}

/// The default memory bound: half the RAM, at most 16 GiB, at least 256 MiB.
#[must_use]
pub fn default_memory() -> u64 {
    (total_ram() / 2).clamp(256 << 20, 16 << 30)
}

/// Peak resident set size of this process so far (`getrusage`), in bytes.
#[must_use]
pub fn peak_rss_bytes() -> u64 {
    crate::usage::self_peak_rss_bytes()
}

/// Returns freed heap memory to the kernel (glibc `malloc_trim`).
pub fn trim() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim has no preconditions.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Anonymous resident memory of this process now (`RssAnon` of `/proc/self/status`), in bytes;
/// 0 where unknown. For the per-round debug log.
#[must_use]
pub fn anon_rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("RssAnon:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}
