//! The CSV reports (RFC 4180): one row per subscription, or one per observation.
//!
//! Every cell is made safe for spreadsheets, whatever list separator the spreadsheet
//! assumes: a cell holding `,`, `;`, a tab, a quote, a line break or a `#` (which a reader
//! skipping comment lines takes for one) is quoted (whatever the delimiter); a cell whose first character, or the first character after a `,`, `;`, tab,
//! the delimiter, a quote or a line break inside it (spaces aside), could start a formula
//! (`=`, `+`, `-`, `@`, their full-width forms `＝＋－＠`, a tab or a carriage return) gets a
//! `'` before that character, so a crafted file name or value can never become a formula,
//! however a spreadsheet splits the text. Other control characters are replaced with U+FFFD
//! and bidirectional controls shown as `\u{202e}`, so that nothing in a file name can drive
//! a terminal or reorder what a person reads. `--csv-metadata` lines are comment lines:
//! each starts with `#` at its first column and is never quoted. The JSON report holds every
//! text exactly.

use std::io::{self, Write};
use std::sync::Arc;

use serde::Serialize;

use super::rows::{self, ObservationRow, SubscriptionRow};
use super::{Flags, Render, Writer};
use crate::model::Report;

/// The CSV report: `.csv`.
pub const WRITER: Writer = Writer {
    name: "csv",
    extensions: &["csv"],
    build: |flags: &Flags| {
        Arc::new(Csv {
            rows: flags.rows,
            delimiter: flags.csv_delimiter,
            bom: flags.csv_bom,
            metadata: flags.csv_metadata,
        })
    },
    is_own_report,
    is_whole_report,
};

/// What the rows of a CSV report are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Rows {
    /// One row per subscription.
    #[default]
    Subscriptions,
    /// One row per (file, subscription) observation.
    Observations,
}

/// The CSV report and its options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Csv {
    /// What the rows are.
    pub rows: Rows,
    /// The field delimiter (`,` by default).
    pub delimiter: u8,
    /// Start the file with a UTF-8 byte order mark, for Excel.
    pub bom: bool,
    /// Start with `# ` lines describing the run (`--csv-metadata`).
    pub metadata: bool,
}

impl Default for Csv {
    fn default() -> Self {
        Self {
            rows: Rows::Subscriptions,
            delimiter: b',',
            bom: false,
            metadata: false,
        }
    }
}

impl Render for Csv {
    fn render(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        self.write_rows(report, out)
            .map_err(|e| match e.into_kind() {
                // Keep an I/O error's kind (a closed pipe stays `BrokenPipe`).
                ::csv::ErrorKind::Io(io) => io,
                other => io::Error::other(format!("{other:?}")),
            })
    }
}

/// A subscription row as CSV writes it: flat, every text cell made safe.
#[derive(Serialize)]
struct SubscriptionCells {
    subscription_id: String,
    subscription_name: String,
    check: String,
    control: String,
    verdict: String,
    flags: String,
    reason: String,
    deciding_file: String,
    deciding_value: String,
    deciding_location: String,
    collected_at: String,
    collected_from: String,
    in_inventory: Option<bool>,
    files: usize,
    paths: String,
    exception: String,
    exception_expires: String,
    exception_approved_by: String,
    exception_ticket: String,
    exception_justification: String,
}

impl SubscriptionCells {
    /// The row of an observation no subscription holds: verdict `unattributed`, and a reason
    /// naming the file and what it holds.
    fn unattributed(row: &ObservationRow<'_>, delimiter: u8) -> Self {
        Self {
            subscription_id: String::new(),
            subscription_name: String::new(),
            check: cell(row.check, delimiter),
            control: cell(row.control.unwrap_or_default(), delimiter),
            verdict: "unattributed".to_owned(),
            flags: String::new(),
            reason: cell(
                &format!("{} ({}): {}", row.path, row.outcome, row.detail),
                delimiter,
            ),
            deciding_file: String::new(),
            deciding_value: String::new(),
            deciding_location: String::new(),
            collected_at: String::new(),
            collected_from: String::new(),
            in_inventory: None,
            files: 1,
            paths: cell(row.path, delimiter),
            exception: String::new(),
            exception_expires: String::new(),
            exception_approved_by: String::new(),
            exception_ticket: String::new(),
            exception_justification: String::new(),
        }
    }

