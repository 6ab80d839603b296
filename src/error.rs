//! Errors: [`Error`] stops the run (exit code 2, no report); [`FileError`] concerns one input
//! file and becomes that file's entry in the report, never a stop.

use std::io;
use std::path::PathBuf;

/// A fatal error: the run stops and no report is written.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The command line asks for something impossible; reported before any work starts.
    #[error("{0}")]
    Usage(String),
    /// A root given on the command line cannot be read.
    #[error("cannot read {}", shown(path))]
    Root {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The worker thread pool cannot be started.
    #[error("cannot start {threads} worker threads")]
    Threads {
        threads: usize,
        #[source]
        source: rayon::ThreadPoolBuildError,
    },
    /// The inventory file cannot be read.
    #[error("cannot read inventory {}", shown(path))]
    ReadInventory {
        path: PathBuf,
        #[source]
        source: FileError,
    },
    /// The inventory file holds something that is not a subscription id.
    #[error("inventory {}, line {line}: {reason}", shown(path))]
    Inventory {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    /// The file given to `explain` cannot be read.
    #[error("cannot explain {}: {reason}", shown(path))]
    Explain {
        path: PathBuf,
        reason: crate::vocabulary::entry::Skip,
    },
    /// A report cannot be written.
    #[error("cannot write report {}", shown(path))]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// Standard output cannot be written (a closed pipe ends the run quietly).
    #[error("cannot write to standard output")]
    Stdout {
        #[source]
        source: io::Error,
    },
}

/// A path given on the command line, as an error message shows it: escaped like report
/// paths, and without control characters that could drive a terminal.
pub(crate) fn shown(path: &std::path::Path) -> String {
    crate::escape::printable(&crate::escape::display(path), &[]).into_owned()
}

/// Why one input file could not be read; it is reported, and the run goes on. Each
/// message names its cause once (no `#[source]`, so an error chain does not repeat it).
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// The file cannot be opened.
    #[error("cannot open: {0}")]
    Open(io::Error),
    /// The file cannot be read to its end.
    #[error("read failed: {0}")]
    Read(io::Error),
    /// Not a regular file when opened (a FIFO, socket or device); nothing is read.
    #[error("not a regular file ({}); not read", .0.as_str())]
    NotRegular(crate::vocabulary::entry::EntryKind),
    /// The file is larger than `--max-file-size`.
    #[error(
        "larger than --max-file-size ({} > {}); not read",
        crate::vocabulary::entry::bytes(*.size),
        crate::vocabulary::entry::bytes(*.limit)
    )]
    TooLarge { size: u64, limit: u64 },
    /// The file changed while it was read.
    #[error("changed while it was read; not used")]
    ChangedDuringRead,
}
