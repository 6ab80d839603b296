//! Reports: one writer per output format, and the one place that writes them.
//!
//! Writers render a finished [`Report`] into bytes; [`write`] sends them to standard output
//! or replaces a file atomically (a temporary file in the same folder, then a rename), so
//! a reader never sees half a report.

pub mod csv;
pub mod evidence;
pub mod html;
pub mod json;
pub mod jsonl;
pub mod none;
pub mod ocsf;
pub mod oscal;
pub mod rows;
pub mod table;
pub mod xlsx;

use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::Error;
use crate::model::{FileStatus, Report};
use crate::vocabulary::outcome::Outcome;
use crate::vocabulary::verdict::Verdict;

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
    /// Of those, the ones that might be evidence (too large, unreadable, ...): while any
    /// is, the run cannot pass.
    pub evidence_not_read: usize,
    /// Files whose bytes equal an earlier file's.
    pub duplicates: usize,
    /// Files read that are not evidence (a README, an image): they give no observation.
    pub not_evidence: usize,
    /// Observations (file, subscription pairs).
    pub observations: usize,
    /// Observations without a subscription.
    pub unattributed: usize,
    /// Of those, the ones that would decide a subscription (`enabled`, `disabled`,
    /// `absent`) if one were known.
    pub unattributed_deciding: usize,
    /// Observations per outcome, in [`Outcome::ALL`] order.
    pub outcomes: Vec<(Outcome, usize)>,
    /// Subscriptions with a verdict; with an inventory, those it lists.
    pub subscriptions: usize,
    /// With an inventory, the subscriptions found outside it, and their verdicts; `None`
    /// without one.
    pub out_of_scope: Option<(usize, Vec<(Verdict, usize)>)>,
    /// Checks run.
    pub checks: usize,
    /// Verdicts with a flag for a reviewer.
    pub flagged: usize,
    /// Verdicts (one per subscription and check) per verdict, in [`Verdict::ALL`] order.
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
        let scoped = |inside: bool| {
            report
                .subscriptions
                .iter()
                .filter(move |s| s.in_scope() == inside)
        };
        let distinct = |inside: bool| {
            let mut ids: Vec<&str> = scoped(inside).map(|s| s.subscription.as_str()).collect();
            ids.dedup();
            ids.len()
        };
        let verdicts = |inside: bool| -> Vec<(Verdict, usize)> {
            Verdict::ALL
                .iter()
                .map(|&v| (v, scoped(inside).filter(|s| s.verdict == v).count()))
                .collect()
        };
        let inventory = report
            .subscriptions
            .iter()
            .any(|s| s.in_inventory.is_some());
        Self {
            files_seen: report.files.len(),
            files_read,
            files_skipped: report.files.len() - files_read,
            evidence_not_read: report.unread_evidence(),
            duplicates,
            not_evidence: report
                .files
                .iter()
                .filter(
                    |f| matches!(&f.status, FileStatus::Evaluated(e) if e.not_evidence.is_some()),
                )
                .count(),
            observations: observations.len(),
            unattributed: observations
                .iter()
                .filter(|o| o.subscription.is_none())
                .count(),
            unattributed_deciding: observations
                .iter()
                .filter(|o| o.subscription.is_none() && o.outcome.is_deciding())
                .count(),
            outcomes: Outcome::ALL
                .iter()
                .map(|&k| (k, observations.iter().filter(|o| o.outcome == k).count()))
                .collect(),
            subscriptions: distinct(true),
            out_of_scope: inventory.then(|| (distinct(false), verdicts(false))),
            checks: report.checks.checks.len(),
            flagged: scoped(true).filter(|s| !s.flags.is_empty()).count(),
            verdicts: verdicts(true),
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
        let checks = match self.checks {
            0 | 1 => String::new(),
            n => format!(" x {n} checks"),
        };
        let scope = match (self.out_of_scope.is_some(), self.subscriptions) {
            (true, _) => "in scope",
            (false, 1) => "subscription",
            (false, _) => "subscriptions",
        };
        let mut line = format!(
            "{} {} read, {} skipped; {} {scope}{checks}: {}",
            self.files_read,
            if self.files_read == 1 {
                "file"
            } else {
                "files"
            },
            self.files_skipped,
            self.subscriptions,
            verdicts.join(", ")
        );
        if let Some((outside, _)) = &self.out_of_scope {
            let _ = write!(line, "; {outside} out of scope");
        }
        match self.evidence_not_read {
            0 => {}
            1 => line.push_str("; 1 file that might be evidence not read: the run cannot pass"),
            n => {
                let _ = write!(
                    line,
                    "; {n} files that might be evidence not read: the run cannot pass"
                );
            }
        }
        if self.flagged > 0 {
            let _ = write!(line, "; {} flagged for review", self.flagged);
        }
        match self.not_evidence {
            0 => {}
            1 => line.push_str("; 1 file not evidence"),
            n => {
                let _ = write!(line, "; {n} files not evidence");
            }
        }
        match self.unattributed {
            0 => {}
            1 => line.push_str("; 1 unattributed observation"),
            n => {
                let _ = write!(line, "; {n} unattributed observations");
            }
        }
        if self.unattributed_deciding > 0 {
            let _ = write!(line, " ({} with a value)", self.unattributed_deciding);
        }
        line
    }
}

/// A report format, rendering a finished report to bytes, streaming: a report is never
/// held whole in memory.
pub trait Render: std::fmt::Debug + Send + Sync {
    /// Writes `report` to `out`.
    ///
    /// # Errors
    /// An I/O error from `out`.
    fn render(&self, report: &Report, out: &mut dyn Write) -> std::io::Result<()>;
}

