//! The harvester's service: its plot set, kept current by the farmer's rescans, and the answers
//! to lookup and status requests.

use super::HarvesterConfig;
use crate::lookup::run_round;
use crate::plots::{PlotSet, ReaderOpener, ScanReport};
use masspoc_api::HexBytes;
use masspoc_net::harvest::{
    self, HarvestRequest, HarvestResponse, LookupReply, LookupRequest, PlotReport, MAX_PROOFS,
};
use masspoc_net::{Keypair, NetError, PeerId};
use masspoc_proof::{FilterBits, ProbeBits};
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;
use tracing::{info, warn};

/// Longest lookup budget a harvester grants itself, whatever a request says.
pub const MAX_BUDGET: Duration = Duration::from_secs(10);

/// Why the harvester could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HarvesterError {
    /// The link could not start (identity, listen address).
    #[error("harvester link")]
    Net(#[from] NetError),
}

/// A harvester's plots and counters.
pub struct Harvester {
    plots: Arc<PlotSet>,
    lookups: AtomicU64,
    lookup_errors: AtomicU64,
    unavailable_dirs: AtomicU64,
    lies: AtomicBool,
}

/// The environment variable of the harvester's fault hook (tests only, docs/harvesters.md):
/// `invalid-proofs` makes it damage every proof it sends, after its own check — a lying
/// harvester, which its farmer must report and ignore.
pub const FAULT_ENV: &str = "MASSPOC_HARVESTER_FAULT";

impl Harvester {
    /// A harvester over `plot_dirs` (empty until the first rescan). It opens plots of any farmer
    /// key; each request names the key whose plots answer.
    #[must_use]
    pub fn new(plot_dirs: &[std::path::PathBuf]) -> Arc<Self> {
        Arc::new(Harvester {
            plots: PlotSet::new(plot_dirs, Arc::new(ReaderOpener { farmer_pk: None })),
            lookups: AtomicU64::new(0),
            lookup_errors: AtomicU64::new(0),
            unavailable_dirs: AtomicU64::new(0),
            lies: AtomicBool::new(false),
        })
    }

    /// Test fault hook: from now on, damage every proof sent (see [`FAULT_ENV`]).
    pub fn send_invalid_proofs(&self) {
        warn!("fault hook: this harvester now sends invalid proofs");
        self.lies.store(true, Relaxed);
    }

    /// The plot set.
    #[must_use]
    pub fn plots(&self) -> &Arc<PlotSet> {
        &self.plots
    }

    /// Takes what a rescan found (for [`Harvester::report`]).
    pub fn record_scan(&self, report: &ScanReport) {
        let down = self
            .plots
            .dirs()
            .iter()
            .filter(|d| !d.is_available())
            .count();
        self.unavailable_dirs.store(down as u64, Relaxed);
        info!(
            plots = report.plots,
            added = report.added.len(),
            removed = report.removed.len(),
            "plot set scanned"
        );
    }

    /// The answer to one request.
    pub async fn answer(&self, request: HarvestRequest) -> HarvestResponse {
        match request {
            HarvestRequest::Lookup(r) => self.lookup(&r).await,
            HarvestRequest::Status => HarvestResponse::Status(self.report()),
            _ => HarvestResponse::Refused {
                reason: "unknown request".into(),
            },
        }
    }

    /// The plot set as the farmer sees it.
    #[must_use]
    pub fn report(&self) -> PlotReport {
        let snapshot = self.plots.snapshot();
        PlotReport {
            plots: snapshot.len() as u64,
            bytes: snapshot.iter().map(|e| e.file_len()).sum(),
            skipped: self
                .plots
                .dirs()
                .iter()
                .map(|d| d.skipped_count() as u64)
                .sum(),
            unavailable_dirs: self.unavailable_dirs.load(Relaxed),
            lookup_errors: self.lookup_errors.load(Relaxed),
            lookups: self.lookups.load(Relaxed),
        }
    }

