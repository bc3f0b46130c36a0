//! A plot truncated in place while it is memory-mapped: lookups and the scrub fail with an error
//! naming the file, the process survives, and SIGBUS raised anywhere else still reaches the
//! action that was there before (checked in child processes, which must die or exit as they
//! would have without the guard).

use crate::common;

use common::{plot_bytes, request};
use masspoc_plot::guarded_map::sigbus_guard_installed;
use masspoc_plot::{GuardedMap, PlotReader, ReadAt, ReadError, Section};
use masspoc_proof::{FilterBits, ProbeBits};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// A multiple of every page size (4 KiB, 16 KiB, 64 KiB): cuts at it leave no partial page.
const CUT_ALIGN: u64 = 1 << 16;

/// A k=16 plot in `dir` under `name`, with every lookup's answer read from its bytes in memory.
fn plot_with_answers(dir: &Path, name: &str) -> (PathBuf, Vec<Vec<(u64, u64)>>) {
    let (s, bytes) = plot_bytes(&request(16, 3, dir));
    let path = dir.join(name);
    std::fs::rename(&s.path, &path).unwrap();
    let mem = PlotReader::from_source(Box::new(bytes), &path).unwrap();
    let answers = (0..mem.k().domain())
        .map(|z| mem.lookup(z).unwrap())
        .collect();
    (path, answers)
}

/// Truncates `path` in place (the open maps are left as they are) to `at`, rounded down to
/// [`CUT_ALIGN`]; returns the new length.
fn truncate_in_place(path: &Path, at: u64) -> u64 {
    let len = at / CUT_ALIGN * CUT_ALIGN;
    let f = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    f.set_len(len).unwrap();
    len
}

/// Asserts the error is the guard's: an I/O error naming `path` and saying what happened.
fn assert_sigbus_error(err: &ReadError, path: &Path) {
    match err {
        ReadError::Io { path: p, .. } => assert_eq!(p, path, "{err}"),
        other => panic!("expected an I/O error naming the file, got {other}"),
    }
    // As shown to a user: the error and its cause (the guarded map's).
    let msg = masspoc_report::Report(err).to_string();
    assert!(msg.contains(&path.display().to_string()), "{msg}");
    assert!(msg.contains("shrank or its device failed"), "{msg}");
    assert!(msg.contains("SIGBUS"), "{msg}");
}

#[test]
fn lookups_past_an_in_place_truncation_fail_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let (path, answers) = plot_with_answers(dir.path(), "victim.plot");
    let copy = dir.path().join("bystander.plot");
    std::fs::copy(&path, &copy).unwrap();
    let reader = PlotReader::open(&path).unwrap();
    let bystander = PlotReader::open(&copy).unwrap();
    assert!(sigbus_guard_installed());

    // Cut in the middle of the entries: low z (entries near the start) still read, high z not.
    let (off, len) = reader.header().layout.section(Section::Entries);
    let cut = truncate_in_place(&path, off + len / 2);
    assert!(cut > off, "the cut must leave some entries");

    // Entries are stored by z, so lookups in z order read further and further into the file.
    let mut first_err = None;
    for (z, expected) in answers.iter().enumerate() {
        match reader.lookup(z as u64) {
            Ok(pairs) => {
                assert!(first_err.is_none(), "z {z} read after the map was poisoned");
                assert_eq!(&pairs, expected, "z {z}");
            }
            Err(e) => {
                assert_sigbus_error(&e, &path);
                first_err.get_or_insert(z);
            }
        }
    }
    let first_err = first_err.expect("no lookup touched the pages past the new end");
    eprintln!(
        "entries at {off}..{}, cut at {cut}, first failing z {first_err}",
        off + len
    );
    assert!(first_err > 0, "lookups inside the file must have succeeded");
    assert!(reader.is_poisoned());
    // Poisoned for good: even z = 0, which read fine before, fails now.
    assert_sigbus_error(&reader.lookup(0).unwrap_err(), &path);
    // Proving goes through the same reads.
    let err = reader
        .prove(
            &masspoc_proof::Challenge([1; 32]),
            FilterBits::NONE,
            ProbeBits::NONE,
        )
        .unwrap_err();
    assert_sigbus_error(&err, &path);

    // The other plot's map is not affected.
    assert!(!bystander.is_poisoned());
    for (z, expected) in answers.iter().enumerate().step_by(7) {
        assert_eq!(&bystander.lookup(z as u64).unwrap(), expected, "z {z}");
    }
}

