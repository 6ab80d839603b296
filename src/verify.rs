//! `mdc-evidence verify REPORT.json`: chain of custody, and the report re-derived. Scans
//! the roots the report recorded (or `--root` folders, when the evidence has moved) again
//! with the configuration its command line records and its own `generated_at` as the
//! clock, and compares the report with what that scan gives: of each file whether it is
//! `unchanged`, `changed`, `missing` or `new` (present under the roots but not in the
//! report), a file the report lists without a digest (skipped by the scan) `unverified`;
//! and every verdict, observation, manifest entry or count the report states that the
//! evidence does not give, named ([`Difference`]).
//!
//! A report that cannot be re-derived (written by another version, an input it names
//! missing) is still checked file by file (`verify/files.rs`), and does not verify.
//!
//! Data flows one way, as in a scan: read the report, scan, compare, render.

mod affected;
mod files;
mod rederive;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::Error;
use files::check_files;

pub use crate::saved::KNOWN_SCHEMAS;
pub use affected::Affected;
pub use rederive::Difference;

/// What `verify` needs to scan again as the report's scan did: the recorded command line,
/// the folders to walk (each with the root the report shows for it), the report's
/// `generated_at` and the worker threads.
#[derive(Debug)]
pub struct Recorded<'a> {
    /// `run.command_line`.
    pub command_line: &'a [String],
    /// The folders to walk, each with the root the report shows for it.
    pub roots: &'a [(PathBuf, String)],
    /// `run.generated_at`.
    pub generated_at: std::time::SystemTime,
    /// Worker threads (0: the default).
    pub threads: usize,
}

/// Builds the configuration of the scan a report records (the command line's parser lives
/// above this module: `cli::recorded_scan`).
pub type Configure<'a> = &'a dyn Fn(&Recorded<'_>) -> Result<crate::Config, Error>;

/// What became of one file since the report was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Same size and SHA-256 as the report records.
    Unchanged,
    /// Other bytes than the report records.
    Changed,
    /// The report lists it; it is no longer there.
    Missing,
    /// There now, not in the report.
    New,
    /// Listed by the report without a digest (the scan skipped it); still there.
    Unverified,
    /// Listed with a digest, but it cannot be read now.
    Unreadable,
}

impl State {
    /// Every state, in summary order.
    pub const ALL: [Self; 6] = [
        Self::Unchanged,
        Self::Changed,
        Self::Missing,
        Self::New,
        Self::Unverified,
        Self::Unreadable,
    ];

    /// The name used in the output.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unchanged => "unchanged",
            Self::Changed => "changed",
            Self::Missing => "missing",
            Self::New => "new",
            Self::Unverified => "unverified",
            Self::Unreadable => "unreadable",
        }
    }

    /// Whether this state breaks the chain of custody (exit status 1).
    #[must_use]
    pub fn is_break(self) -> bool {
        matches!(
            self,
            Self::Changed | Self::Missing | Self::New | Self::Unreadable
        )
    }
}

/// One file's comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Checked {
    /// The path under the root checked: the report's, or under `--root` when the evidence
    /// moved.
    pub path: String,
    /// The path as the report shows it, when it is not `path` (`--root`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report_path: Option<String>,
    /// What became of it.
    pub state: State,
    /// The SHA-256 the report records.
    pub recorded_sha256: Option<String>,
    /// The size the report records.
    pub recorded_size: Option<u64>,
    /// The SHA-256 of the bytes read now.
    pub sha256: Option<String>,
    /// The size read now.
    pub size: Option<u64>,
    /// Why, when the state needs a word (the scan's skip reason, a read error).
    pub note: Option<String>,
    /// For a file that is changed, missing, new or unreadable: the verdicts it was
    /// evidence for (the report's; for a new file, those the evidence gives now), each
    /// marked when it decided them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub verdicts: Vec<Affected>,
}