    fn new(row: &SubscriptionRow<'_>, delimiter: u8) -> Self {
        Self {
            subscription_id: cell(row.subscription_id, delimiter),
            subscription_name: cell(row.subscription_name.unwrap_or_default(), delimiter),
            check: cell(row.check, delimiter),
            control: cell(row.control.unwrap_or_default(), delimiter),
            verdict: cell(row.verdict.as_str(), delimiter),
            flags: cell(&row.flags.join(" "), delimiter),
            reason: cell(row.reason, delimiter),
            deciding_file: cell(row.deciding_file.unwrap_or_default(), delimiter),
            deciding_value: cell(row.deciding_value.unwrap_or_default(), delimiter),
            deciding_location: cell(row.deciding_location.unwrap_or_default(), delimiter),
            collected_at: cell(row.collected_at.as_deref().unwrap_or_default(), delimiter),
            collected_from: cell(row.collected_from.unwrap_or_default(), delimiter),
            in_inventory: row.in_inventory,
            files: row.paths.len(),
            paths: cell(&row.paths.join("; "), delimiter),
            exception: row
                .exception
                .map(|e| e.status.as_str().to_owned())
                .unwrap_or_default(),
            exception_expires: row
                .exception
                .map(|e| e.exception.expires.to_string())
                .unwrap_or_default(),
            exception_approved_by: cell(
                row.exception.map_or("", |e| &e.exception.approved_by),
                delimiter,
            ),
            exception_ticket: cell(
                row.exception
                    .and_then(|e| e.exception.ticket.as_deref())
                    .unwrap_or_default(),
                delimiter,
            ),
            exception_justification: cell(
                row.exception.map_or("", |e| &e.exception.justification),
                delimiter,
            ),
        }
    }
}

/// An observation row as CSV writes it: flat, every text cell made safe.
#[derive(Serialize)]
struct ObservationCells {
    path: String,
    format: String,
    subscription_id: String,
    check: String,
    control: String,
    subscription_source: String,
    outcome: String,
    enabled: Option<bool>,
    location: String,
    detail: String,
    sha256: String,
    size: u64,
    collected_at: String,
    collected_by: String,
    collected_from: String,
    duplicate_of: String,
}

impl ObservationCells {
    fn new(row: &ObservationRow<'_>, delimiter: u8) -> Self {
        let text = |t: &str| cell(t, delimiter);
        Self {
            path: text(row.path),
            format: text(row.format),
            subscription_id: text(row.subscription_id.unwrap_or_default()),
            check: text(row.check),
            control: text(row.control.unwrap_or_default()),
            subscription_source: text(row.subscription_source.unwrap_or_default()),
            outcome: text(row.outcome.as_str()),
            enabled: row.enabled,
            location: text(row.location.as_deref().unwrap_or_default()),
            detail: text(row.detail),
            sha256: text(row.sha256),
            size: row.size,
            collected_at: text(row.collected_at.as_deref().unwrap_or_default()),
            collected_by: text(row.collected_by.unwrap_or_default()),
            collected_from: text(row.collected_from.unwrap_or_default()),
            duplicate_of: text(row.duplicate_of.unwrap_or_default()),
        }
    }
}

impl Csv {
    fn write_rows(self, report: &Report, out: &mut dyn Write) -> ::csv::Result<()> {
        if self.bom {
            out.write_all(b"\xEF\xBB\xBF")?;
        }
        // Comment lines, never quoted; the rows below have their own width.
        if self.metadata {
            for line in metadata(report) {
                out.write_all(metadata_line(&line, self.delimiter).as_bytes())?;
                out.write_all(b"\r\n")?;
            }
        }
        // Cells are quoted by `cell`, which quotes more than RFC 4180 needs (see above).
        let mut writer = ::csv::WriterBuilder::new()
            .delimiter(self.delimiter)
            .quote_style(::csv::QuoteStyle::Never)
            .terminator(::csv::Terminator::CRLF)
            .has_headers(false)
            .from_writer(out);
        match self.rows {
            Rows::Subscriptions => {
                writer.write_record(rows::SUBSCRIPTION_HEADER)?;
                for row in rows::subscriptions(report) {
                    writer.serialize(SubscriptionCells::new(&row, self.delimiter))?;
                }
                // What could not be tied to a subscription ends the workpaper, never only a
                // count in the summary.
                for row in rows::observations(report).filter(|o| o.subscription_id.is_none()) {
                    writer.serialize(SubscriptionCells::unattributed(&row, self.delimiter))?;
                }
            }
            Rows::Observations => {
                writer.write_record(rows::OBSERVATION_HEADER)?;
                for row in rows::observations(report) {
                    writer.serialize(ObservationCells::new(&row, self.delimiter))?;
                }
            }
        }
        writer.flush()?;
        Ok(())
    }
}

