//! mdc-evidence: decides, offline, whether the Microsoft Defender for Cloud setting `WDATP`
//! (Defender for Endpoint integration, the CIS Microsoft Azure Foundations control) is
//! enabled in each Azure subscription, from evidence files saved earlier.
//!
//! Data flows one way:
//! [`discover`] (walk the roots) -> [`read`] (bytes and SHA-256) -> [`decode`] (text) ->
//! [`formats`] (shape and content) -> [`evaluate`] (one observation per file and
//! subscription) -> [`rollup`] (one verdict per subscription) -> [`report`] (CSV, JSON).
//! [`run`] drives the first six; the binary writes the reports.

pub mod cli;
pub mod config;
pub mod decode;
pub mod discover;
pub mod error;
pub mod escape;
pub mod evaluate;
pub mod explain;
pub mod formats;
pub mod inventory;
pub mod read;
pub mod report;
pub mod rollup;
pub mod subscription;

use std::collections::HashMap;

use rayon::prelude::*;

pub use crate::config::Config;
use crate::decode::Encoding;
use crate::discover::{Entry, EntryKind, Skip};
pub use crate::error::Error;
use crate::evaluate::Observation;
use crate::formats::{Body, Format, Parsed};
use crate::rollup::{SubscriptionVerdict, Verdict};
use crate::subscription::{PathScope, SubscriptionId};

/// What became of one entry under the roots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRecord {
    /// The path as reached from its root argument.
    pub path: String,
    /// The entry's type.
    pub kind: EntryKind,
    /// Read and evaluated, or skipped with a reason.
    pub status: FileStatus,
}

/// Whether a file was evaluated, and what it gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileStatus {
    /// Not read as evidence; the reason says why.
    Skipped(Skip),
    /// Read and evaluated.
    Evaluated(Evaluated),
}

/// A file that was read, and its observations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluated {
    /// Size in bytes.
    pub size: u64,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    /// The encoding it was decoded in (`None` when it could not be decoded).
    pub encoding: Option<Encoding>,
    /// The detected shape.
    pub format: Format,
    /// One per subscription (or one unattributed), sorted by subscription.
    pub observations: Vec<Observation>,
    /// The first file in the report with the same SHA-256, if this one is a copy.
    pub duplicate_of: Option<String>,
}

/// Metadata of the run, recorded in the JSON report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunInfo {
    /// The command line (without `--threads`, which cannot change a report).
    pub command_line: Vec<String>,
    /// The roots as given.
    pub roots: Vec<String>,
    /// RFC 3339 UTC time of the run, or of `SOURCE_DATE_EPOCH`.
    pub generated_at: String,
    /// When the access times of some evidence could not be kept (the kernel refused
    /// `O_NOATIME` on folders or files of another owner), how many; else `None`.
    pub access_times: Option<String>,
}

/// Everything a run found: the input of every report writer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Run metadata.
    pub run: RunInfo,
    /// Every entry under the roots, sorted by path.
    pub files: Vec<FileRecord>,
    /// One verdict per subscription, sorted by id.
    pub subscriptions: Vec<SubscriptionVerdict>,
}

/// The process exit status a report calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Every subscription passes.
    Pass = 0,
    /// Some subscription fails or has conflicting evidence.
    Fail = 1,
    /// Usage or fatal error; no report was written.
    Error = 2,
    /// No fail or conflict, but some subscription has no evidence (or none was found).
    NoEvidence = 3,
}

impl Report {
    /// The exit status this report calls for (see the README's exit codes).
    #[must_use]
    pub fn exit_status(&self) -> ExitStatus {
        let has = |v: Verdict| self.subscriptions.iter().any(|s| s.verdict == v);
        if has(Verdict::Fail) || has(Verdict::Conflict) {
            ExitStatus::Fail
        } else if has(Verdict::NoEvidence) || self.subscriptions.is_empty() {
            ExitStatus::NoEvidence
        } else {
            ExitStatus::Pass
        }
    }

    /// Every observation with its file, in report order (by path, then subscription).
    pub fn observations(&self) -> impl Iterator<Item = (&FileRecord, &Evaluated, &Observation)> {
        self.files.iter().flat_map(|file| {
            let evaluated = match &file.status {
                FileStatus::Evaluated(e) => Some(e),
                FileStatus::Skipped(_) => None,
            };
            evaluated
                .into_iter()
                .flat_map(move |e| e.observations.iter().map(move |o| (file, e, o)))
        })
    }
}

