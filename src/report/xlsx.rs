//! The Excel workbook (`.xlsx`, with `rust_xlsxwriter`): sheets Subscriptions,
//! Observations, Files and Run, with the columns of the CSV reports and the JSON report's
//! run and summary. Each sheet's header row is frozen, its autofilter on, and its columns
//! sized from their longest text (capped). Every text is a string cell, never a formula,
//! whatever a file name or value holds, and is kept exactly (the crate escapes a literal
//! `_xHHHH_`, which Excel would read as an escaped character) but for bidirectional
//! controls, shown as `\u{202e}` as in every report for people; counts and sizes are numbers.
//!
//! The workbook is written in one pass over the rows, each sheet in the crate's constant
//! memory mode: a row goes to a temporary file (in `TMPDIR`) as the next one starts, so
//! memory does not grow with the rows; the sheets are then compressed into the archive,
//! held in memory (the size of the `.xlsx`) and written out. Its bytes depend only on the report: the document's creation time is the run's
//! `generated_at` (`SOURCE_DATE_EPOCH` when set) and the archive's member times are fixed.
//! An earlier workbook under a scanned root is recognised by its document properties: a
//! ZIP whose `docProps/core.xml` names this tool as creator.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::sync::Arc;

use rust_xlsxwriter::{
    ColNum, DocProperties, ExcelDateTime, Format, RowNum, Workbook, Worksheet, XlsxError,
};

use super::rows::{self, FileRow, ObservationRow, SubscriptionRow};
use super::{Flags, Render, Summary, Writer};
use crate::model::Report;
use crate::vocabulary::outcome::Outcome;
use crate::vocabulary::verdict::Verdict;

/// The Excel workbook: `.xlsx`.
pub const WRITER: Writer = Writer {
    name: "xlsx",
    extensions: &["xlsx"],
    build: |_: &Flags| Arc::new(Xlsx),
    is_own_report,
    // The archive is opened and its creator read: already a whole recognition.
    is_whole_report: is_own_report,
};

/// The creator the workbook's document properties name, by which it is recognised.
const CREATOR: &str = env!("CARGO_PKG_NAME");

/// The widest a column is sized, in characters.
const MAX_WIDTH: usize = 60;

/// The longest text a cell holds, in UTF-16 units (Excel's limit).
const MAX_CELL: usize = 32_767;

/// The rows a sheet holds, its header included (Excel's limit).
const MAX_ROWS: usize = 1_048_576;

/// The workbook has no options.
#[derive(Debug, Clone, Copy)]
struct Xlsx;

impl Render for Xlsx {
    fn render(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        let bytes = workbook(report).map_err(|e| io::Error::other(e.to_string()))?;
        out.write_all(&bytes)
    }
}

const FILE_HEADER: [&str; 13] = [
    "path",
    "kind",
    "status",
    "reason",
    "size",
    "sha256",
    "encoding",
    "format",
    "observations",
    "duplicate_of",
    "collected_at",
    "collected_by",
    "collected_from",
];

/// One cell's value.
enum Cell<'a> {
    Text(Cow<'a, str>),
    Number(u64),
    Empty,
}

fn text<'a>(s: impl Into<Cow<'a, str>>) -> Cell<'a> {
    Cell::Text(s.into())
}

fn optional(s: Option<&str>) -> Cell<'_> {
    s.map_or(Cell::Empty, |s| Cell::Text(Cow::Borrowed(s)))
}

fn boolean(b: Option<bool>) -> Cell<'static> {
    match b {
        Some(true) => text("true"),
        Some(false) => text("false"),
        None => Cell::Empty,
    }
}

fn subscription_cells<'a>(row: &'a SubscriptionRow<'a>) -> [Cell<'a>; 20] {
    let exception = row.exception.map(|e| &e.exception);
    [
        text(row.subscription_id),
        optional(row.subscription_name),
        text(row.check),
        optional(row.control),
        text(row.verdict.as_str()),
        text(row.flags.join(" ")),
        text(row.reason),
        optional(row.deciding_file),
        optional(row.deciding_value),
        optional(row.deciding_location),
        optional(row.collected_at.as_deref()),
        optional(row.collected_from),
        boolean(row.in_inventory),
        Cell::Number(u64::try_from(row.paths.len()).unwrap_or(u64::MAX)),
        text(row.paths.join("; ")),
        optional(row.exception.map(|e| e.status.as_str())),
        exception.map_or(Cell::Empty, |e| text(e.expires.to_string())),
        optional(exception.map(|e| e.approved_by.as_str())),
        optional(exception.and_then(|e| e.ticket.as_deref())),
        optional(exception.map(|e| e.justification.as_str())),
    ]
}