    /// The best `max_proofs` candidates of the plots of `r.farmer_pk`, each checked in full
    /// (a proof that fails its check, a damaged plot, is dropped and counted as an error), looked
    /// up within three quarters of the farmer's budget.
    pub async fn lookup(&self, r: &LookupRequest) -> HarvestResponse {
        let (Ok(filter_bits), Ok(probe_bits)) =
            (FilterBits::new(r.filter_bits), ProbeBits::new(r.probe_bits))
        else {
            return HarvestResponse::Refused {
                reason: format!(
                    "filter_bits {} or probe_bits {} out of range",
                    r.filter_bits, r.probe_bits
                ),
            };
        };
        let budget = (Duration::from_millis(u64::from(r.budget_ms)) * 3 / 4)
            .clamp(Duration::from_millis(1), MAX_BUDGET);
        let snapshot = self.plots.snapshot();
        let out = run_round(
            &snapshot,
            self.plots.dirs(),
            r.challenge,
            filter_bits,
            probe_bits,
            budget,
        )
        .await;
        self.lookups.fetch_add(1, Relaxed);
        let mut errors = (out.errors.len() + out.stalled.len() + out.skipped.len()) as u64;
        for (path, e) in &out.errors {
            warn!(plot = %path.display(), error = %e, "plot lookup failed");
        }
        if !out.errors.is_empty() {
            self.plots.request_rescan_if_broken();
        }
        let max = r.max_proofs.min(MAX_PROOFS) as usize;
        let mut proofs = Vec::with_capacity(max.min(out.all.len()));
        let mut found = 0u64;
        for p in out
            .all
            .iter()
            .filter(|p| p.found.proof.farmer_pk == r.farmer_pk)
        {
            found += 1;
            if proofs.len() >= max {
                continue;
            }
            match p.found.proof.verify(&r.challenge, filter_bits, probe_bits) {
                Ok(_) => {
                    let mut bytes = p.found.proof.encode().to_vec();
                    if self.lies.load(Relaxed) {
                        // Byte 65 is the low byte of x (docs/proof.md): the proof still
                        // decodes, x stays below 2^k, but the pair no longer matches.
                        if let Some(b) = bytes.get_mut(65) {
                            *b ^= 0x01;
                        }
                    }
                    proofs.push(HexBytes(bytes));
                }
                Err(e) => {
                    errors += 1;
                    warn!(plot = %p.path.display(), error = %masspoc_report::Report(&e), "plot returned an invalid proof (damaged plot?); not sent");
                }
            }
        }
        self.lookup_errors.fetch_add(errors, Relaxed);
        HarvestResponse::Lookup(LookupReply {
            plots: snapshot
                .iter()
                .filter(|e| e.info.farmer_pk == r.farmer_pk)
                .count() as u64,
            passing: out.passing as u64,
            found,
            errors,
            over_budget: out.over_budget,
            elapsed_us: u64::try_from(out.elapsed.as_micros()).unwrap_or(u64::MAX),
            proofs,
        })
    }
}

/// The link handler of a harvester: every request answered by `harvester`.
#[must_use]
pub fn handler(harvester: Arc<Harvester>) -> harvest::Handler {
    Arc::new(move |_peer: PeerId, request| {
        let h = Arc::clone(&harvester);
        Box::pin(async move { h.answer(request).await })
    })
}

/// Runs a harvester until `shutdown` completes: opens its peer identity, scans its plots, listens
/// for its farmers and prints its peer id and addresses.
pub async fn run_harvester(
    config: &HarvesterConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<(), HarvesterError> {
    let key: Keypair = masspoc_net::identity::load_or_create(&config.identity_dir)?;
    let harvester = Harvester::new(&config.plot_dirs);
    match std::env::var(FAULT_ENV).as_deref() {
        Ok("invalid-proofs") => harvester.send_invalid_proofs(),
        Ok(other) => warn!(value = other, "unknown {FAULT_ENV} ignored"),
        Err(_) => {}
    }
    let report = harvester.plots().rescan(crate::farm::SCAN_TIMEOUT).await;
    harvester.record_scan(&report);
    let mut server = harvest::serve(
        key,
        &config.listen,
        &config.farmers,
        handler(Arc::clone(&harvester)),
    )?;
    println!("harvester peer id: {}", server.peer_id());
    for a in server.listening().await {
        println!("harvester listening on {a}");
    }
    for f in &config.farmers {
        info!(farmer = %f, "paired farmer");
    }
    let rescans = {
        let h = Arc::clone(&harvester);
        tokio::spawn(
            Arc::clone(harvester.plots())
                .keep_rescanning(config.rescan_interval, move |r| h.record_scan(r)),
        )
    };
    shutdown.await;
    rescans.abort();
    drop(server);
    info!("harvester stopped");
    Ok(())
}
