//! The CSV reports (RFC 4180): one row per subscription, or one per observation.
//!
//! Every cell is made safe for spreadsheets, whatever list separator the spreadsheet
//! assumes: a cell holding `,`, `;`, a tab, a quote or a line break is quoted (whatever the
//! delimiter); a cell whose first character, or the first character after a `,`, `;`, tab
//! or quote inside it (spaces aside), could start a formula (`=`, `+`, `-`, `@`, their
//! full-width forms `＝＋－＠`, a tab or a carriage return) gets a `'` before that character,
//! so a crafted file name or value can never become a formula. Other control characters
//! are replaced with U+FFFD so that nothing in a file name can drive a terminal. The JSON
//! report holds every text exactly.

use std::io::{self, Write};

use crate::config::{CsvOptions, Rows};
use crate::model::Report;

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

/// Whether `bytes` start with the header of a CSV report of this tool, in any delimiter.
#[must_use]
pub fn is_own_report(bytes: &[u8]) -> bool {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let first = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    let line = first.strip_suffix(b"\r").unwrap_or(first);
    let matches = |header: &[&str]| {
        let Some(delimiter) = header
            .first()
            .and_then(|first| line.get(first.len()))
            .copied()
        else {
            return false;
        };
        header
            .join(char::from(delimiter).encode_utf8(&mut [0; 4]))
            .as_bytes()
            == line
    };
    matches(&SUBSCRIPTION_HEADER) || matches(&OBSERVATION_HEADER)
}

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
    // Cells are quoted by `cell`, which quotes more than RFC 4180 needs (see above).
    let mut writer = ::csv::WriterBuilder::new()
        .delimiter(options.delimiter)
        .quote_style(::csv::QuoteStyle::Never)
        .terminator(::csv::Terminator::CRLF)
        .from_writer(out);
    match options.rows {
        Rows::Subscriptions => {
            writer.write_record(SUBSCRIPTION_HEADER)?;
            let cell = |text: &str| cell(text, options.delimiter);
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
                    .map(cell),
                )?;
            }
        }
        Rows::Observations => {
            writer.write_record(OBSERVATION_HEADER)?;
            let cell = |text: &str| cell(text, options.delimiter);
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
                    .map(cell),
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

/// Makes a cell safe to open in a spreadsheet and to print on a terminal, quoted as needed.
fn cell(text: &str, delimiter: u8) -> String {
    let text = super::printable(text, &['\t', '\n', '\r']);
    let mut safe = String::with_capacity(text.len() + 2);
    // At the start, and after a separator or quote: is a formula possible here?
    let mut exposed = true;
    for c in text.chars() {
        if exposed && (!c.is_whitespace() || matches!(c, '\t' | '\r')) {
            if is_formula_start(c) {
                safe.push('\'');
            }
            exposed = false;
        }
        safe.push(c);
        if matches!(c, ',' | ';' | '\t' | '"') {
            exposed = true;
        }
    }
    let needs_quotes =
        safe.contains([',', ';', '\t', '"', '\n', '\r']) || safe.contains(char::from(delimiter));
    if needs_quotes {
        format!("\"{}\"", safe.replace('"', "\"\""))
    } else {
        safe
    }
}

/// Characters that make a spreadsheet read a cell as a formula.
fn is_formula_start(c: char) -> bool {
    matches!(
        c,
        '=' | '+' | '-' | '@' | '\t' | '\r' | '\u{FF1D}' | '\u{FF0B}' | '\u{FF0D}' | '\u{FF20}'
    )
}

#[cfg(test)]
mod tests {
    use super::cell;

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
    fn terminal_control_characters_are_replaced() {
        assert_eq!(cell("a\u{1b}[31mb", b','), "a\u{fffd}[31mb");
    }
}
