//! Reports: one writer per output format, and the one place that writes them.
//!
//! Writers render a finished [`Report`] into bytes; [`write`] sends them to standard output
//! or replaces a file atomically (a temporary file in the same folder, then a rename), so
//! a reader never sees half a report.

pub mod csv;
pub mod json;

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;

use crate::config::{CsvOptions, Output, ReportFormat};
use crate::error::Error;
use crate::evaluate::Outcome;
use crate::rollup::Verdict;
use crate::{FileStatus, Report};

/// File-derived text made safe for a terminal: control characters other than those in
/// `keep` are replaced with U+FFFD, so nothing in a file name or value can drive a console.
#[must_use]
pub fn printable<'a>(text: &'a str, keep: &[char]) -> Cow<'a, str> {
    let replaced = |c: char| c.is_control() && !keep.contains(&c);
    if !text.chars().any(replaced) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| if replaced(c) { '\u{fffd}' } else { c })
            .collect(),
    )
}

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

/// Writes a report to every output: first every file, all or none (each is written to a
/// temporary file beside it; only when all are complete are they renamed into place), then
/// standard output.
///
/// # Errors
/// [`Error::Write`] when a file cannot be written (no report file is then left behind),
/// [`Error::Stdout`] when standard output cannot.
pub fn write(report: &Report, outputs: &[Output], csv: CsvOptions) -> Result<(), Error> {
    let mut written = Vec::new();
    for output in outputs {
        if let Some(path) = &output.path {
            let temporary = write_temporary(path, |out| render(report, output.format, csv, out))
                .map_err(|source| Error::Write {
                    path: path.clone(),
                    source,
                })?;
            written.push((temporary, path));
        }
    }
    for (temporary, path) in written {
        temporary.persist(path).map_err(|e| Error::Write {
            path: path.clone(),
            source: e.error,
        })?;
    }
    for output in outputs.iter().filter(|o| o.path.is_none()) {
        let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
        render(report, output.format, csv, &mut stdout)
            .and_then(|()| stdout.flush())
            .map_err(|source| Error::Stdout { source })?;
    }
    Ok(())
}

/// Writes a report through `write_report` into a temporary file beside `path`, synced to
/// disk: renamed into place, a reader sees the old file or the whole new one, never a part.
fn write_temporary(
    path: &Path,
    write_report: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<tempfile::NamedTempFile> {
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".mdc-evidence-").suffix(".tmp");
    // A report is for sharing: readable by all, like any file the user would write.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o644));
    }
    let mut out = std::io::BufWriter::new(builder.tempfile_in(folder)?);
    write_report(&mut out)?;
    let temporary = out
        .into_inner()
        .map_err(std::io::IntoInnerError::into_error)?;
    temporary.as_file().sync_all()?;
    Ok(temporary)
}