fn observation_cells<'a>(row: &'a ObservationRow<'a>) -> [Cell<'a>; 16] {
    [
        text(row.path),
        text(row.format),
        optional(row.subscription_id),
        text(row.check),
        optional(row.control),
        optional(row.subscription_source),
        text(row.outcome.as_str()),
        boolean(row.enabled),
        optional(row.location.as_deref()),
        text(row.detail),
        text(row.sha256),
        Cell::Number(row.size),
        optional(row.collected_at.as_deref()),
        optional(row.collected_by),
        optional(row.collected_from),
        optional(row.duplicate_of),
    ]
}

fn file_cells<'a>(row: &'a FileRow<'a>) -> [Cell<'a>; 13] {
    [
        text(row.path),
        text(row.kind),
        text(row.status),
        optional(row.reason.as_deref()),
        row.size.map_or(Cell::Empty, Cell::Number),
        optional(row.sha256),
        optional(row.encoding),
        optional(row.format),
        Cell::Number(u64::try_from(row.observations).unwrap_or(u64::MAX)),
        optional(row.duplicate_of),
        optional(row.collected_at.as_deref()),
        optional(row.collected_by),
        optional(row.collected_from),
    ]
}

/// A sheet being filled row by row: the widest text of each column, and the rows left out
/// past Excel's limit.
struct Sheet<'a> {
    worksheet: &'a mut Worksheet,
    widths: Vec<usize>,
    rows: usize,
    left_out: usize,
}

impl<'a> Sheet<'a> {
    /// A new sheet of `workbook` in constant memory mode, with its header row written.
    fn new(
        workbook: &'a mut Workbook,
        name: &str,
        header: &[&str],
        bold: &Format,
    ) -> Result<Self, XlsxError> {
        let worksheet = workbook.add_worksheet_with_constant_memory()?;
        worksheet.set_name(name)?;
        for (col, name) in (0..).zip(header) {
            worksheet.write_string_with_format(0, col, *name, bold)?;
        }
        Ok(Self {
            worksheet,
            widths: header.iter().map(|h| h.chars().count()).collect(),
            rows: 1,
            left_out: 0,
        })
    }

    /// Appends a row; past Excel's row limit, only counts it.
    fn row(&mut self, cells: &[Cell<'_>]) -> Result<(), XlsxError> {
        if self.rows >= MAX_ROWS {
            self.left_out += 1;
            return Ok(());
        }
        let row = RowNum::try_from(self.rows).map_err(|_| XlsxError::RowColumnLimitError)?;
        for ((col, cell), width) in (0..).zip(cells).zip(self.widths.iter_mut()) {
            match cell {
                Cell::Text(s) => {
                    let s = cell_text(s);
                    *width = (*width).max(s.chars().take(MAX_WIDTH).count());
                    self.worksheet.write_string(row, col, s.as_ref())?;
                }
                Cell::Number(n) => {
                    *width = (*width).max(n.to_string().len());
                    #[expect(
                        clippy::cast_precision_loss,
                        reason = "sizes and counts are far below 2^53"
                    )]
                    self.worksheet.write_number(row, col, *n as f64)?;
                }
                Cell::Empty => {}
            }
        }
        self.rows += 1;
        Ok(())
    }

    /// Sizes the columns, freezes the header row and turns the autofilter on.
    fn finish(self) -> Result<usize, XlsxError> {
        for (col, width) in (0..).zip(&self.widths) {
            // Whole characters below the cap: an exact conversion.
            let width = u32::try_from((*width).min(MAX_WIDTH) + 2).unwrap_or(62);
            self.worksheet.set_column_width(col, width)?;
        }
        self.worksheet.set_freeze_panes(1, 0)?;
        let last_row = RowNum::try_from(self.rows.saturating_sub(1)).unwrap_or(RowNum::MAX);
        let last_col = ColNum::try_from(self.widths.len().saturating_sub(1)).unwrap_or(0);
        self.worksheet.autofilter(0, 0, last_row, last_col)?;
        Ok(self.left_out)
    }
}