/// The `# ` lines of `--csv-metadata`: what made the report, when, how, and its summary.
fn metadata(report: &Report) -> Vec<String> {
    let run = &report.run;
    let checks: Vec<String> = report
        .checks
        .checks
        .iter()
        .map(|check| match report.checks.control_of(check) {
            Some(control) => format!("{} (control {control})", check.id),
            None => check.id.clone(),
        })
        .collect();
    let mut lines = vec![
        format!(
            "# {} {}: evidence report of Microsoft Defender for Cloud settings",
            env!("CARGO_PKG_NAME"),
            env!("CARGO_PKG_VERSION")
        ),
        format!("# generated_at: {}", run.generated_at),
        format!("# command: {}", run.command_line.join(" ")),
        format!("# roots: {}", run.roots.join(" ")),
        format!(
            "# checks: {}{}",
            checks.join(", "),
            report
                .checks
                .benchmark
                .as_deref()
                .map(|b| format!("; benchmark {b}"))
                .unwrap_or_default()
        ),
        format!("# summary: {}", super::Summary::of(report).line()),
    ];
    lines.extend(run.warnings.iter().map(|w| format!("# warning: {w}")));
    lines
}

/// Whether `bytes` start with the header of a CSV report of this tool, in any delimiter.
#[must_use]
pub fn is_own_report(bytes: &[u8]) -> bool {
    // The header follows `--csv-metadata`'s `# ` lines, if any; it is short: never look
    // further than a few lines.
    let head = bytes.get(..8192).unwrap_or(bytes);
    let first = head
        .split(|&b| b == b'\n')
        .take(16)
        .find(|line| !(line.starts_with(b"# ") || line.starts_with(b"\"# ")))
        .unwrap_or_default();
    let line = first.strip_suffix(b"\r").unwrap_or(first);
    let matches = |header: &[&str]| {
        let Some(&delimiter) = header.first().and_then(|first| line.get(first.len())) else {
            return false;
        };
        let mut cells = line.split(|&b| b == delimiter);
        header
            .iter()
            .all(|name| cells.next() == Some(name.as_bytes()))
            && cells.next().is_none()
    };
    matches(&rows::SUBSCRIPTION_HEADER)
        || matches(rows::SUBSCRIPTION_HEADER_WITHOUT_EXCEPTIONS)
        || matches(&rows::OBSERVATION_HEADER)
}

/// Makes a cell safe to open in a spreadsheet and to print on a terminal, quoted as needed.
pub(crate) fn cell(text: &str, delimiter: u8) -> String {
    let safe = neutralised(&super::printable(text, &['\t', '\n', '\r']), delimiter);
    // A `#` too: a reader told to skip comments (pandas `comment="#"`) ends an unquoted
    // cell there, and the rest of the row with it.
    let needs_quotes = safe.contains([',', ';', '\t', '"', '\n', '\r', '#'])
        || safe.contains(char::from(delimiter));
    if needs_quotes {
        format!("\"{}\"", safe.replace('"', "\"\""))
    } else {
        safe
    }
}

/// `text` with a `'` before every character that could start a formula where a spreadsheet
/// may start a cell: at the start, and after a separator of any locale (`,`, `;`, a tab,
/// the delimiter), a quote or a line break (spaces aside), so that no way of splitting the
/// text (an import without a text qualifier cuts a quoted cell at its line breaks too) leaves
/// a formula.
fn neutralised(text: &str, delimiter: u8) -> String {
    let mut safe = String::with_capacity(text.len() + 2);
    // At the start, and after a separator, quote or line break: is a formula possible here?
    let mut exposed = true;
    for c in text.chars() {
        if exposed && (!c.is_whitespace() || matches!(c, '\t' | '\r')) {
            if is_formula_start(c) {
                safe.push('\'');
            }
            exposed = false;
        }
        safe.push(c);
        if matches!(c, ',' | ';' | '\t' | '"' | '\n' | '\r') || c == char::from(delimiter) {
            exposed = true;
        }
    }
    safe
}