/// Runs a scan: discovers, reads, parses and evaluates every file in parallel, then rolls
/// the observations up per subscription. Writes nothing.
///
/// # Errors
/// [`Error`] when a root or the inventory cannot be read, or the thread pool cannot start.
pub fn run(config: &Config) -> Result<Report, Error> {
    let inventory = match &config.inventory {
        Some(path) => Some(inventory::load(path, config.max_file_size)?),
        None => None,
    };
    let discovered = discover::discover(&config.discovery)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(config.threads)
        .build()
        .map_err(|source| Error::Threads {
            threads: config.threads,
            source,
        })?;
    let examined: Vec<(FileRecord, bool)> = pool.install(|| {
        discovered
            .entries
            .par_iter()
            .map(|entry| examine(entry, config.max_file_size))
            .collect()
    });
    let files_atime_not_kept = examined.iter().filter(|(_, kept)| !kept).count();
    let mut files: Vec<FileRecord> = examined.into_iter().map(|(file, _)| file).collect();
    mark_duplicates(&mut files);
    let subscriptions = roll_up(&files, inventory.as_deref());
    Ok(Report {
        run: RunInfo {
            command_line: config.command_line.clone(),
            roots: config
                .discovery
                .roots
                .iter()
                .map(|r| discover::display(r))
                .collect(),
            generated_at: humantime::format_rfc3339_seconds(config.generated_at).to_string(),
            access_times: access_times_note(
                discovered.folders_atime_not_kept,
                files_atime_not_kept,
            ),
        },
        files,
        subscriptions,
    })
}

/// One verdict per subscription from every file's observations. A file that could not be
/// read (too large, unreadable, changed during the read, ...) but whose path names a
/// subscription leaves that subscription listed, without evidence from that file and with
/// the reason, never missing.
fn roll_up(files: &[FileRecord], inventory: Option<&[SubscriptionId]>) -> Vec<SubscriptionVerdict> {
    let unread: Vec<(&FileRecord, &Skip, SubscriptionId)> = files
        .iter()
        .filter_map(|file| match &file.status {
            FileStatus::Skipped(skip) if !skip.is_deliberate() => {
                match subscription::scope_of_path(&file.path) {
                    PathScope::Found(sub) => Some((file, skip, sub)),
                    PathScope::Ambiguous(_) | PathScope::None => None,
                }
            }
            FileStatus::Skipped(_) | FileStatus::Evaluated(_) => None,
        })
        .collect();
    let observed = files.iter().flat_map(|file| {
        match &file.status {
            FileStatus::Evaluated(e) => e.observations.as_slice(),
            FileStatus::Skipped(_) => &[],
        }
        .iter()
        .filter_map(move |o| {
            o.subscription
                .as_ref()
                .map(|subscription| rollup::Evidence {
                    subscription,
                    path: &file.path,
                    found: rollup::Found::Outcome(o.outcome),
                })
        })
    });
    let not_read = unread
        .iter()
        .map(|(file, skip, subscription)| rollup::Evidence {
            subscription,
            path: &file.path,
            found: rollup::Found::NotRead(skip),
        });
    rollup::roll_up(observed.chain(not_read), inventory)
}

/// The run metadata's note on access times, when some could not be kept.
fn access_times_note(folders: usize, files: usize) -> Option<String> {
    (folders + files > 0).then(|| {
        format!(
            "{folders} folders and {files} files belong to another user: the kernel refused \
             O_NOATIME, so reading them may have changed their access times"
        )
    })
}

/// Reads, decodes, parses and evaluates one entry. Never fails: every problem becomes the
/// entry's status or an observation with its reason.
fn examine(entry: &Entry, max_file_size: u64) -> (FileRecord, bool) {
    let mut atime_kept = true;
    let status = match &entry.skip {
        Some(skip) => FileStatus::Skipped(skip.clone()),
        None => match read::read(&entry.fs_path, max_file_size) {
            Err(error) => FileStatus::Skipped(error.into()),
            Ok(contents) if report::is_own_report(&contents.bytes) => {
                atime_kept = contents.atime_kept;
                FileStatus::Skipped(Skip::EarlierReport)
            }
            Ok(contents) => {
                atime_kept = contents.atime_kept;
                let (parsed, encoding) = parse_bytes(&contents.bytes);
                FileStatus::Evaluated(Evaluated {
                    size: u64::try_from(contents.bytes.len()).unwrap_or(u64::MAX),
                    sha256: contents.sha256,
                    encoding,
                    format: parsed.format,
                    observations: evaluate::evaluate(&parsed, &entry.path),
                    duplicate_of: None,
                })
            }
        },
    };
    let record = FileRecord {
        path: entry.path.clone(),
        kind: entry.kind,
        status,
    };
    (record, atime_kept)
}

/// Decodes and parses a file's bytes. Total: undecodable bytes are a malformed file.
#[must_use]
pub fn parse_bytes(bytes: &[u8]) -> (Parsed, Option<Encoding>) {
    match decode::decode(bytes) {
        Ok(decoded) => (formats::parse(&decoded.text), Some(decoded.encoding)),
        Err(error) => (
            Parsed {
                format: Format::Binary,
                body: Body::Malformed(format!("cannot be decoded as text: {error}")),
            },
            None,
        ),
    }
}

/// Marks each file whose SHA-256 equals an earlier file's as a duplicate of the first.
fn mark_duplicates(files: &mut [FileRecord]) {
    let mut first_by_hash: HashMap<String, String> = HashMap::new();
    for file in files {
        if let FileStatus::Evaluated(evaluated) = &mut file.status {
            match first_by_hash.get(&evaluated.sha256) {
                Some(first) => evaluated.duplicate_of = Some(first.clone()),
                None => {
                    first_by_hash.insert(evaluated.sha256.clone(), file.path.clone());
                }
            }
        }
    }
}
