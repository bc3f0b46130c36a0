//! CPU time and page faults of this process or of its waited-for children (`getrusage`): where
//! plotting time goes — computing (user) or the kernel faulting in fresh pages and copying into
//! the page cache (system).

use serde::{Deserialize, Serialize};

/// CPU seconds and minor page faults, as counted by the kernel.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct CpuUsage {
    /// CPU seconds in user mode (all threads).
    pub user_s: f64,
    /// CPU seconds in the kernel on the process's behalf (page faults, copies, syscalls).
    pub sys_s: f64,
    /// Page faults served without I/O (mostly fresh anonymous pages being zeroed and mapped).
    pub minor_faults: u64,
}

impl CpuUsage {
    /// This process so far.
    #[must_use]
    pub fn of_self() -> CpuUsage {
        usage(libc::RUSAGE_SELF)
    }

    /// The children of this process that have been waited for, together.
    #[must_use]
    pub fn of_children() -> CpuUsage {
        usage(libc::RUSAGE_CHILDREN)
    }

    /// What was used between `earlier` and `self`.
    #[must_use]
    pub fn since(&self, earlier: &CpuUsage) -> CpuUsage {
        CpuUsage {
            user_s: (self.user_s - earlier.user_s).max(0.0),
            sys_s: (self.sys_s - earlier.sys_s).max(0.0),
            minor_faults: self.minor_faults.saturating_sub(earlier.minor_faults),
        }
    }

    /// System over user CPU time (0 when no user time was counted).
    #[must_use]
    pub fn sys_over_user(&self) -> f64 {
        if self.user_s > 0.0 {
            self.sys_s / self.user_s
        } else {
            0.0
        }
    }
}

/// The largest peak resident set size among the children waited for so far, in bytes.
#[must_use]
pub fn children_peak_rss_bytes() -> u64 {
    rusage(libc::RUSAGE_CHILDREN).map_or(0, |ru| (ru.ru_maxrss.max(0) as u64) * 1024)
}

/// Peak resident set size of this process so far, in bytes.
#[must_use]
pub fn self_peak_rss_bytes() -> u64 {
    rusage(libc::RUSAGE_SELF).map_or(0, |ru| (ru.ru_maxrss.max(0) as u64) * 1024)
}

fn rusage(who: libc::c_int) -> Option<libc::rusage> {
    // SAFETY: getrusage writes into the struct we pass; zeroed is a valid initial value.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: a valid `who` and a valid pointer.
    (unsafe { libc::getrusage(who, &mut ru) } == 0).then_some(ru)
}

fn usage(who: libc::c_int) -> CpuUsage {
    let Some(ru) = rusage(who) else {
        return CpuUsage::default();
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    CpuUsage {
        user_s: secs(ru.ru_utime),
        sys_s: secs(ru.ru_stime),
        minor_faults: ru.ru_minflt.max(0) as u64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn touching_fresh_memory_counts_faults_and_time() {
        let before = CpuUsage::of_self();
        // 64 MiB of fresh pages: at least one fault per 2 MiB even with huge pages.
        let mut v = vec![0u8; 64 << 20];
        for i in (0..v.len()).step_by(4096) {
            v[i] = 1;
        }
        std::hint::black_box(&v);
        let used = CpuUsage::of_self().since(&before);
        assert!(used.minor_faults >= 32, "{used:?}");
        assert!(used.user_s + used.sys_s > 0.0, "{used:?}");
        assert_eq!(before.since(&CpuUsage::of_self()).minor_faults, 0);
    }
}
