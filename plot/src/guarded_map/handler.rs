//! The process-wide SIGBUS handler that keeps a fault in a guarded map from killing the process.
//!
//! Installed once ([`install`]) with `sigaction(SA_SIGINFO | SA_ONSTACK)`. On SIGBUS:
//!
//! - if the signal comes from a memory fault (`si_code > 0`) at an address inside a region of
//!   [`REGISTRY`], the handler marks that region poisoned, then maps anonymous zero pages
//!   (`PROT_READ`, `MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED`) from the faulting page to the end of
//!   the region and returns: the faulting instruction runs again, reads zeros, and the reader sees
//!   the poisoned flag when its copy is done (the technique of libwayland's
//!   `wl_shm_buffer_begin_access`);
//! - otherwise it hands the signal to the action that was installed before it: that action's
//!   `sa_sigaction` when it had `SA_SIGINFO` (Rust's standard library installs one for stack
//!   overflows, which resets SIGBUS to the default action and returns for any other address), its
//!   `sa_handler` when it is a function, and for `SIG_DFL` (or `SIG_IGN`, which the kernel does
//!   not honour for faults) it restores the default action and returns, so the fault happens
//!   again and the process dies of SIGBUS exactly as it would have without this handler. A SIGBUS
//!   sent by `kill` is raised again under the default action (or ignored, if it was ignored).
//!
//! Only async-signal-safe work happens in the handler: atomic loads and stores, `mmap`,
//! `sigaction`, `raise` and reading and restoring `errno`; no allocation, no locks, no
//! formatting. If the replacement `mmap` fails (out of memory), the fault is not handled and the
//! process dies of SIGBUS as before.

use super::registry::Registry;
use std::ffi::c_void;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicUsize, Ordering};
use std::sync::Once;

/// Most guarded maps alive at once (a farm of 65536 plots of k = 32 is a petabyte). The slots
/// are a static array of atomics, about 2 MiB of zeroed memory that is only touched up to the
/// highest slot used.
pub const CAPACITY: usize = 1 << 16;

/// The regions the handler protects.
pub(crate) static REGISTRY: Registry<CAPACITY> = Registry::new();

static INSTALL: Once = Once::new();
/// Whether [`install`] succeeded.
static INSTALLED: AtomicBool = AtomicBool::new(false);
/// The OS error of a failed installation.
static INSTALL_ERRNO: AtomicI32 = AtomicI32::new(0);
/// The page size, read once before the handler is installed.
static PAGE_SIZE: AtomicUsize = AtomicUsize::new(0);
/// The previous action's `sa_sigaction` (a handler address, `SIG_DFL` or `SIG_IGN`).
static PREV_HANDLER: AtomicUsize = AtomicUsize::new(libc::SIG_DFL);
/// The previous action's `sa_flags`.
static PREV_FLAGS: AtomicI32 = AtomicI32::new(0);

/// Installs the handler once for the process; later calls return the first call's outcome.
pub(crate) fn install() -> io::Result<()> {
    INSTALL.call_once(|| match install_now() {
        Ok(()) => INSTALLED.store(true, Ordering::Release),
        Err(e) => INSTALL_ERRNO.store(e.raw_os_error().unwrap_or(libc::EINVAL), Ordering::Release),
    });
    if INSTALLED.load(Ordering::Acquire) {
        Ok(())
    } else {
        Err(io::Error::from_raw_os_error(
            INSTALL_ERRNO.load(Ordering::Acquire),
        ))
    }
}

/// Whether this module's handler is the process's current SIGBUS action (someone may have
/// replaced it after it was installed, or it is not installed yet).
#[must_use]
pub fn sigbus_guard_installed() -> bool {
    // SAFETY: sigaction with a null new action only reads the current one into `cur`, a zeroed
    // (valid) sigaction.
    let mut cur: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: as above: a null new action, `cur` a valid pointer.
    let rc = unsafe { libc::sigaction(libc::SIGBUS, std::ptr::null(), &mut cur) };
    rc == 0 && cur.sa_sigaction == handler_address()
}