/// The result of a verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// The report's `schema_version`.
    pub schema_version: u32,
    /// The roots walked (with `--root`, those given).
    pub roots: Vec<String>,
    /// The roots as the report shows them, when `--root` gave others.
    pub report_roots: Option<Vec<String>>,
    /// Every file of the report and every new one, sorted by path.
    pub files: Vec<Checked>,
    /// What the report states that the evidence does not give: the files' entries by path,
    /// then the other parts of the report by name.
    pub differences: Vec<Difference>,
    /// Why the report could not be re-derived, when it could not (its files were still
    /// checked).
    pub not_rederived: Option<String>,
}

impl Verification {
    /// How many files are in each state, in [`State::ALL`] order.
    #[must_use]
    pub fn counts(&self) -> Vec<(State, usize)> {
        State::ALL
            .iter()
            .map(|&s| (s, self.files.iter().filter(|f| f.state == s).count()))
            .collect()
    }

    /// Whether every file is as the report records, nothing is new, and the report is what
    /// the evidence gives.
    #[must_use]
    pub fn intact(&self) -> bool {
        !self.files.iter().any(|f| f.state.is_break())
            && self.differences.is_empty()
            && self.not_rederived.is_none()
    }

    /// The summary line for standard error.
    #[must_use]
    pub fn line(&self) -> String {
        let listed = self.files.iter().filter(|f| f.state != State::New).count();
        let counts = self.counts();
        let count = |state: State| {
            counts
                .iter()
                .find(|(s, _)| *s == state)
                .map_or(0, |(_, n)| *n)
        };
        let mut line = format!(
            "verify: {listed} {} in the report: {} unchanged, {} changed, {} missing",
            if listed == 1 { "file" } else { "files" },
            count(State::Unchanged),
            count(State::Changed),
            count(State::Missing),
        );
        for state in [State::Unverified, State::Unreadable] {
            if count(state) > 0 {
                let _ = write!(line, ", {} {}", count(state), state.as_str());
            }
        }
        let _ = write!(line, "; {} new", count(State::New));
        if let Some(why) = &self.not_rederived {
            let _ = write!(
                line,
                "; the report could not be re-derived: {}",
                crate::escape::printable(why, &[])
            );
        } else {
            let n = self.differences.len();
            let _ = write!(
                line,
                "; re-derived: {n} {}",
                if n == 1 { "difference" } else { "differences" }
            );
        }
        line
    }
}

/// The part of a JSON report `verify` reads.
#[derive(Debug, Deserialize)]
struct Manifest {
    schema_version: u32,
    run: Run,
    files: Vec<ManifestFile>,
}

