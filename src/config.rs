//! The validated configuration of a run, built by `cli` from the command line.
//! Everything here has been checked: the library never re-validates it.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use crate::checks::Checks;
use crate::discover::Discovery;
use crate::report::Output;
use crate::report::csv::Csv;

/// A validated run configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// What to walk.
    pub discovery: Discovery,
    /// Worker threads; 0 means the default of [`crate::read::threads`] (more than one per
    /// core: reads wait on the disk).
    pub threads: usize,
    /// Files larger than this many bytes are listed but not read.
    pub max_file_size: u64,
    /// `--max-in-flight`: the bytes of files workers hold at once ([`crate::read::Budget`]).
    pub max_in_flight: u64,
    /// The subscriptions in scope, when an inventory was given.
    pub inventory: Option<PathBuf>,
    /// Where the reports go.
    pub outputs: Vec<Output>,
    /// The checks to run.
    pub checks: Checks,
    /// The command line as recorded in the report.
    pub command_line: Vec<String>,
    /// The report's `generated_at` (from `SOURCE_DATE_EPOCH` when set).
    pub generated_at: SystemTime,
    /// `--stale-after`: how old deciding evidence may be.
    pub stale_after: Option<StaleAfter>,
    /// `--period`: the audit period evidence is judged against, when given.
    pub period: Option<Period>,
    /// `--fail-on`: what else makes the run exit 1.
    pub fail_on: Vec<crate::model::FailOn>,
    /// Print no summary line on standard error.
    pub quiet: bool,
    /// Exit 0 whenever a report was written.
    pub exit_zero: bool,
    /// The exceptions register, read.
    pub exceptions: Option<crate::register::Register>,
    /// `--strict`: exceptions do not change the exit status.
    pub strict: bool,
}

impl Config {
    /// A configuration with every default: scan `roots`, report CSV to standard output,
    /// `generated_at` at the Unix epoch. The command line builds its own from the flags.
    #[must_use]
    pub fn new(roots: Vec<PathBuf>) -> Self {
        Self {
            discovery: Discovery {
                roots,
                ..Discovery::default()
            },
            threads: 0,
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            max_in_flight: crate::read::DEFAULT_IN_FLIGHT,
            inventory: None,
            outputs: vec![Output {
                path: None,
                format: Arc::new(Csv::default()),
            }],
            checks: Checks::default(),
            command_line: Vec::new(),
            generated_at: SystemTime::UNIX_EPOCH,
            stale_after: None,
            period: None,
            fail_on: Vec::new(),
            quiet: false,
            exit_zero: false,
            exceptions: None,
            strict: false,
        }
    }
}

/// `--stale-after`: a duration or a date, and how the user wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaleAfter {
    /// How old evidence may be.
    pub limit: StaleLimit,
    /// As written (`30d`, `2026-07-01`), for the reasons that name it.
    pub written: String,
}

/// What `--stale-after` counts: back from the period's end (or the run's time), or from a
/// fixed date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaleLimit {
    /// Stale when collected longer than this before the period's end, else the run's time.
    Duration(std::time::Duration),
    /// Stale when collected before this time (a date's midnight, UTC).
    Before(jiff::Timestamp),
}

/// `--period START..END`: the audit period, whole days in UTC.
pub use crate::rollup::Period;

/// The default `--max-file-size`: 64 MiB.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 64 * 1024 * 1024;