/// A `--csv-metadata` line as written: one physical line (line breaks and other control
/// characters replaced), starting with its `#` and never quoted, so that a reader skipping
/// comment lines (pandas `comment="#"`) skips it whole; neutralised like a cell, for a
/// spreadsheet that reads it as a row.
fn metadata_line(line: &str, delimiter: u8) -> String {
    neutralised(&super::printable(line, &[]), delimiter)
}

/// Characters that make a spreadsheet read a cell as a formula.
fn is_formula_start(c: char) -> bool {
    matches!(
        c,
        '=' | '+' | '-' | '@' | '\t' | '\r' | '\u{FF1D}' | '\u{FF0B}' | '\u{FF0D}' | '\u{FF20}'
    )
}

/// Whether `bytes` are a whole CSV report of this tool: its header ([`is_own_report`]), then
/// only records with as many cells as the header, to the last line, which ends with a new
/// line.
#[must_use]
pub fn is_whole_report(bytes: &[u8]) -> bool {
    let mut body = bytes;
    while body.starts_with(b"# ") || body.starts_with(b"\"# ") {
        let Some(end) = body.iter().position(|&b| b == b'\n') else {
            return false;
        };
        body = body.get(end + 1..).unwrap_or_default();
    }
    let header_name = |header: &[&str]| header.first().map_or(0, |first| first.len());
    let at = if body.starts_with(b"path") {
        header_name(&rows::OBSERVATION_HEADER)
    } else {
        header_name(&rows::SUBSCRIPTION_HEADER)
    };
    let Some(&delimiter) = body.get(at) else {
        return false;
    };
    body.ends_with(b"\n")
        && csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .from_reader(body)
            .byte_records()
            .all(|record| record.is_ok())
}

#[cfg(test)]
mod tests {
    use super::{cell, metadata_line};

    #[test]
    fn formula_cells_are_neutralised() {
        assert_eq!(
            cell("=HYPERLINK(\"http://x\")+1.json", b','),
            "\"'=HYPERLINK(\"\"http://x\"\")+1.json\""
        );
        for start in ["+1", "-1", "@SUM(A1)", "\tx", "\rx", "\u{FF1D}1+1", " =1"] {
            assert!(cell(start, b',').contains('\''), "{start:?}");
        }
        assert_eq!(cell("fixtures/a.json", b','), "fixtures/a.json");
    }

    #[test]
    fn separators_of_any_locale_are_quoted_and_what_follows_them_neutralised() {
        assert_eq!(
            cell("x;=cmd|' \\C calc'!A0;.txt", b','),
            "\"x;'=cmd|' \\C calc'!A0;.txt\""
        );
        assert_eq!(cell("a,-b", b';'), "\"a,'-b\"");
        assert_eq!(cell("a b", b' '), "\"a b\"");
    }

    #[test]
    fn every_line_of_a_cell_is_neutralised() {
        assert_eq!(cell("x\n=1+1.json", b','), "\"x\n'=1+1.json\"");
        assert_eq!(cell("x\r\n @SUM(A1)", b','), "\"x\r\n '@SUM(A1)\"");
        assert_eq!(cell("a|-1", b'|'), "\"a|'-1\"");
    }

    #[test]
    fn metadata_lines_are_unquoted_comments_on_one_line() {
        assert_eq!(
            metadata_line("# roots: a,=1+1 \"b\nc", b','),
            "# roots: a,'=1+1 \"b\u{fffd}c"
        );
    }

    #[test]
    fn a_cell_holding_a_comment_character_is_quoted() {
        assert_eq!(cell("ev/a#1.json", b','), "\"ev/a#1.json\"");
    }

    #[test]
    fn bidirectional_controls_are_shown() {
        assert_eq!(
            cell("good-\u{202e}nosj.dab", b','),
            "good-\\u{202e}nosj.dab"
        );
    }

    #[test]
    fn terminal_control_characters_are_replaced() {
        assert_eq!(cell("a\u{1b}[31mb", b','), "a\u{fffd}[31mb");
    }
}
