//! The validated configuration of a run, built by `cli` from the command line.
//! Everything here has been checked: the library never re-validates it.

use std::path::PathBuf;
use std::time::SystemTime;

use crate::discover::Discovery;

/// A report format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    /// CSV (RFC 4180).
    Csv,
    /// One JSON object.
    Json,
}

impl ReportFormat {
    /// The name used on the command line and in messages.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Json => "json",
        }
    }
}

/// What the rows of a CSV report are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Rows {
    /// One row per subscription.
    #[default]
    Subscriptions,
    /// One row per observation.
    Observations,
}

/// CSV writing options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvOptions {
    /// What the rows are.
    pub rows: Rows,
    /// The field delimiter (`,` by default).
    pub delimiter: u8,
    /// Start the file with a UTF-8 byte order mark, for Excel.
    pub bom: bool,
}

impl Default for CsvOptions {
    fn default() -> Self {
        Self {
            rows: Rows::Subscriptions,
            delimiter: b',',
            bom: false,
        }
    }
}

/// Where a report goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// The file to write atomically, or `None` for standard output.
    pub path: Option<PathBuf>,
    /// The report format.
    pub format: ReportFormat,
}

/// A validated run configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// What to walk.
    pub discovery: Discovery,
    /// Worker threads; 0 means one per core.
    pub threads: usize,
    /// Files larger than this many bytes are listed but not read.
    pub max_file_size: u64,
    /// The subscriptions in scope, when an inventory was given.
    pub inventory: Option<PathBuf>,
    /// Where the reports go.
    pub outputs: Vec<Output>,
    /// CSV options.
    pub csv: CsvOptions,
    /// The command line as recorded in the report.
    pub command_line: Vec<String>,
    /// The report's `generated_at` (from `SOURCE_DATE_EPOCH` when set).
    pub generated_at: SystemTime,
    /// Print no summary line on standard error.
    pub quiet: bool,
    /// Exit 0 whenever a report was written.
    pub exit_zero: bool,
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
            inventory: None,
            outputs: vec![Output {
                path: None,
                format: ReportFormat::Csv,
            }],
            csv: CsvOptions::default(),
            command_line: Vec::new(),
            generated_at: SystemTime::UNIX_EPOCH,
            quiet: false,
            exit_zero: false,
        }
    }
}

/// The default `--max-file-size`: 64 MiB.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 64 * 1024 * 1024;
