//! An indicatif progress bar for the plotter and the scrubber, shown only on a terminal.

use indicatif::{ProgressBar, ProgressStyle};
use masspoc_plotter::estimate::Eta;
use masspoc_plotter::{Phase, Progress};
use std::io::IsTerminal;
use std::sync::Mutex;

/// A progress bar on stderr when stdout is a terminal; hidden otherwise.
pub struct Bar {
    bar: ProgressBar,
    /// The whole plot's time left, when the plot was estimated before it started.
    eta: Option<Mutex<Eta>>,
}

impl Bar {
    /// A bar prefixed with `label` (e.g. the plot's file name).
    pub fn new(label: &str) -> Self {
        let bar = if std::io::stdout().is_terminal() {
            ProgressBar::new(0)
        } else {
            ProgressBar::hidden()
        };
        let style = ProgressStyle::with_template(
            "{prefix} {msg:10} [{bar:30}] {pos}/{len} {per_sec} eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix(label.to_string());
        Bar { bar, eta: None }
    }

    /// Also shows the whole plot's time left (besides the phase's own `eta`).
    #[must_use]
    pub fn with_eta(mut self, eta: Eta) -> Self {
        self.eta = Some(Mutex::new(eta));
        self
    }

    fn update_total(&self, f: impl FnOnce(&mut Eta)) {
        let Some(eta) = &self.eta else { return };
        let Ok(mut eta) = eta.lock() else { return };
        f(&mut eta);
        let msg = self.bar.message();
        let phase = msg.split(" (").next().unwrap_or_default().to_string();
        self.bar.set_message(format!(
            "{phase} (plot done in ~{})",
            human_duration(eta.left_s())
        ));
    }

    /// Starts a named phase of `total` steps.
    pub fn start(&self, msg: &str, total: u64) {
        self.bar.set_message(msg.to_string());
        self.bar.set_length(total);
        self.bar.reset();
    }

    /// Sets the position.
    pub fn set_position(&self, done: u64) {
        self.bar.set_position(done);
    }

    /// Removes the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Progress for Bar {
    fn phase(&self, phase: Phase, total: u64) {
        let msg = match phase {
            Phase::Matching => "matching",
            Phase::Writing => "writing",
            Phase::Finishing => "checksums",
        };
        self.start(msg, total);
        self.update_total(|eta| eta.phase(phase));
    }

    fn set(&self, done: u64) {
        self.bar.set_position(done);
        let total = self.bar.length().unwrap_or(0);
        self.update_total(|eta| eta.set(done, total));
    }
}

/// `45 s`, `12 min`, `2.5 h`.
pub fn human_duration(secs: f64) -> String {
    if secs < 90.0 {
        format!("{secs:.0} s")
    } else if secs < 90.0 * 60.0 {
        format!("{:.0} min", secs / 60.0)
    } else {
        format!("{:.1} h", secs / 3600.0)
    }
}