/// The report flags of the command line; each format takes the ones it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flags {
    /// `--rows`.
    pub rows: csv::Rows,
    /// `--csv-delimiter`.
    pub csv_delimiter: u8,
    /// `--csv-bom`.
    pub csv_bom: bool,
    /// `--csv-metadata`.
    pub csv_metadata: bool,
}

impl Default for Flags {
    fn default() -> Self {
        Self {
            rows: csv::Rows::Subscriptions,
            csv_delimiter: b',',
            csv_bom: false,
            csv_metadata: false,
        }
    }
}

/// One report format: its name for `--format`, the file extensions `-o` picks it by, how
/// it is built from the report flags, and how its files are recognised (an earlier report
/// under a scanned root is never read as evidence, and may be replaced).
#[derive(Debug)]
pub struct Writer {
    /// The name `--format` takes.
    pub name: &'static str,
    /// The file name endings `-o` picks it by, without the dot (longest match wins).
    pub extensions: &'static [&'static str],
    /// The format with its options, from the report flags.
    pub build: fn(&Flags) -> std::sync::Arc<dyn Render>,
    /// Whether bytes (after any byte order mark) are a report of this format written by
    /// this tool.
    pub is_own_report: fn(&[u8]) -> bool,
    /// Whether bytes (after any byte order mark) are a whole report of this format written
    /// by this tool, not only its start: what a scan leaves unread as an earlier report.
    pub is_whole_report: fn(&[u8]) -> bool,
}

/// Every report format. A new format is one new file in `report/` and one entry here.
pub const WRITERS: &[Writer] = &[
    csv::WRITER,
    json::WRITER,
    html::WRITER,
    jsonl::WRITER,
    ocsf::WRITER,
    oscal::WRITER,
    table::WRITER,
    xlsx::WRITER,
    none::WRITER,
];

/// The format `--format` names.
#[must_use]
pub fn by_name(name: &str) -> Option<&'static Writer> {
    WRITERS.iter().find(|w| w.name.eq_ignore_ascii_case(name))
}

/// The format a report file's name calls for: the longest extension it ends with.
#[must_use]
pub fn by_file_name(path: &Path) -> Option<&'static Writer> {
    let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
    WRITERS
        .iter()
        .flat_map(|w| w.extensions.iter().map(move |e| (w, e)))
        .filter(|(_, e)| {
            name.strip_suffix(*e)
                .is_some_and(|stem| stem.ends_with('.') && stem.len() > 1)
        })
        .max_by_key(|(_, e)| e.len())
        .map(|(w, _)| w)
}

/// Every extension `-o` accepts, for messages: `.csv or .json`.
#[must_use]
pub fn extensions() -> String {
    let all: Vec<String> = WRITERS
        .iter()
        .flat_map(|w| w.extensions.iter().map(|e| format!(".{e}")))
        .collect();
    all.join(" or ")
}

/// Where a report goes.
#[derive(Debug, Clone)]
pub struct Output {
    /// The file to write atomically, or `None` for standard output.
    pub path: Option<PathBuf>,
    /// The report format, with its options.
    pub format: Arc<dyn Render>,
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
pub fn write(report: &Report, outputs: &[Output]) -> Result<(), Error> {
    let renders: Vec<_> = outputs
        .iter()
        .map(|output| {
            let render = |out: &mut dyn Write| output.format.render(report, out);
            (output.path.as_deref(), render)
        })
        .collect();
    write_outputs(&renders)
}

/// Writes every destination (a file, or standard output for `None`) with its render, all
/// or none, as [`write`] does for reports: files are staged beside their final name and
/// renamed into place only once every file and standard output have been written. `diff`
/// writes its outputs through this too.
///
/// # Errors
/// As [`write`].
pub fn write_outputs<R>(outputs: &[(Option<&Path>, R)]) -> Result<(), Error>
where
    R: Fn(&mut dyn Write) -> std::io::Result<()>,
{
    let mut staged = Vec::new();
    for (path, render) in outputs {
        if let Some(path) = *path {
            let temporary = write_temporary(path, render).map_err(|source| Error::Write {
                path: path.to_path_buf(),
                source,
            })?;
            staged.push((temporary, path));
        }
    }
    for (_, render) in outputs.iter().filter(|(path, _)| path.is_none()) {
        match write_stdout(render) {
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
    // Reports run to hundreds of megabytes: written in 1 MiB blocks, not 8 KiB ones.
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
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

    /// Standard output as a file of its own, whose write errors are all reported (the
    /// runtime's handle ignores `EBADF`: a standard output open only for reading would lose
    /// the report silently). `/dev/null` is written like any file: it is what a caller
    /// that discards the output asks for (`subprocess.DEVNULL`, `stdio: 'ignore'`,
    /// `daemon()`). A standard output closed at start cannot be told from it: the Rust
    /// runtime reopens a closed descriptor on `/dev/null`, as those callers do.
    #[cfg(unix)]
    pub(super) fn open() -> io::Result<File> {
        use std::os::fd::AsFd;
        Ok(File::from(io::stdout().as_fd().try_clone_to_owned()?))
    }

    #[cfg(not(unix))]
    pub(super) fn open() -> io::Result<File> {
        use std::os::windows::io::AsHandle;
        Ok(File::from(io::stdout().as_handle().try_clone_to_owned()?))
    }
}
