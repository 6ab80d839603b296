//! The scan pipeline: discover -> read -> decode -> parse -> evaluate (in parallel, one file
//! at a time) -> roll up. Writes nothing: the binary hands the [`Report`] to `report`.
//! `explain` reads one file through [`examine`], the same function a scan uses.

use std::collections::HashMap;
use std::collections::hash_map;
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use crate::checks::Checks;
use crate::config::{Config, StaleAfter, StaleLimit};
use crate::decode::Encoding;
use crate::discover::{self, Entry};
use crate::error::Error;
use crate::formats::dates::Collected;
use crate::formats::{self, Body, Format, Parsed};
use crate::model::{Evaluated, FileRecord, FileStatus, Report, RunInfo};
use crate::query::{self, Document};
use crate::rollup::{self, SubscriptionVerdict};
use crate::subscription::{self, PathScope, SubscriptionId};
use crate::vocabulary::entry::Skip;
use crate::{decode, evaluate, inventory, read};

/// What a scan tells while it runs, for a progress display (never part of a report).
pub trait Progress: Sync {
    /// The entries discovered, before any is examined.
    fn start(&self, total: u64);
    /// One more entry examined; called from the worker threads.
    fn done(&self);
}

/// No progress display.
#[derive(Debug, Clone, Copy)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _: u64) {}
    fn done(&self) {}
}

/// Runs a scan: discovers, reads, parses and evaluates every file in parallel, then rolls
/// the observations up per subscription. Writes nothing.
///
/// # Errors
/// [`Error`] when a root or the inventory cannot be read, or the thread pool cannot start.
pub fn scan(config: &Config) -> Result<Report, Error> {
    scan_with(config, &NoProgress)
}

/// [`scan`], telling `progress` how many entries there are and when each is examined.
///
/// # Errors
/// As [`scan`].
pub fn scan_with(config: &Config, progress: &dyn Progress) -> Result<Report, Error> {
    let inventory = match &config.inventory {
        Some(path) => Some(inventory::load(path, config.max_file_size)?),
        None => None,
    };
    let threads = read::threads(config.threads);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|source| Error::Threads { threads, source })?;
    let discovered = pool.install(|| discover::discover(&config.discovery))?;
    progress.start(u64::try_from(discovered.entries.len()).unwrap_or(u64::MAX));
    let (mut files, files_atime_not_kept) =
        pool.install(|| examine_all(discovered.entries, config, progress));
    mark_duplicates(&mut files);
    let now = jiff::Timestamp::try_from(config.generated_at)
        .map_err(|e| Error::Usage(format!("the run's time cannot date evidence: {e}")))?;
    let dates = rollup::Dates {
        now: Some(now),
        staleness: config
            .stale_after
            .as_ref()
            .map(|stale| staleness(stale, config.period.as_ref(), now))
            .transpose()?,
        period: config.period.clone(),
    };
    let mut subscriptions = pool.install(|| {
        roll_up(
            &files,
            inventory.as_ref().map(|i| i.ids.as_slice()),
            &config.checks,
            &dates,
        )
    });
    if let Some(inventory) = &inventory {
        for verdict in &mut subscriptions {
            verdict.name = inventory.names.get(&verdict.subscription).cloned();
        }
    }
    let exceptions = config
        .exceptions
        .as_ref()
        .map(|register| crate::exceptions::apply(register, &mut subscriptions, now));
    let mut warnings: Vec<String> = discovered
        .unmatched_patterns
        .iter()
        .map(|p| format!("{p} matched no file"))
        .collect();
    warnings.extend(future_dated_warning(&subscriptions, &dates));
    warnings.extend(unread_warning(&files));
    let mut left_out = 0;
    if let Some(outcome) = &exceptions {
        warnings.extend(outcome.warnings.iter().cloned());
        left_out = outcome.warnings_left_out;
    }
    cap_warnings(&mut warnings, left_out);
    Ok(Report {
        checks: config.checks.clone(),
        run: RunInfo {
            command_line: config.command_line.clone(),
            roots: config
                .discovery
                .roots
                .iter()
                .map(|r| crate::escape::display(r))
                .collect(),
            generated_at: humantime::format_rfc3339_seconds(config.generated_at).to_string(),
            warnings,
            access_times: access_times_note(
                discovered.folders_atime_not_kept,
                files_atime_not_kept,
            ),
        },
        files,
        subscriptions,
        exceptions,
    })
}