#[derive(Debug, Deserialize)]
struct Run {
    roots: Vec<String>,
    #[serde(default)]
    generated_at: Option<String>,
    #[serde(default)]
    command_line: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct ManifestFile {
    path: String,
    status: String,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    size: Option<u64>,
    #[serde(default)]
    sha256: Option<String>,
}

/// Verifies the report at `report` against the files under its roots, or under `roots`
/// when given (one per recorded root, in the same order), with `threads` workers (0: the
/// default of [`crate::read::threads`]): scans them again with the configuration
/// `configure` builds from what the report records, and compares.
///
/// # Errors
/// [`Error::Usage`] when the report cannot be read, is not a JSON report of this tool, has
/// an unknown `schema_version`, or `roots` does not match its roots; [`Error::Root`] when a
/// root cannot be walked.
pub fn verify(
    report: &Path,
    roots: &[PathBuf],
    threads: usize,
    configure: Configure<'_>,
) -> Result<Verification, Error> {
    let (_, saved): (u32, serde_json::Value) = crate::saved::read(report, "verify")?;
    let manifest = Manifest::deserialize(&saved).map_err(|e| {
        Error::Usage(format!(
            "report {} cannot be read by verify: {e}",
            crate::error::shown(report)
        ))
    })?;
    let walked = roots_to_walk(&manifest, roots)?;
    match rederived(&saved, &manifest, &walked, threads, configure) {
        Ok(derived) => {
            let compared = rederive::compare(&saved, &derived);
            let mut files = compared.files;
            affected::attach(&mut files, &saved, Some(&derived));
            files.sort_by(|a, b| a.path.as_bytes().cmp(b.path.as_bytes()));
            affected::show_walked(&mut files, &walked);
            Ok(Verification {
                schema_version: manifest.schema_version,
                report_roots: report_roots(&walked),
                roots: walked
                    .iter()
                    .map(|(path, _)| crate::escape::display(path))
                    .collect(),
                files,
                differences: compared.differences,
                not_rederived: None,
            })
        }
        Err(why) => {
            // New files are read (to tell a report of this tool) within the scan's limit.
            let limit = configure(&Recorded {
                command_line: &manifest.run.command_line,
                roots: &walked,
                generated_at: std::time::SystemTime::UNIX_EPOCH,
                threads,
            })
            .map_or(crate::config::DEFAULT_MAX_FILE_SIZE, |c| c.max_file_size);
            let mut verification = check_files(&manifest, walked.clone(), threads, limit)?;
            affected::attach(&mut verification.files, &saved, None);
            affected::show_walked(&mut verification.files, &walked);
            verification.roots = walked
                .iter()
                .map(|(path, _)| crate::escape::display(path))
                .collect();
            verification.report_roots = report_roots(&walked);
            verification.not_rederived = Some(why);
            Ok(verification)
        }
    }
}

/// The roots the report shows, when any walked folder is shown otherwise (`--root`).
fn report_roots(walked: &[(PathBuf, String)]) -> Option<Vec<String>> {
    walked
        .iter()
        .any(|(path, recorded)| crate::escape::display(path) != *recorded)
        .then(|| {
            walked
                .iter()
                .map(|(_, recorded)| recorded.clone())
                .collect()
        })
}

/// The report a scan of the evidence gives now with the report's configuration, as JSON,
/// its paths shown as the report shows them; or why there is none.
fn rederived(
    saved: &serde_json::Value,
    manifest: &Manifest,
    walked: &[(PathBuf, String)],
    threads: usize,
    configure: Configure<'_>,
) -> Result<serde_json::Value, String> {
    let version = saved
        .pointer("/tool/version")
        .and_then(serde_json::Value::as_str)
        .unwrap_or("");
    if version != env!("CARGO_PKG_VERSION")
        || manifest.schema_version != crate::report::json::SCHEMA_VERSION
    {
        return Err(format!(
            "it was written by mdc-evidence {} (schema_version {}), and this is {}: verify it \
             with the version that wrote it",
            crate::escape::printable(version, &[]),
            manifest.schema_version,
            env!("CARGO_PKG_VERSION")
        ));
    }
    let generated_at = manifest
        .run
        .generated_at
        .as_deref()
        .and_then(|t| t.parse::<jiff::Timestamp>().ok())
        .ok_or("its run.generated_at is not an RFC 3339 time")?;
    let config = configure(&Recorded {
        command_line: &manifest.run.command_line,
        roots: walked,
        generated_at: generated_at.into(),
        threads,
    })
    .map_err(|e| e.to_string())?;
    let report = crate::scan::scan(&config).map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    (crate::report::json::WRITER.build)(&crate::report::Flags::default())
        .render(&report, &mut bytes)
        .map_err(|e| e.to_string())?;
    let mut derived: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
    let moved: Vec<(String, String)> = walked
        .iter()
        .map(|(path, recorded)| (crate::escape::display(path), recorded.clone()))
        .filter(|(shown, recorded)| shown != recorded)
        .collect();
    if !moved.is_empty() {
        rederive::show_as_recorded(&mut derived, &moved);
    }
    Ok(derived)
}

/// The folders to walk, each with the root the report shows for it.
fn roots_to_walk(manifest: &Manifest, roots: &[PathBuf]) -> Result<Vec<(PathBuf, String)>, Error> {
    let recorded = &manifest.run.roots;
    if roots.is_empty() {
        return recorded
            .iter()
            .map(|root| {
                // A root shown with escapes (`\\`, `\xNN`) is not the path itself.
                if root.contains('\\') {
                    Err(Error::Usage(format!(
                        "the report's root {} cannot be opened as written: give it with --root",
                        crate::escape::printable(root, &[])
                    )))
                } else if std::fs::symlink_metadata(root).is_err() {
                    Err(Error::Usage(format!(
                        "the report's root {} is not there (relative roots are read from \
                         the current folder): if the evidence has moved, give --root",
                        crate::escape::printable(root, &[])
                    )))
                } else {
                    Ok((PathBuf::from(root), root.clone()))
                }
            })
            .collect();
    }
    if roots.len() != recorded.len() {
        return Err(Error::Usage(format!(
            "the report has {} root{} ({}): give --root once for each, in that order",
            recorded.len(),
            if recorded.len() == 1 { "" } else { "s" },
            crate::escape::printable(&recorded.join(", "), &[])
        )));
    }
    Ok(roots
        .iter()
        .cloned()
        .zip(recorded.iter().cloned())
        .collect())
}

/// How `verify` writes its detail on standard output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Detail {
    /// One line per file that is not unchanged, for people.
    #[default]
    Text,
    /// Every file, as JSON.
    Json,
    /// Every file, as CSV.
    Csv,
}