#[test]
fn lookups_racing_a_truncation_get_the_right_answer_or_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let (path, answers) = plot_with_answers(dir.path(), "raced.plot");
    let reader = PlotReader::open(&path).unwrap();
    let (off, _) = reader.header().layout.section(Section::Entries);
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..4u64)
            .map(|t| {
                let (reader, answers, path, stop) = (&reader, &answers, &path, &stop);
                s.spawn(move || {
                    let (mut failed, mut after_cut) = (0u64, 0u32);
                    let mut z = t * 9973;
                    // Until the cut, then 2000 more lookups.
                    while after_cut < 2000 {
                        if stop.load(Ordering::Acquire) {
                            after_cut += 1;
                        }
                        z = (z + 40_503) % answers.len() as u64;
                        match reader.lookup(z) {
                            // Never the zero pages the handler mapped in: a read that saw
                            // them sees the poisoned flag too.
                            Ok(pairs) => assert_eq!(pairs, answers[z as usize], "z {z}"),
                            Err(e) => {
                                assert_sigbus_error(&e, path);
                                failed += 1;
                            }
                        }
                    }
                    failed
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(20));
        truncate_in_place(&path, off);
        stop.store(true, Ordering::Release);
        let failed: u64 = workers.into_iter().map(|w| w.join().unwrap()).sum();
        assert!(failed > 0);
    });
    assert!(reader.is_poisoned());
}

#[test]
fn scrub_of_a_plot_truncated_in_place_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let (s, _) = plot_bytes(&request(16, 5, dir.path()));
    let reader = PlotReader::open(&s.path).unwrap();
    reader.scrub(|_, _| {}).unwrap();
    truncate_in_place(&s.path, s.bytes / 2);
    let err = reader.scrub(|_, _| {}).unwrap_err();
    assert_sigbus_error(&err, &s.path);
    assert!(reader.is_poisoned());
}

#[test]
fn a_plot_whose_tail_reads_as_zeros_never_panics() {
    // What a racing reader could see of the handler's zero pages, were the poisoned flag not
    // checked: lookups must still not panic, and any pair they return maps to its z.
    let dir = tempfile::tempdir().unwrap();
    let (_, mut bytes) = plot_bytes(&request(16, 6, dir.path()));
    let (off, _) = PlotReader::from_source(Box::new(bytes.clone()), Path::new("z.plot"))
        .unwrap()
        .header()
        .layout
        .section(Section::Superblocks);
    for cut in [off as usize + 100, bytes.len() / 3, bytes.len() / 2] {
        bytes[cut..].fill(0);
        let r = PlotReader::from_source(Box::new(bytes.clone()), Path::new("z.plot")).unwrap();
        let (plot_id, k) = (r.header().plot_id, r.k());
        for z in 0..k.domain() {
            if let Ok(pairs) = r.lookup(z) {
                for (x, xp) in pairs {
                    assert_eq!(masspoc_proof::f_value(&plot_id, k, x, xp), z);
                }
            }
        }
        assert!(r.scrub(|_, _| {}).is_err());
    }
}

// ---- Faults outside guarded maps: the handler passes them on. ----

/// Set in a child process to the way SIGBUS is set up before the guard is installed.
const CHILD_ENV: &str = "MASSPOC_SIGBUS_CHILD";
/// The directory (made and removed by the parent: the child dies with its files) for the child's files.
const CHILD_DIR_ENV: &str = "MASSPOC_SIGBUS_CHILD_DIR";
/// The exit code of the custom SIGBUS handler a child installs in mode `custom`.
const CUSTOM_EXIT: i32 = 42;

extern "C" fn custom_handler(_: libc::c_int, _: *mut libc::siginfo_t, _: *mut libc::c_void) {
    // SAFETY: _exit is async-signal-safe.
    unsafe { libc::_exit(CUSTOM_EXIT) };
}

/// The name libtest knows [`child_faults_outside_any_guarded_map`] by in this binary: its
/// module path without the crate's name (`truncated_map::…` in the crate's one test binary).
fn child_test_name() -> String {
    match module_path!().split_once("::") {
        Some((_, module)) => format!("{module}::child_faults_outside_any_guarded_map"),
        None => "child_faults_outside_any_guarded_map".into(),
    }
}