/// Reads, parses and evaluates every entry in parallel (in the current thread pool): the
/// records in the entries' order, and how many files were read without keeping their
/// access times. Each entry is consumed as it is examined: its path moves into the file's
/// record and nothing of the walk is kept beside the records, which are collected into one
/// vector of the known length, each written in its place: nothing grows or is concatenated.
/// Each worker reads every file into one buffer.
fn examine_all(
    entries: Vec<Entry>,
    config: &Config,
    progress: &dyn Progress,
) -> (Vec<FileRecord>, usize) {
    let atime_not_kept = AtomicUsize::new(0);
    let budget = read::Budget::new(config.max_in_flight);
    let files = entries
        .into_par_iter()
        .map_init(Vec::new, |buffer, mut entry| {
            let path = std::mem::take(&mut entry.path);
            let examined = examine_at(
                &entry,
                path,
                config.max_file_size,
                &config.checks,
                (buffer, &budget),
            );
            if !examined.atime_kept {
                atime_not_kept.fetch_add(1, Ordering::Relaxed);
            }
            progress.done();
            examined.record
        })
        .collect();
    (files, atime_not_kept.into_inner())
}

/// One verdict per subscription from every file's observations. A file that might be
/// evidence but was not read (too large, unreadable, changed during the read, ...) and
/// whose path names a subscription leaves that subscription listed, without evidence from
/// that file, with the reason and flagged `unread_evidence`, never missing.
fn roll_up(
    files: &[FileRecord],
    inventory: Option<&[SubscriptionId]>,
    checks: &Checks,
    dates: &rollup::Dates,
) -> Vec<SubscriptionVerdict> {
    let index_of = |check: &crate::checks::Check| {
        checks
            .checks
            .iter()
            .position(|c| c.id == check.id)
            .unwrap_or(0)
    };
    let unread: Vec<(&FileRecord, &Skip, SubscriptionId)> = files
        .iter()
        .filter_map(|file| match &file.status {
            FileStatus::Skipped(skip) if skip.might_be_evidence() => {
                match subscription::scope_of_path(&file.path) {
                    PathScope::Found(sub) => Some((file, skip, sub)),
                    PathScope::Ambiguous(_) | PathScope::None => None,
                }
            }
            FileStatus::Skipped(_) | FileStatus::Evaluated(_) => None,
        })
        .collect();
    let observed = files.iter().flat_map(|file| {
        file.evaluated().into_iter().flat_map(move |e| {
            e.observations.iter().filter_map(move |o| {
                o.subscription
                    .as_ref()
                    .map(|subscription| rollup::Evidence {
                        subscription,
                        check: index_of(&o.check),
                        path: &file.path,
                        found: rollup::Found::Outcome(o.outcome),
                        source: o.source,
                        sha256: Some(&e.sha256),
                        enabled: o.enabled,
                        location: o.location.as_ref(),
                        detail: &o.detail,
                        id_less: o.id_less,
                        failed_attempts: o.failed_attempts,
                        collected: e.collected.as_ref(),
                    })
            })
        })
    });
    // A file not read leaves every check of its subscription without that evidence.
    let not_read = unread.iter().flat_map(|(file, skip, subscription)| {
        (0..checks.checks.len()).map(move |check| {
            rollup::Evidence::bare(
                subscription,
                check,
                &file.path,
                rollup::Found::NotRead(skip),
            )
        })
    });
    // Sized once (at most one item per observation), so that the roll-up sorts it where
    // it is.
    let count = files
        .iter()
        .filter_map(FileRecord::evaluated)
        .map(|e| e.observations.len())
        .sum::<usize>()
        + unread.len() * checks.checks.len();
    let mut evidence = Vec::with_capacity(count);
    evidence.extend(observed.chain(not_read));
    rollup::roll_up(evidence, inventory, &checks.checks, dates)
}

/// What `--stale-after` makes stale: evidence collected before a date, or longer than a
/// duration before the period's end (`--period`), else before the run's time `now`.
fn staleness(
    stale: &StaleAfter,
    period: Option<&rollup::Period>,
    now: jiff::Timestamp,
) -> Result<rollup::Staleness, Error> {
    let written = &stale.written;
    let duration = match stale.limit {
        StaleLimit::Before(cutoff) => {
            return Ok(rollup::Staleness {
                cutoff,
                rule: format!("before {written}"),
            });
        }
        StaleLimit::Duration(duration) => duration,
    };
    let (from, rule) = match period {
        Some(period) => (
            period.end,
            format!(
                "more than {written} before the period's end ({})",
                period.last_day
            ),
        ),
        None => (now, format!("more than {written} before the run")),
    };
    let cutoff = jiff::SignedDuration::try_from(duration)
        .ok()
        .and_then(|d| from.checked_sub(d).ok())
        .ok_or_else(|| {
            Error::Usage(format!(
                "--stale-after {written} reaches back before the year -9999"
            ))
        })?;
    Ok(rollup::Staleness { cutoff, rule })
}

