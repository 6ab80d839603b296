//! Reports: one writer per output format, and the one place that writes them.
//!
//! Writers render a finished [`Report`] into bytes; [`write`] sends them to standard output
//! or replaces a file atomically (a temporary file in the same folder, then a rename), so
//! a reader never sees half a report.

pub mod csv;
pub mod json;

use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;

use crate::config::{CsvOptions, Output, ReportFormat};
use crate::error::Error;
use crate::evaluate::Outcome;
use crate::model::{FileStatus, Report};
use crate::rollup::Verdict;

pub use crate::escape::printable;

/// Counts over a report, shared by the JSON summary and the stderr line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Every entry under the roots other than folders.
    pub files_seen: usize,
    /// Files read and evaluated.
    pub files_read: usize,
    /// Entries not read, each with its reason in the manifest.
    pub files_skipped: usize,
    /// Files whose bytes equal an earlier file's.
    pub duplicates: usize,
    /// Observations (file, subscription pairs).
    pub observations: usize,
    /// Observations without a subscription.
    pub unattributed: usize,
    /// Observations per outcome, in [`Outcome::ALL`] order.
    pub outcomes: Vec<(Outcome, usize)>,
    /// Subscriptions with a verdict.
    pub subscriptions: usize,
    /// Subscriptions per verdict, in [`Verdict::ALL`] order.
    pub verdicts: Vec<(Verdict, usize)>,
}

impl Summary {
    /// Counts a report.
    #[must_use]
    pub fn of(report: &Report) -> Self {
        let files_read = report
            .files
            .iter()
            .filter(|f| matches!(f.status, FileStatus::Evaluated(_)))
            .count();
        let duplicates = report
            .files
            .iter()
            .filter(|f| matches!(&f.status, FileStatus::Evaluated(e) if e.duplicate_of.is_some()))
            .count();
        let observations: Vec<_> = report.observations().map(|(_, _, o)| o).collect();
        Self {
            files_seen: report.files.len(),
            files_read,
            files_skipped: report.files.len() - files_read,
            duplicates,
            observations: observations.len(),
            unattributed: observations
                .iter()
                .filter(|o| o.subscription.is_none())
                .count(),
            outcomes: Outcome::ALL
                .iter()
                .map(|&k| (k, observations.iter().filter(|o| o.outcome == k).count()))
                .collect(),
            subscriptions: report.subscriptions.len(),
            verdicts: Verdict::ALL
                .iter()
                .map(|&v| {
                    (
                        v,
                        report
                            .subscriptions
                            .iter()
                            .filter(|s| s.verdict == v)
                            .count(),
                    )
                })
                .collect(),
        }
    }

    /// The one line printed on standard error after a scan.
    #[must_use]
    pub fn line(&self) -> String {
        let verdicts: Vec<String> = self
            .verdicts
            .iter()
            .map(|(verdict, n)| format!("{n} {verdict}"))
            .collect();
        let mut line = format!(
            "{} files read, {} skipped; {} subscriptions: {}",
            self.files_read,
            self.files_skipped,
            self.subscriptions,
            verdicts.join(", ")
        );
        if self.unattributed > 0 {
            let _ = write!(line, "; {} unattributed observations", self.unattributed);
        }
        line
    }
}

/// Writes a report in `format` to `out`, streaming: it is never held whole in memory.
///
/// # Errors
/// An I/O error from `out`.
pub fn render(
    report: &Report,
    format: ReportFormat,
    csv: CsvOptions,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    match format {
        ReportFormat::Json => json::render(report, out),
        ReportFormat::Csv => csv::render(report, csv, out),
    }
}

/// Whether `bytes` are a report this tool wrote (JSON or CSV, whole or cut short by an
/// interrupted run): such files under a root are never read as evidence.
#[must_use]
pub fn is_own_report(bytes: &[u8]) -> bool {
    json::is_own_report(bytes) || csv::is_own_report(bytes)
}

/// Writes a report to every output, all or none: every file is first written to a
/// temporary file beside it and synced; then standard output is written; only when all of
/// that succeeded are the files renamed into place (an existing file is kept aside and put
/// back if a later rename fails). A reader that closes standard output early (`| head`) is
/// not a failure.
///
/// # Errors
/// [`Error::Write`] when a file cannot be written (no report file is then left behind),
/// [`Error::Stdout`] when standard output cannot (closed, full; nor is any file written).
pub fn write(report: &Report, outputs: &[Output], csv: CsvOptions) -> Result<(), Error> {
    let mut staged = Vec::new();
    for output in outputs {
        if let Some(path) = &output.path {
            let temporary = write_temporary(path, |out| render(report, output.format, csv, out))
                .map_err(|source| Error::Write {
                    path: path.clone(),
                    source,
                })?;
            staged.push((temporary, path.as_path()));
        }
    }
    for output in outputs.iter().filter(|o| o.path.is_none()) {
        match write_stdout(|out| render(report, output.format, csv, out)) {
            Err(source) if source.kind() == std::io::ErrorKind::BrokenPipe => break,
            Err(source) => return Err(Error::Stdout { source }),
            Ok(()) => {}
        }
    }
    commit(staged)
}

