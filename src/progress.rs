//! The progress bar of a long scan: on standard error, only when it is a terminal, only
//! once the scan has lasted about a second, and cleared before anything else is printed.
//! It is the one display besides the reports and the summary line; it never reaches a
//! report, and a scan off a terminal or with `--quiet` never makes one.

use std::io::IsTerminal as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

use crate::scan::Progress;

/// How long a scan runs before its bar is shown: quick scans never flash one.
const DELAY: Duration = Duration::from_secs(1);

/// A progress bar of files examined (done / total, rate), hidden until [`DELAY`] has
/// passed.
#[derive(Debug)]
pub struct Bar {
    indicator: ProgressBar,
    started: Instant,
    shown: AtomicBool,
}

impl Bar {
    /// A bar on standard error when it is a terminal and `quiet` is not set; else `None`.
    #[must_use]
    pub fn on_terminal(quiet: bool) -> Option<Self> {
        (!quiet && std::io::stderr().is_terminal()).then(|| {
            let style = ProgressStyle::with_template(
                "{elapsed:>4} [{wide_bar}] {human_pos}/{human_len} files, {rate}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .with_key(
                "rate",
                |state: &ProgressState, out: &mut dyn std::fmt::Write| {
                    let _ = write!(out, "{:.0}/s", state.per_sec());
                },
            )
            .progress_chars("=> ");
            Self {
                indicator: ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden())
                    .with_style(style),
                started: Instant::now(),
                shown: AtomicBool::new(false),
            }
        })
    }

    /// Removes the bar from the terminal, before the summary line or a report is printed.
    pub fn clear(&self) {
        self.indicator.finish_and_clear();
    }
}

impl Progress for Bar {
    fn start(&self, total: u64) {
        self.indicator.set_length(total);
    }

    fn done(&self) {
        self.indicator.inc(1);
        if !self.shown.load(Ordering::Relaxed)
            && self.started.elapsed() >= DELAY
            && !self.shown.swap(true, Ordering::Relaxed)
        {
            self.indicator.set_draw_target(ProgressDrawTarget::stderr());
        }
    }
}
