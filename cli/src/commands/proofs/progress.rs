//! An indicatif progress bar for the plotter and the scrubber, shown only on a terminal.

use indicatif::{ProgressBar, ProgressStyle};
use masspoc_plotter::{Phase, Progress};
use std::io::IsTerminal;

/// A progress bar on stderr when stdout is a terminal; hidden otherwise.
pub struct Bar {
    bar: ProgressBar,
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
        Bar { bar }
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
    }

    fn set(&self, done: u64) {
        self.bar.set_position(done);
    }
}