/// Renames every staged report into place, all or none.
fn commit(staged: Vec<(tempfile::TempPath, &Path)>) -> Result<(), Error> {
    let mut done: Vec<(&Path, Option<tempfile::TempPath>)> = Vec::new();
    for (temporary, path) in staged {
        // Keep the file being replaced, if any, until every rename has succeeded.
        let kept = keep_aside(path);
        let temporary_path = temporary.to_path_buf();
        if let Err(e) = temporary.persist(path) {
            unstage(&temporary_path);
            let _ = std::fs::remove_file(&temporary_path);
            for (path, kept) in done.into_iter().rev() {
                match kept {
                    Some(kept) => {
                        let _ = std::fs::rename(&kept, path);
                    }
                    None => {
                        let _ = std::fs::remove_file(path);
                    }
                }
            }
            return Err(Error::Write {
                path: path.to_path_buf(),
                source: e.error,
            });
        }
        unstage(&temporary_path);
        done.push((path, kept));
    }
    // The replaced files are no longer needed: dropping their paths removes them.
    Ok(())
}

/// A hard link to the file at `path` under a temporary name, removed when dropped; `None`
/// when there is no file (or the file system cannot link).
fn keep_aside(path: &Path) -> Option<tempfile::TempPath> {
    if !path.is_file() {
        return None;
    }
    let name = tempfile::Builder::new()
        .prefix(crate::discover::TEMPORARY_PREFIX)
        .suffix(crate::discover::TEMPORARY_SUFFIX)
        .make_in(folder_of(path), |candidate| {
            std::fs::hard_link(path, candidate)
        })
        .ok()?;
    Some(name.into_temp_path())
}

/// Writes to standard output through a handle of its own, so that a closed or full
/// standard output is an error rather than a silent loss.
fn write_stdout(
    write_report: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(stdout::open()?);
    write_report(&mut out)?;
    out.flush()
}

/// Paths of the temporary report files staged but not yet renamed into place, so that an
/// interrupt can remove them (see [`remove_staged`]).
static STAGED: std::sync::Mutex<Vec<std::path::PathBuf>> = std::sync::Mutex::new(Vec::new());

fn stage(path: &Path) {
    if let Ok(mut staged) = STAGED.lock() {
        staged.push(path.to_path_buf());
    }
}

fn unstage(temporary: &Path) {
    if let Ok(mut staged) = STAGED.lock() {
        staged.retain(|p| p != temporary);
    }
}

/// Removes every temporary report file of this run that has not been renamed into place.
/// Called on an interrupt (Ctrl-C, `SIGTERM`), so that no partial report is left behind.
pub fn remove_staged() {
    if let Ok(mut staged) = STAGED.lock() {
        for path in staged.drain(..) {
            let _ = std::fs::remove_file(path);
        }
    }
}

fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// Writes a report through `write_report` into a temporary file beside `path`, synced to
/// disk: renamed into place, a reader sees the old file or the whole new one, never a part.
fn write_temporary(
    path: &Path,
    write_report: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<tempfile::TempPath> {
    let mut builder = tempfile::Builder::new();
    builder
        .prefix(crate::discover::TEMPORARY_PREFIX)
        .suffix(crate::discover::TEMPORARY_SUFFIX);
    // A report is for sharing: readable by all, like any file the user would write.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o644));
    }
    let file = builder.tempfile_in(folder_of(path))?;
    stage(file.path());
    let mut out = std::io::BufWriter::new(file);
    write_report(&mut out)?;
    let file = out
        .into_inner()
        .map_err(std::io::IntoInnerError::into_error)?;
    file.as_file().sync_all()?;
    Ok(file.into_temp_path())
}

/// A handle on standard output that reports every failure.
mod stdout {
    use std::fs::File;
    use std::io;

    /// Standard output as a file of its own. The Rust runtime reopens a closed standard
    /// output on `/dev/null` (read-write, which no shell redirection does) and its handle
    /// ignores `EBADF`: both would lose the report silently, so both are errors here.
    #[cfg(unix)]
    pub(super) fn open() -> io::Result<File> {
        use std::os::fd::AsFd;
        let handle = io::stdout();
        let fd = handle.as_fd();
        let flags = rustix::fs::fcntl_getfl(fd)
            .map_err(|_| io::Error::other("standard output is closed"))?;
        if flags.contains(rustix::fs::OFlags::RDWR) {
            let stat = rustix::fs::fstat(fd).map_err(io::Error::from)?;
            let null = rustix::fs::FileType::from_raw_mode(stat.st_mode)
                == rustix::fs::FileType::CharacterDevice
                && (
                    rustix::fs::major(stat.st_rdev),
                    rustix::fs::minor(stat.st_rdev),
                ) == (1, 3);
            if null {
                return Err(io::Error::other("standard output is closed"));
            }
        }
        Ok(File::from(fd.try_clone_to_owned()?))
    }

    #[cfg(not(unix))]
    pub(super) fn open() -> io::Result<File> {
        use std::os::windows::io::AsHandle;
        Ok(File::from(io::stdout().as_handle().try_clone_to_owned()?))
    }
}