/// A text as a cell holds it: whole, or cut at Excel's limit, saying so; bidirectional
/// controls shown as their escape (`\u{202e}`), so that no name shows reordered.
fn cell_text(s: &str) -> Cow<'_, str> {
    let s = match crate::escape::bidi_shown(s) {
        Cow::Borrowed(s) => s,
        Cow::Owned(shown) => return Cow::Owned(cell_text(&shown).into_owned()),
    };
    if s.len() <= MAX_CELL - 40 {
        // Fewer bytes than the limit: fewer UTF-16 units too.
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut units = 0;
    for (at, c) in s.char_indices() {
        units += c.len_utf16();
        if units > MAX_CELL - 40 {
            let rest = s.get(at..).map_or(0, |r| r.chars().count());
            let _ = write!(out, "… ({rest} more characters)");
            break;
        }
        out.push(c);
    }
    Cow::Owned(out)
}

/// Builds the workbook's bytes.
fn workbook(report: &Report) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let created = generated_at(&report.run.generated_at);
    workbook.set_properties(
        &DocProperties::new()
            .set_title("mdc-evidence report")
            .set_author(CREATOR)
            .set_comment(format!(
                "{CREATOR} {}: Microsoft Defender for Cloud settings evidence",
                env!("CARGO_PKG_VERSION")
            ))
            .set_creation_datetime(&created),
    );
    let bold = Format::new().set_bold();

    let mut sheet = Sheet::new(
        &mut workbook,
        "Subscriptions",
        &rows::SUBSCRIPTION_HEADER,
        &bold,
    )?;
    for row in rows::subscriptions(report) {
        sheet.row(&subscription_cells(&row))?;
    }
    let subscriptions_left_out = sheet.finish()?;

    let mut sheet = Sheet::new(
        &mut workbook,
        "Observations",
        &rows::OBSERVATION_HEADER,
        &bold,
    )?;
    for row in rows::observations(report) {
        sheet.row(&observation_cells(&row))?;
    }
    let observations_left_out = sheet.finish()?;

    let mut sheet = Sheet::new(&mut workbook, "Files", &FILE_HEADER, &bold)?;
    for row in rows::files(report) {
        sheet.row(&file_cells(&row))?;
    }
    let files_left_out = sheet.finish()?;

    let mut sheet = Sheet::new(&mut workbook, "Run", &["field", "value"], &bold)?;
    for (field, value) in run_rows(report) {
        sheet.row(&[text(field), value])?;
    }
    for (what, n) in [
        ("left_out.subscriptions", subscriptions_left_out),
        ("left_out.observations", observations_left_out),
        ("left_out.files", files_left_out),
    ] {
        if n > 0 {
            let note = format!("{n} rows past Excel's limit of {MAX_ROWS}: see the JSON report");
            sheet.row(&[text(what), text(note)])?;
        }
    }
    sheet.finish()?;

    workbook.save_to_buffer()
}

/// The run's `generated_at` as the document's creation time (the epoch if unreadable).
fn generated_at(text: &str) -> ExcelDateTime {
    let seconds = text
        .parse::<jiff::Timestamp>()
        .map_or(0, jiff::Timestamp::as_second);
    ExcelDateTime::from_timestamp(seconds)
        .or_else(|_| ExcelDateTime::from_timestamp(0))
        .unwrap_or_default()
}

