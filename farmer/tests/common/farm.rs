//! A whole farm in-process (`run_farm_with_opener`: real plots, the real status sampler and
//! alert detection, the real signing guard) whose alerts are posted to a local webhook receiver
//! (`masspoc_alert::receiver`), for tests that break real state and watch what is delivered.

use masspoc_alert::receiver::Receiver;
use masspoc_alert::AlertMessage;
use masspoc_farmer::config::FarmerConfig;
use masspoc_farmer::farm::run_farm_with_opener;
use masspoc_farmer::keys::FarmerKey;
use masspoc_farmer::plots::{PlotOpener, ReaderOpener};
use masspoc_farmer::signer::open_identity;
use masspoc_farmer::status::model::FarmStatus;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A running farm and the receiver of its alerts.
pub struct AlertFarm {
    /// Gets every alert the farm delivers.
    pub receiver: Receiver,
    /// `http://127.0.0.1:PORT`: the farm's status server.
    pub status_url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

/// Missed expected wins before `no_wins` (high enough that a farm that wins is never quiet
/// that long by chance).
pub const MISSED_WINS: u64 = 10;

impl AlertFarm {
    /// Starts a farm of `key` (saved under `root`) configured by `body` (top-level keys such as
    /// `plot_dirs`, then `[[chain]]` tables; paths relative to `root`), sampling and rescanning
    /// every second, every alert delivered (no rate limit). Plots are opened by `opener`, or
    /// like `masspoc farm` does when `None`.
    pub async fn start(
        root: &Path,
        key: &FarmerKey,
        body: &str,
        opener: Option<Arc<dyn PlotOpener>>,
    ) -> AlertFarm {
        let receiver = Receiver::start();
        key.save(&root.join("farmer.key"), None).unwrap();
        // A free port for the status server (bound, then released for the farm to bind).
        let status_addr = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let text = format!(
            "key_file = 'farmer.key'\nstatus_interval_secs = 1\nrescan_interval_secs = 1\n\
             status_listen = '{status_addr}'\n{body}\n\
             [alerts]\nwebhook = '{}'\nmin_interval_secs = 0\nmissed_wins = {MISSED_WINS}\n",
            receiver.url
        );
        let config = FarmerConfig::parse(&text, root).expect("farmer config");
        let (identity, guard) = open_identity(&config).expect("identity");
        let opener = opener.unwrap_or_else(|| {
            Arc::new(ReaderOpener {
                farmer_pk: Some(key.public_key()),
            })
        });
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            run_farm_with_opener(&config, identity, opener, async {
                let _ = rx.await;
            })
            .await
            .expect("the farm runs");
            drop(guard);
        });
        AlertFarm {
            receiver,
            status_url: format!("http://{status_addr}"),
            stop: Some(tx),
            task,
        }
    }

    /// Every alert delivered during the next `window`.
    pub fn collect(&self, window: Duration) -> Vec<AlertMessage> {
        tokio::task::block_in_place(|| {
            let end = Instant::now() + window;
            let mut out = Vec::new();
            while Instant::now() < end {
                out.extend(self.receiver.drain(Duration::from_millis(100)));
            }
            out
        })
    }

    /// The first alert of `kind` delivered within `within` (others are dropped), or a panic
    /// naming what came instead.
    pub fn expect(&self, kind: &str, within: Duration) -> AlertMessage {
        let mut seen = Vec::new();
        tokio::task::block_in_place(|| self.receiver.wait_for(kind, within, &mut seen))
            .unwrap_or_else(|| panic!("no {kind} alert within {within:?}; got {seen:?}"))
    }

    /// The farm's `GET /status.json` now.
    pub fn status(&self) -> FarmStatus {
        tokio::task::block_in_place(|| {
            let body = ureq::get(format!("{}/status.json", self.status_url))
                .call()
                .expect("status.json answers")
                .body_mut()
                .read_to_string()
                .unwrap();
            serde_json::from_str(&body).expect("status.json parses")
        })
    }

    /// Stops the farm and waits for it to end cleanly.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        tokio::time::timeout(Duration::from_secs(20), &mut self.task)
            .await
            .expect("the farm stops")
            .expect("the farm task did not panic");
    }
}

/// Only the alerts of `kind` (and, when given, `subject`).
pub fn of_kind<'a>(
    all: &'a [AlertMessage],
    kind: &str,
    subject: Option<&str>,
) -> Vec<&'a AlertMessage> {
    all.iter()
        .filter(|m| m.kind == kind && subject.is_none_or(|s| m.subject == s))
        .collect()
}