/// The run's warning when deciding evidence says it was collected after the run's time
/// (the verdicts flagged `future_dated`): how many verdicts rest on it, and the latest date.
fn future_dated_warning(
    subscriptions: &[SubscriptionVerdict],
    dates: &rollup::Dates,
) -> Option<String> {
    let flagged: Vec<&Collected> = subscriptions
        .iter()
        .flat_map(|s| &s.flags)
        .filter_map(|f| match f {
            rollup::Flag::FutureDated(collected) => Some(collected),
            _ => None,
        })
        .collect();
    let latest = flagged.iter().max_by_key(|c| c.at)?;
    let now = humantime::format_rfc3339_seconds(std::time::SystemTime::from(dates.now?));
    Some(format!(
        "{} {} on evidence that says it was collected after the run's time {now} (the \
         latest {}, {}): the run's clock or SOURCE_DATE_EPOCH is behind the evidence, or the \
         evidence's dates are wrong; {} judged at the run's time",
        flagged.len(),
        if flagged.len() == 1 {
            "verdict rests"
        } else {
            "verdicts rest"
        },
        latest.at,
        latest.source.as_str(),
        if dates.period.is_some() {
            "exceptions are (staleness at the period's end)"
        } else {
            "staleness and exceptions are"
        }
    ))
}

/// The run's warning when files that might be evidence were not read: how many, the first,
/// and that the run cannot pass.
fn unread_warning(files: &[FileRecord]) -> Option<String> {
    let mut unread = files.iter().filter_map(|f| match &f.status {
        FileStatus::Skipped(skip) if skip.might_be_evidence() => Some((f, skip)),
        _ => None,
    });
    let (first, skip) = unread.next()?;
    let more = unread.count();
    Some(format!(
        "{} that might be evidence {} not read, so the run cannot pass: {} ({skip}){}",
        if more == 0 { "1 file" } else { "files" },
        if more == 0 { "was" } else { "were" },
        first.path,
        match more {
            0 => String::new(),
            n => format!(" and {n} more"),
        }
    ))
}

/// The most warnings a run shows (on standard error and in `run.warnings`); the rest are
/// counted in a last line.
pub const WARNINGS_SHOWN: usize = 20;

/// Keeps the first [`WARNINGS_SHOWN`] warnings and counts the rest, with `left_out` more
/// already counted (the exceptions register's), in a last line.
fn cap_warnings(warnings: &mut Vec<String>, left_out: usize) {
    let more = left_out + warnings.len().saturating_sub(WARNINGS_SHOWN);
    if more == 0 {
        return;
    }
    warnings.truncate(WARNINGS_SHOWN);
    warnings.push(format!(
        "{more} more {} not shown{}",
        if more == 1 { "warning" } else { "warnings" },
        if left_out > 0 {
            " (every row of the exceptions register not applied is in the JSON report's \
             exceptions.not_applied)"
        } else {
            ""
        }
    ));
}

/// The run metadata's note on access times, when some could not be kept.
fn access_times_note(folders: usize, files: usize) -> Option<String> {
    let count = |n: usize, one: &str, many: &str| {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {many}")
        }
    };
    (folders + files > 0).then(|| {
        format!(
            "{} and {} of another owner: the kernel refused O_NOATIME, so reading them may \
             have changed their access times",
            count(folders, "folder", "folders"),
            count(files, "file", "files")
        )
    })
}

/// One entry as a scan examines it: its record, and what the parser found in it (kept
/// only for `explain`: a scan drops it as soon as the file is evaluated).
#[derive(Debug)]
pub struct Examined {
    /// The entry's record, as the report shows it.
    pub record: FileRecord,
    /// The parsed file, when it was read and is not a report of this tool.
    pub parsed: Option<Parsed>,
    /// Whether the file was opened so that its access time stays as it was.
    pub atime_kept: bool,
}

/// Reads, decodes, parses and evaluates one entry. Never fails: every problem becomes the
/// entry's status or an observation with its reason.
#[must_use]
pub fn examine(entry: &Entry, max_file_size: u64, checks: &Checks) -> Examined {
    examine_at(
        entry,
        entry.path.clone(),
        max_file_size,
        checks,
        (&mut Vec::new(), &read::UNLIMITED),
    )
}

/// A worker's read buffer keeps at most this much room between files: one large file does
/// not hold its size for the rest of the run.
const BUFFER_KEPT: usize = 1 << 20;