/// Writes the detail of `verification` in `detail` form.
///
/// # Errors
/// An I/O error from `out`.
pub fn render(verification: &Verification, detail: Detail, out: &mut dyn Write) -> io::Result<()> {
    match detail {
        Detail::Text => render_text(verification, out),
        Detail::Json => {
            #[derive(Serialize)]
            struct View<'a> {
                schema_version: u32,
                roots: &'a [String],
                #[serde(skip_serializing_if = "Option::is_none")]
                report_roots: Option<&'a [String]>,
                intact: bool,
                summary: BTreeMap<&'static str, usize>,
                files: &'a [Checked],
                differences: &'a [Difference],
                #[serde(skip_serializing_if = "Option::is_none")]
                not_rederived: Option<&'a str>,
            }
            let view = View {
                schema_version: verification.schema_version,
                roots: &verification.roots,
                report_roots: verification.report_roots.as_deref(),
                intact: verification.intact(),
                summary: verification
                    .counts()
                    .into_iter()
                    .map(|(s, n)| (s.as_str(), n))
                    .collect(),
                files: &verification.files,
                differences: &verification.differences,
                not_rederived: verification.not_rederived.as_deref(),
            };
            serde_json::to_writer_pretty(&mut *out, &view).map_err(io::Error::from)?;
            out.write_all(b"\n")
        }
        Detail::Csv => render_csv(verification, out),
    }
}

