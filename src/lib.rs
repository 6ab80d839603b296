//! mdc-evidence: decides, offline, whether the Microsoft Defender for Cloud setting `WDATP`
//! (Defender for Endpoint integration, the CIS Microsoft Azure Foundations control) is
//! enabled in each Azure subscription, from evidence files saved earlier.
//!
//! Data flows one way:
//! [`discover`] (walk the roots) -> [`read`] (bytes and SHA-256) -> [`decode`] (text) ->
//! [`formats`] (shape and content) -> [`evaluate`] (one observation per file and
//! subscription) -> [`rollup`] (one verdict per subscription) -> [`report`] (CSV, JSON).
//! [`run`] drives the first six; the binary writes the reports.

pub mod attribute;
pub mod causes;
pub mod checks;
pub mod cli;
pub mod config;
pub mod decode;
pub mod diff;
pub mod discover;
pub mod error;
pub mod escape;
pub mod evaluate;
pub mod exceptions;
pub mod explain;
pub mod formats;
pub mod inventory;
pub mod model;
pub mod own_reports;
pub mod progress;
pub mod query;
pub mod read;
pub mod register;
pub mod report;
pub mod rollup;
pub mod saved;
pub mod scan;
pub mod subscription;
pub mod verify;
pub mod vocabulary;

pub use crate::config::Config;
pub use crate::error::Error;
pub use crate::model::{Evaluated, ExitStatus, FileRecord, FileStatus, Report, RunInfo};
pub use crate::scan::parse_bytes;

/// Runs a scan: discovers, reads, parses and evaluates every file in parallel, then rolls
/// the observations up per subscription. Writes nothing.
///
/// # Errors
/// [`Error`] when a root or the inventory cannot be read, or the thread pool cannot start.
pub fn run(config: &Config) -> Result<Report, Error> {
    scan::scan(config)
}