fn install_now() -> io::Result<()> {
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if page <= 0 || !(page as usize).is_power_of_two() {
        return Err(io::Error::from_raw_os_error(libc::EINVAL));
    }
    PAGE_SIZE.store(page as usize, Ordering::Release);
    // The previous action is saved before ours is installed, so the handler never runs without
    // knowing where to chain. (A thread that changes SIGBUS in between would be overridden; the
    // standard library installs its action at start-up, long before.)
    // SAFETY: reads the current action into a zeroed (valid) sigaction.
    let mut prev: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: a null new action only reads the current one; `prev` is a valid pointer.
    if unsafe { libc::sigaction(libc::SIGBUS, std::ptr::null(), &mut prev) } != 0 {
        return Err(io::Error::last_os_error());
    }
    PREV_HANDLER.store(prev.sa_sigaction, Ordering::Release);
    PREV_FLAGS.store(prev.sa_flags, Ordering::Release);
    // SAFETY: a zeroed sigaction is valid; the mask is emptied with sigemptyset; `on_sigbus` has
    // the three-argument signature SA_SIGINFO requires and only does async-signal-safe work.
    let mut act: libc::sigaction = unsafe { std::mem::zeroed() };
    act.sa_sigaction = handler_address();
    act.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
    // SAFETY: `act.sa_mask` is a valid, writable sigset_t.
    unsafe { libc::sigemptyset(&mut act.sa_mask) };
    // SAFETY: `act` is a fully initialised action (see above); the old action is not wanted.
    if unsafe { libc::sigaction(libc::SIGBUS, &act, std::ptr::null_mut()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The signature of an `SA_SIGINFO` handler.
type SigInfoHandler = extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut c_void);

/// The address of [`on_sigbus`], as `sigaction` stores it.
fn handler_address() -> usize {
    let f: SigInfoHandler = on_sigbus;
    f as usize
}

/// The SIGBUS handler.
extern "C" fn on_sigbus(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut c_void) {
    // SAFETY: errno is thread-local; saving and restoring it keeps the interrupted code's errno
    // intact whatever `mmap` or `sigaction` do to it here.
    let errno = unsafe { *libc::__errno_location() };
    // SAFETY: the kernel passes a valid siginfo to an SA_SIGINFO handler; si_addr is meaningful
    // for a fault (si_code > 0), which is checked before it is used.
    let from_fault = !info.is_null() && unsafe { (*info).si_code } > 0;
    // SAFETY: `info` is non-null and from a fault (checked in `from_fault`), so si_addr is the
    // faulting address.
    let handled = from_fault && guard_fault(unsafe { (*info).si_addr() } as usize);
    if !handled {
        // SAFETY: called from the SIGBUS handler with the arguments it received.
        unsafe { chain(sig, info, ctx, from_fault) };
    }
    // SAFETY: as above.
    unsafe { *libc::__errno_location() = errno };
}

/// Handles a fault at `addr` if it lies in a registered region: poisons the region, then maps
/// zero pages over it from the faulting page to its end. Returns whether it did.
fn guard_fault(addr: usize) -> bool {
    let Some(hit) = REGISTRY.find(addr) else {
        return false;
    };
    // The flag is set before the zero pages are mapped: a reader (of any thread) that copies
    // zeros from them already finds the region poisoned when it checks after its copy. The
    // mapping change is a system call that updates this process's page tables and flushes every
    // CPU's TLB for them, so it cannot become visible before this store.
    REGISTRY.poison(hit.slot);
    let page = PAGE_SIZE.load(Ordering::Acquire);
    let from = (addr & !(page - 1)).max(hit.start);
    let end = (hit.start + hit.len + page - 1) & !(page - 1);
    // SAFETY: [from, end) lies inside the registered region rounded up to whole pages, i.e.
    // inside the live memory map of the reader that faulted (a map is unregistered before it is
    // unmapped, and the faulting reader holds it), whose pages past its length belong to the same
    // kernel mapping. Replacing them with read-only anonymous zero pages keeps every reference
    // into the map pointing at readable memory; the map's own munmap removes them later. mmap is
    // a plain system call, safe to make from a signal handler.
    let got = unsafe {
        libc::mmap(
            from as *mut c_void,
            end - from,
            libc::PROT_READ,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
            -1,
            0,
        )
    };
    got != libc::MAP_FAILED
}

/// Passes a SIGBUS this module does not handle to the previous action.
///
/// # Safety
///
/// Only from the SIGBUS handler, with the arguments the kernel passed to it.
unsafe fn chain(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut c_void, from_fault: bool) {
    let handler = PREV_HANDLER.load(Ordering::Acquire);
    let flags = PREV_FLAGS.load(Ordering::Acquire);
    if handler == libc::SIG_IGN && !from_fault {
        return; // a SIGBUS sent by kill(), ignored before: still ignored
    }
    if handler == libc::SIG_DFL || handler == libc::SIG_IGN {
        // SAFETY: a zeroed sigaction with SIG_DFL and an empty mask is valid; sigaction, raise
        // and sigemptyset are async-signal-safe.
        unsafe {
            let mut dfl: libc::sigaction = std::mem::zeroed();
            dfl.sa_sigaction = libc::SIG_DFL;
            libc::sigemptyset(&mut dfl.sa_mask);
            libc::sigaction(sig, &dfl, std::ptr::null_mut());
            if !from_fault {
                // Returning would not repeat a signal that was sent rather than caused: send it
                // again (it stays pending until this handler returns, then kills the process).
                libc::raise(sig);
            }
        }
        // A fault: returning runs the faulting instruction again, now under the default action.
        return;
    }
    if flags & libc::SA_SIGINFO != 0 {
        // SAFETY: the previous action was installed with SA_SIGINFO, so `handler` is the address
        // of a function with the three-argument signature, called as the kernel would have.
        let f = unsafe { std::mem::transmute::<usize, SigInfoHandler>(handler) };
        f(sig, info, ctx);
    } else {
        // SAFETY: without SA_SIGINFO, a handler that is neither SIG_DFL nor SIG_IGN is the address
        // of a one-argument handler function.
        let f = unsafe { std::mem::transmute::<usize, extern "C" fn(libc::c_int)>(handler) };
        f(sig);
    }
}