/// The Run sheet: the tool, the run's metadata, the checks and the summary counts.
fn run_rows(report: &Report) -> Vec<(String, Cell<'_>)> {
    let summary = Summary::of(report);
    let count = |n: usize| Cell::Number(u64::try_from(n).unwrap_or(u64::MAX));
    let mut rows: Vec<(String, Cell<'_>)> = vec![
        ("tool".into(), text(CREATOR)),
        ("version".into(), text(env!("CARGO_PKG_VERSION"))),
        (
            "generated_at".into(),
            text(report.run.generated_at.as_str()),
        ),
        (
            "command_line".into(),
            text(report.run.command_line.join(" ")),
        ),
        ("roots".into(), text(report.run.roots.join("; "))),
        (
            "benchmark".into(),
            optional(report.checks.benchmark.as_deref()),
        ),
    ];
    for check in &report.checks.checks {
        let control = report.checks.control_of(check).unwrap_or("-");
        rows.push((
            format!("check.{}", check.id),
            text(format!("{} (control {control})", check.title)),
        ));
    }
    for warning in &report.run.warnings {
        rows.push(("warning".into(), text(warning.as_str())));
    }
    if let Some(note) = &report.run.access_times {
        rows.push(("access_times".into(), text(note.as_str())));
    }
    rows.push(("summary".into(), text(summary.line())));
    for (field, n) in [
        ("files_seen", summary.files_seen),
        ("files_read", summary.files_read),
        ("files_skipped", summary.files_skipped),
        ("duplicates", summary.duplicates),
        ("not_evidence", summary.not_evidence),
        ("observations", summary.observations),
        ("unattributed", summary.unattributed),
        ("unattributed_deciding", summary.unattributed_deciding),
        ("subscriptions", summary.subscriptions),
        ("checks", summary.checks),
        ("flagged", summary.flagged),
    ] {
        rows.push((format!("summary.{field}"), count(n)));
    }
    for (outcome, n) in &summary.outcomes {
        rows.push((
            format!("summary.outcomes.{}", Outcome::as_str(*outcome)),
            count(*n),
        ));
    }
    for (verdict, n) in &summary.verdicts {
        rows.push((
            format!("summary.verdicts.{}", Verdict::as_str(*verdict)),
            count(*n),
        ));
    }
    if let Some((outside, verdicts)) = &summary.out_of_scope {
        rows.push(("summary.out_of_scope.subscriptions".into(), count(*outside)));
        for (verdict, n) in verdicts {
            rows.push((
                format!(
                    "summary.out_of_scope.verdicts.{}",
                    Verdict::as_str(*verdict)
                ),
                count(*n),
            ));
        }
    }
    rows
}

/// Whether `bytes` are a workbook this tool wrote: a ZIP archive starting with the
/// `[Content_Types].xml` member of every Office Open XML file, whose `docProps/core.xml`
/// names this tool as creator. Only files starting so are opened as archives, and only
/// the first 64 KiB of that member are read.
#[must_use]
pub fn is_own_report(bytes: &[u8]) -> bool {
    const MEMBER: &[u8] = b"[Content_Types].xml";
    let starts_as_ooxml = bytes.starts_with(b"PK\x03\x04")
        && bytes.get(26..28) == Some(&[19, 0])
        && bytes.get(30..30 + MEMBER.len()) == Some(MEMBER);
    if !starts_as_ooxml {
        return false;
    }
    let Ok(mut archive) = zip::ZipArchive::new(io::Cursor::new(bytes)) else {
        return false;
    };
    let Ok(core) = archive.by_name("docProps/core.xml") else {
        return false;
    };
    let mut xml = Vec::new();
    if core.take(64 << 10).read_to_end(&mut xml).is_err() {
        return false;
    }
    let creator = format!("<dc:creator>{CREATOR}</dc:creator>");
    xml.windows(creator.len()).any(|w| w == creator.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_within_the_cell_limit_is_kept_whole() {
        assert_eq!(cell_text("a_x0041_b"), "a_x0041_b");
        assert_eq!(cell_text("=HYPERLINK(\"x\")"), "=HYPERLINK(\"x\")");
        assert_eq!(cell_text("good-\u{202e}nosj.dab"), "good-\\u{202e}nosj.dab");
    }

    #[test]
    fn a_text_past_the_cell_limit_is_cut_saying_so() {
        let long = "é".repeat(40_000);
        let cut = cell_text(&long);
        assert!(cut.encode_utf16().count() <= MAX_CELL);
        assert!(
            cut.ends_with("more characters)"),
            "{}",
            &cut[cut.len() - 40..]
        );
    }

    #[test]
    fn other_bytes_are_not_a_workbook_of_this_tool() {
        assert!(!is_own_report(b""));
        assert!(!is_own_report(b"PK\x03\x04"));
        let mut fake = b"PK\x03\x04".to_vec();
        fake.extend([0; 22]);
        fake.extend([19, 0, 0, 0]);
        fake.extend(b"[Content_Types].xml garbage");
        assert!(!is_own_report(&fake));
    }
}