/// [`examine`], with the path as reported (`entry.path`) given by value, so that a scan
/// moves it into the record instead of copying it, and the bytes read into `buffer`, the
/// file's size held of `budget` until it is parsed and evaluated.
fn examine_at(
    entry: &Entry,
    path: String,
    max_file_size: u64,
    checks: &Checks,
    (buffer, budget): (&mut Vec<u8>, &read::Budget),
) -> Examined {
    let mut atime_kept = true;
    let mut parsed = None;
    let status = match &entry.skip {
        Some(skip) => FileStatus::Skipped(skip.clone()),
        None => match read::read_within(&entry.fs_path, max_file_size, buffer, budget) {
            Err(error) => FileStatus::Skipped(error.into()),
            Ok((read, _permit)) if crate::own_reports::is_whole_report(buffer) => {
                atime_kept = read.atime_kept;
                FileStatus::Skipped(Skip::EarlierReport)
            }
            Ok((read, _permit)) => {
                atime_kept = read.atime_kept;
                let (file, encoding, documents, stated) = parse_decoded(buffer, checks);
                let collected = stated.or_else(|| read.modified.and_then(Collected::modified));
                let mut observations = evaluate::evaluate_with(&file, &path, checks, &documents);
                let not_evidence =
                    evaluate::not_evidence(&file, &observations).map(ToString::to_string);
                if not_evidence.is_some() {
                    observations.clear();
                }
                let evaluated = Evaluated {
                    size: u64::try_from(buffer.len()).unwrap_or(u64::MAX),
                    sha256: read.sha256,
                    encoding,
                    format: file.format,
                    observations,
                    duplicate_of: None,
                    collected,
                    not_evidence,
                };
                parsed = Some(file);
                FileStatus::Evaluated(evaluated)
            }
        },
    };
    if buffer.capacity() > BUFFER_KEPT {
        *buffer = Vec::new();
    }
    Examined {
        record: FileRecord {
            path,
            kind: entry.kind,
            status,
        },
        parsed,
        atime_kept,
    }
}

/// Decodes and parses a file's bytes. Total: undecodable bytes are a malformed file.
#[must_use]
pub fn parse_bytes(bytes: &[u8]) -> (Parsed, Option<Encoding>) {
    let (parsed, encoding, _, _) = parse_decoded(bytes, &Checks::default());
    (parsed, encoding)
}

/// Decodes and parses a file's bytes, decoding them once; with query checks, also reads the
/// JSON documents the queries run on; and the collection date the text states, if any.
fn parse_decoded(
    bytes: &[u8],
    checks: &Checks,
) -> (Parsed, Option<Encoding>, Vec<Document>, Option<Collected>) {
    if let Some(reason) = formats::binary::sniff(bytes) {
        let parsed = Parsed {
            format: Format::BINARY,
            body: Body::Unrecognized(reason),
            note: None,
        };
        return (parsed, None, Vec::new(), None);
    }
    match decode::decode(bytes) {
        Ok(decoded) => {
            let parsed = formats::parse(&decoded.text);
            // Only files that hold evidence are read again into a tree for the queries.
            let holds_items = matches!(&parsed.body, Body::Items(items) if !items.is_empty());
            let documents = if checks.has_queries() && holds_items {
                query::documents(&decoded.text, parsed.format)
            } else {
                Vec::new()
            };
            let stated = formats::dates::stated(&decoded.text, parsed.format);
            (parsed, Some(decoded.encoding), documents, stated)
        }
        Err(error) => (
            Parsed {
                format: Format::BINARY,
                body: Body::Malformed(formats::Reason::Undecodable(error)),
                note: None,
            },
            None,
            Vec::new(),
            None,
        ),
    }
}

/// Marks each file whose SHA-256 equals an earlier file's as a duplicate of the first.
/// The digests are looked up where they are, not copied: this runs on one thread.
fn mark_duplicates(files: &mut [FileRecord]) {
    let mut first_by_hash: HashMap<&str, usize> = HashMap::with_capacity(files.len());
    let mut duplicates = Vec::new();
    for (index, file) in files.iter().enumerate() {
        if let FileStatus::Evaluated(evaluated) = &file.status {
            match first_by_hash.entry(evaluated.sha256.as_str()) {
                hash_map::Entry::Occupied(first) => duplicates.push((index, *first.get())),
                hash_map::Entry::Vacant(slot) => {
                    slot.insert(index);
                }
            }
        }
    }
    for (index, first) in duplicates {
        let first = files.get(first).map(|f| f.path.clone());
        if let Some(FileRecord {
            status: FileStatus::Evaluated(evaluated),
            ..
        }) = files.get_mut(index)
        {
            evaluated.duplicate_of = first;
        }
    }
}
