//! Helpers shared by the farmer's integration tests: small real plots, and an opener whose
//! readers can be made to stall (a fault injector standing in for a hung disk).

use masspoc_farmer::plots::{OpenError, PlotLookup, PlotOpener, ReadError, ReaderOpener};
use masspoc_plot::{PlotReader, ReadAt};
use masspoc_plotter::{plot, NoProgress, PlotRequest};
use masspoc_proof::{FarmerPublicKey, PlotSeed, K};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, OnceLock};

pub mod bridge;
pub mod farm;
pub mod host;

/// A farmer public key for tests (any 32 bytes will do for plotting).
pub fn farmer_pk(i: u8) -> FarmerPublicKey {
    FarmerPublicKey([i; 32])
}

/// Cache of plots made once per test binary: (pk byte, k, seed byte) -> file.
type Cache = Mutex<std::collections::HashMap<([u8; 32], u8, u8), PathBuf>>;
fn cache() -> &'static Cache {
    static C: OnceLock<Cache> = OnceLock::new();
    C.get_or_init(Default::default)
}

/// Where the cached plots live: a fresh directory per test binary run, under cargo's scratch
/// directory for integration tests (a static is never dropped, so a directory in /tmp would be
/// left behind by every run; `cargo clean` removes this one).
fn cache_dir() -> &'static tempfile::TempDir {
    static D: OnceLock<tempfile::TempDir> = OnceLock::new();
    D.get_or_init(|| tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("temp dir"))
}

/// A finished plot of farmer `pk`, parameter `k` and seed `[seed; 32]`, made once and copied into
/// `dir`; returns the copy's path.
pub fn plot_into(dir: &Path, pk: u8, k: u8, seed: u8) -> PathBuf {
    plot_for_key(dir, farmer_pk(pk), k, seed)
}

/// A finished plot of farmer key `pk` (made once per test binary), copied into `dir`.
pub fn plot_for_key(dir: &Path, pk: FarmerPublicKey, k: u8, seed: u8) -> PathBuf {
    let src = {
        let mut c = cache().lock().unwrap();
        c.entry((pk.0, k, seed))
            .or_insert_with(|| {
                let mut req = PlotRequest::new(
                    pk,
                    K::new(k).unwrap(),
                    PlotSeed([seed; 32]),
                    cache_dir().path(),
                );
                req.threads = 1;
                plot(&req, &NoProgress).expect("plotting").path
            })
            .clone()
    };
    std::fs::create_dir_all(dir).unwrap();
    let dst = dir.join(src.file_name().unwrap());
    std::fs::copy(&src, &dst).unwrap();
    dst
}

/// A gate that readers wait on while it is closed.
#[derive(Default)]
pub struct Gate {
    closed: Mutex<bool>,
    cv: Condvar,
}

impl Gate {
    /// Closes the gate: reads through it block.
    pub fn close(&self) {
        *self.closed.lock().unwrap() = true;
    }
    /// Opens the gate and wakes blocked reads.
    pub fn open(&self) {
        *self.closed.lock().unwrap() = false;
        self.cv.notify_all();
    }
    fn wait(&self) {
        let mut closed = self.closed.lock().unwrap();
        while *closed {
            closed = self.cv.wait(closed).unwrap();
        }
    }
}

/// Bytes whose reads past the header wait on a gate: a disk that hangs mid-lookup.
struct GatedSource {
    bytes: Vec<u8>,
    gate: Arc<Gate>,
}

impl ReadAt for GatedSource {
    fn len(&self) -> u64 {
        self.bytes.len() as u64
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        if offset >= 256 {
            self.gate.wait();
        }
        self.bytes.as_slice().read_at(offset, buf)
    }
}

/// Opens plots like the farmer does, except files whose name contains `stall` in their
/// directory path: those read through `gate`.
pub struct StallingOpener {
    /// The normal opener.
    pub inner: ReaderOpener,
    /// The gate of stalling plots.
    pub gate: Arc<Gate>,
}

impl PlotOpener for StallingOpener {
    fn open(&self, path: &Path) -> Result<Arc<dyn PlotLookup>, OpenError> {
        if path.to_string_lossy().contains("stall") {
            let bytes = std::fs::read(path).map_err(|source| ReadError::Io {
                path: path.to_path_buf(),
                source,
            })?;
            let src = GatedSource {
                bytes,
                gate: Arc::clone(&self.gate),
            };
            let r = PlotReader::from_source(Box::new(src), path)?;
            Ok(Arc::new(r))
        } else {
            self.inner.open(path)
        }
    }
    fn is_plot_name(&self, file_name: &str) -> bool {
        self.inner.is_plot_name(file_name)
    }
}