/// The body of the child processes of the tests below; without [`CHILD_ENV`] it does nothing.
///
/// It sets SIGBUS up as its mode says (`std`: the standard library's handler, `dfl`: the default
/// action, `custom`: a handler that exits with [`CUSTOM_EXIT`]), installs the guard by guarding
/// one map, then truncates another file mapped without the guard and reads it.
#[test]
fn child_faults_outside_any_guarded_map() {
    let Ok(mode) = std::env::var(CHILD_ENV) else {
        return;
    };
    // SAFETY: plain libc calls on zeroed, then filled, structures.
    unsafe {
        let no_core = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        libc::setrlimit(libc::RLIMIT_CORE, &no_core);
        let mut act: libc::sigaction = std::mem::zeroed();
        libc::sigemptyset(&mut act.sa_mask);
        match mode.as_str() {
            "std" => {}
            "dfl" => {
                act.sa_sigaction = libc::SIG_DFL;
                assert_eq!(libc::sigaction(libc::SIGBUS, &act, std::ptr::null_mut()), 0);
            }
            "custom" => {
                let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                    custom_handler;
                act.sa_sigaction = f as usize;
                act.sa_flags = libc::SA_SIGINFO;
                assert_eq!(libc::sigaction(libc::SIGBUS, &act, std::ptr::null_mut()), 0);
            }
            other => panic!("unknown child mode {other}"),
        }
    }
    let dir = PathBuf::from(std::env::var(CHILD_DIR_ENV).expect("the parent names the directory"));
    let guarded_file = dir.join("guarded");
    std::fs::write(&guarded_file, vec![1u8; 1 << 16]).unwrap();
    let f = std::fs::File::open(&guarded_file).unwrap();
    // SAFETY: a private file, read only through the guard.
    let guarded = GuardedMap::new(unsafe { memmap2::Mmap::map(&f) }.unwrap()).unwrap();
    assert!(sigbus_guard_installed());
    let mut b = [0u8; 1];
    guarded.read_at(0, &mut b).unwrap();

    let plain_file = dir.join("plain");
    std::fs::write(&plain_file, vec![2u8; 4 * CUT_ALIGN as usize]).unwrap();
    let f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&plain_file)
        .unwrap();
    // SAFETY: none: this map is truncated and read on purpose, to raise SIGBUS outside the guard.
    let plain = unsafe { memmap2::Mmap::map(&f) }.unwrap();
    f.set_len(0).unwrap();
    println!("child: about to fault outside the guard");
    // SAFETY: the pointer is inside the map's range; the read faults (the file is empty now).
    let v = unsafe { std::ptr::read_volatile(plain.as_ptr().add(CUT_ALIGN as usize)) };
    println!("child: survived a fault outside the guard (read {v})");
    std::process::exit(3);
}

/// Runs [`child_faults_outside_any_guarded_map`] in a child process in `mode`. A child that
/// has not ended after 60 s (a handler that swallows the fault makes it fault forever) is killed
/// and the test fails.
fn run_child(mode: &str) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            &child_test_name(),
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, mode)
        .env(CHILD_DIR_ENV, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            let out = child.wait_with_output().unwrap();
            panic!(
                "child in mode {mode} hung (fault swallowed?): {}",
                String::from_utf8_lossy(&out.stdout)
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("child: about to fault outside the guard"),
        "the child did not reach the fault ({:?}): {stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!stdout.contains("survived"), "{stdout}");
    out
}

#[test]
fn a_fault_outside_the_guard_still_kills_through_the_std_handler() {
    let out = run_child("std");
    assert_eq!(out.status.signal(), Some(libc::SIGBUS), "{:?}", out.status);
}

#[test]
fn a_fault_outside_the_guard_still_kills_under_the_default_action() {
    let out = run_child("dfl");
    assert_eq!(out.status.signal(), Some(libc::SIGBUS), "{:?}", out.status);
}

#[test]
fn a_fault_outside_the_guard_reaches_an_earlier_handler() {
    let out = run_child("custom");
    assert_eq!(out.status.code(), Some(CUSTOM_EXIT), "{:?}", out.status);
}
