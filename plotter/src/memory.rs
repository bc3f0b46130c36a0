//! Memory helpers: transparent huge pages for the big arrays, the machine's RAM, peak RSS.

use std::mem::MaybeUninit;

/// Asks the kernel to back a large buffer with transparent huge pages (`madvise`); radix
/// scatters into huge arrays run 1.5–2.5× faster with them on this machine kind.
pub fn advise_huge<T>(buf: &mut [MaybeUninit<T>]) {
    let bytes = std::mem::size_of_val(buf);
    if bytes < (8 << 20) {
        return;
    }
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 2 << 20;
        let start = (buf.as_mut_ptr() as usize).next_multiple_of(HUGE);
        let end = (buf.as_mut_ptr() as usize + bytes) & !(HUGE - 1);
        if end > start {
            // SAFETY: the range lies inside `buf`, which we own mutably; MADV_HUGEPAGE only
            // changes how the kernel backs the pages, never their contents.
            unsafe {
                libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
            }
        }
    }
}

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
    // SAFETY: getrusage writes into the struct we pass; zeroed is a valid initial value.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: RUSAGE_SELF with a valid pointer.
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) } != 0 {
        return 0;
    }
    (ru.ru_maxrss.max(0) as u64) * 1024
}

/// Returns freed heap memory to the kernel (glibc `malloc_trim`).
pub fn trim() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim has no preconditions.
    unsafe {
        libc::malloc_trim(0);
    }
}