/// The CSV detail: every file, then one row per difference.
fn render_csv(verification: &Verification, out: &mut dyn Write) -> io::Result<()> {
    let mut writer = csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::Never)
        .terminator(csv::Terminator::CRLF)
        .from_writer(out);
    let cell = |t: &str| crate::report::csv::cell(t, b',');
    let io_error = |e: csv::Error| match e.into_kind() {
        csv::ErrorKind::Io(io) => io,
        other => io::Error::other(format!("{other:?}")),
    };
    writer
        .write_record([
            "path",
            "state",
            "recorded_sha256",
            "recorded_size",
            "sha256",
            "size",
            "note",
            "report_path",
            "verdicts",
        ])
        .map_err(io_error)?;
    for f in &verification.files {
        let number = |n: Option<u64>| n.map(|n| n.to_string()).unwrap_or_default();
        writer
            .write_record([
                cell(&f.path),
                f.state.as_str().to_owned(),
                f.recorded_sha256.clone().unwrap_or_default(),
                number(f.recorded_size),
                f.sha256.clone().unwrap_or_default(),
                number(f.size),
                cell(f.note.as_deref().unwrap_or_default()),
                cell(f.report_path.as_deref().unwrap_or_default()),
                cell(&affected::verdicts(&f.verdicts, usize::MAX)),
            ])
            .map_err(io_error)?;
    }
    // What else differs: one row each, the entry in `path`, `differs` in `state`.
    for d in &verification.differences {
        writer
            .write_record([
                cell(&d.at),
                "differs".to_owned(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                cell(&difference_detail(d)),
                String::new(),
                String::new(),
            ])
            .map_err(io_error)?;
    }
    if let Some(why) = &verification.not_rederived {
        writer
            .write_record([
                String::new(),
                "unconfirmed".to_owned(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                cell(&format!("the report could not be re-derived: {why}")),
                String::new(),
                String::new(),
            ])
            .map_err(io_error)?;
    }
    writer.flush()
}

/// The text detail: one line per file that is not unchanged, then each difference.
fn render_text(verification: &Verification, out: &mut dyn Write) -> io::Result<()> {
    for file in verification
        .files
        .iter()
        .filter(|f| f.state != State::Unchanged)
    {
        let path = crate::escape::printable(&file.path, &[]);
        let mut line = format!("{:<10} {path}", file.state.as_str());
        if file.state == State::Changed
            && let (Some(was), Some(now)) = (&file.recorded_sha256, &file.sha256)
        {
            let _ = write!(
                line,
                ": sha256 {} -> {}, size {} -> {}",
                was.get(..12).unwrap_or(was),
                now.get(..12).unwrap_or(now),
                file.recorded_size.unwrap_or(0),
                file.size.unwrap_or(0)
            );
        }
        if let Some(note) = &file.note {
            let _ = write!(line, ": {}", crate::escape::printable(note, &[]));
        }
        writeln!(out, "{line}")?;
        if let Some(was) = file
            .report_path
            .as_ref()
            .filter(|_| file.state != State::New)
        {
            writeln!(
                out,
                "{:<10} in the report as {}",
                "",
                crate::escape::printable(was, &[])
            )?;
        }
        if !file.verdicts.is_empty() {
            writeln!(
                out,
                "{:<10} {} {}",
                "",
                if file.state == State::New {
                    "now evidence for"
                } else {
                    "evidence for"
                },
                crate::escape::printable(
                    &affected::verdicts(&file.verdicts, affected::SHOWN_VERDICTS),
                    &[]
                )
            )?;
        }
    }
    for difference in &verification.differences {
        writeln!(out, "{}", difference_line(difference))?;
    }
    if let Some(why) = &verification.not_rederived {
        writeln!(
            out,
            "{:<10} the report could not be re-derived: {}",
            "unconfirmed",
            crate::escape::printable(why, &[])
        )?;
    }
    Ok(())
}

/// The longest value a line about a difference shows whole.
const SHOWN_VALUE: usize = 200;

/// `FIELD: the report says X, the evidence gives Y`.
fn difference_detail(d: &Difference) -> String {
    let value = |v: &Option<String>| match v {
        Some(v) if v.chars().count() > SHOWN_VALUE => {
            let cut: String = v.chars().take(SHOWN_VALUE).collect();
            format!("{cut}... ({} characters)", v.chars().count())
        }
        Some(v) => v.clone(),
        None => "nothing".to_owned(),
    };
    let field = if d.field.is_empty() {
        "the entry".to_owned()
    } else {
        d.field.clone()
    };
    format!(
        "{field}: the report says {}, the evidence gives {}",
        value(&d.report),
        value(&d.evidence)
    )
}

/// One line of the text detail about a difference.
fn difference_line(d: &Difference) -> String {
    format!(
        "{:<10} {}: {}",
        "differs",
        crate::escape::printable(&d.at, &[]),
        crate::escape::printable(&difference_detail(d), &[])
    )
}
