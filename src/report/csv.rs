//! The CSV reports (RFC 4180): one row per subscription, or one per observation.
//!
//! Every cell is made safe for spreadsheets: a cell starting with `=`, `+`, `-`, `@`, a tab
//! or a carriage return is prefixed with `'`, so a crafted file name or value can never
//! become a formula; other control characters are replaced with U+FFFD so that nothing in a
//! file name can drive a terminal.

use std::borrow::Cow;
use std::io::{self, Write};

use crate::Report;
use crate::config::{CsvOptions, Rows};

const SUBSCRIPTION_HEADER: [&str; 6] = [
    "subscription_id",
    "verdict",
    "reason",
    "in_inventory",
    "files",
    "paths",
];

const OBSERVATION_HEADER: [&str; 11] = [
    "path",
    "format",
    "subscription_id",
    "subscription_source",
    "outcome",
    "enabled",
    "location",
    "detail",
    "sha256",
    "size",
    "duplicate_of",
];

/// Writes the CSV report chosen by `options.rows`.
///
/// # Errors
/// An I/O error if the CSV writer fails.
pub fn render(report: &Report, options: CsvOptions, out: &mut dyn Write) -> io::Result<()> {
    write_rows(report, options, out).map_err(|e| match e.into_kind() {
        // Keep an I/O error's kind (a closed pipe stays `BrokenPipe`).
        ::csv::ErrorKind::Io(io) => io,
        other => io::Error::other(format!("{other:?}")),
    })
}

fn write_rows(report: &Report, options: CsvOptions, out: &mut dyn Write) -> ::csv::Result<()> {
    if options.bom {
        out.write_all(b"\xEF\xBB\xBF")?;
    }
    let mut writer = ::csv::WriterBuilder::new()
        .delimiter(options.delimiter)
        .terminator(::csv::Terminator::CRLF)
        .from_writer(out);
    match options.rows {
        Rows::Subscriptions => {
            writer.write_record(SUBSCRIPTION_HEADER)?;
            for s in &report.subscriptions {
                let files = s.paths.len().to_string();
                let paths = s.paths.join("; ");
                let in_inventory = s.in_inventory.map_or("", bool_text);
                writer.write_record(
                    [
                        s.subscription.as_str(),
                        s.verdict.as_str(),
                        &s.reason,
                        in_inventory,
                        &files,
                        &paths,
                    ]
                    .map(|c| cell(c).into_owned()),
                )?;
            }
        }
        Rows::Observations => {
            writer.write_record(OBSERVATION_HEADER)?;
            for (file, evaluated, o) in report.observations() {
                let location = o
                    .location
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default();
                let size = evaluated.size.to_string();
                writer.write_record(
                    [
                        file.path.as_str(),
                        evaluated.format.as_str(),
                        o.subscription.as_ref().map_or("", |s| s.as_str()),
                        o.source.map_or("", |s| s.as_str()),
                        o.outcome.as_str(),
                        o.enabled.map_or("", bool_text),
                        &location,
                        &o.detail,
                        &evaluated.sha256,
                        &size,
                        evaluated.duplicate_of.as_deref().unwrap_or_default(),
                    ]
                    .map(|c| cell(c).into_owned()),
                )?;
            }
        }
    }
    writer.flush()?;
    Ok(())
}

fn bool_text(value: bool) -> &'static str {
    if value { "true" } else { "false" }
}

/// Makes a cell safe to open in a spreadsheet and to print on a terminal.
fn cell(text: &str) -> Cow<'_, str> {
    let text = super::printable(text, &['\t', '\n', '\r']);
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        return Cow::Owned(format!("'{text}"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn formula_cells_are_neutralised() {
        assert_eq!(
            cell("=HYPERLINK(\"http://x\")+1.json"),
            "'=HYPERLINK(\"http://x\")+1.json"
        );
        for start in ["+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert!(cell(start).starts_with('\''), "{start:?}");
        }
        assert_eq!(cell("fixtures/a.json"), "fixtures/a.json");
    }

    #[test]
    fn terminal_control_characters_are_replaced() {
        assert_eq!(cell("a\u{1b}[31mb"), "a\u{fffd}[31mb");
    }
}
