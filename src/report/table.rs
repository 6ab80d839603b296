//! `--format table`: the report for a person at a terminal. One aligned row per
//! subscription and check (`subscription`, `name` when the inventory gives any, `check`,
//! `verdict`, `flags`, `reason`), those outside the inventory in a block of their own, then
//! the observations no subscription holds, and the summary line last.
//!
//! Columns are aligned by display width (a wide character takes two columns). On a
//! terminal, verdicts are coloured (unless `NO_COLOR` is set, or `TERM=dumb`) and the last
//! column is cut with `…` to the terminal's width; written anywhere else the table is plain
//! text in full. It has no `-o` extension: `.txt` is what evidence is saved as, so a file
//! report in this format would be one more text file in an evidence folder (a table
//! redirected there is still recognised by its header and never read as evidence).
//! Every file-derived text is made printable, so no file name can drive the terminal.

use std::borrow::Cow;
use std::io::{self, IsTerminal, Write};
use std::sync::Arc;

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::rows::{self, ObservationRow, SubscriptionRow};
use super::{Flags, Render, Summary, Writer};
use crate::model::Report;
use crate::vocabulary::verdict::Verdict;

/// The table on standard output; `-o` never picks it.
pub const WRITER: Writer = Writer {
    name: "table",
    extensions: &[],
    build: |_: &Flags| Arc::new(Table::for_stdout()),
    is_own_report,
    is_whole_report,
};

/// The gap between columns.
const GAP: &str = "  ";

/// The fewest characters of the last column shown when it is cut to the terminal.
const LAST_COLUMN_MIN: usize = 30;

/// The width assumed for a terminal that does not tell its own.
const DEFAULT_TERMINAL_WIDTH: usize = 100;

/// The human table and how it is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Table {
    /// Colour the verdicts (ANSI SGR codes).
    pub colour: bool,
    /// Cut the last column so that a row fits this many columns; `None`: never cut.
    pub width: Option<usize>,
}

impl Table {
    /// The table as standard output calls for: coloured and cut to width on a terminal
    /// (colour unless `NO_COLOR` is set to anything but the empty string, or `TERM=dumb`;
    /// the width the terminal tells, else `COLUMNS`, else 100), plain and whole when
    /// standard output is a file or a pipe.
    #[must_use]
    pub fn for_stdout() -> Self {
        let stdout = io::stdout();
        if !stdout.is_terminal() {
            return Self::default();
        }
        let no_colour = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
            || std::env::var_os("TERM").is_some_and(|t| t == "dumb");
        let width = terminal_size::terminal_size_of(&stdout)
            .map(|(terminal_size::Width(w), _)| usize::from(w))
            .or_else(|| std::env::var("COLUMNS").ok()?.trim().parse().ok())
            .filter(|&w| w > 0)
            .unwrap_or(DEFAULT_TERMINAL_WIDTH);
        Self {
            colour: !no_colour,
            width: Some(width),
        }
    }
}

/// The header's column names, with and without `name`.
const HEADER: [&str; 6] = [
    "subscription",
    "name",
    "check",
    "verdict",
    "flags",
    "reason",
];
const UNATTRIBUTED_HEADER: [&str; 4] = ["path", "check", "outcome", "detail"];

impl Render for Table {
    fn render(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        // Two passes over the rows, each built as it is written: the first measures.
        let named = rows::subscriptions(report).any(|r| r.subscription_name.is_some());
        let header: Vec<&str> = HEADER
            .iter()
            .copied()
            .filter(|h| named || *h != "name")
            .collect();
        let mut widths: Vec<usize> = header.iter().map(|h| h.width()).collect();
        for row in rows::subscriptions(report) {
            widen(&mut widths, &subscription_cells(&row, named));
        }
        self.line(out, &widths, &header, None)?;
        let mut outside = false;
        for row in rows::subscriptions(report) {
            if row.in_inventory == Some(false) && !outside {
                outside = true;
                writeln!(out)?;
                writeln!(out, "not in the inventory (out of scope):")?;
            }
            let cells = subscription_cells(&row, named);
            let verdict = header.iter().position(|h| *h == "verdict");
            self.line(out, &widths, &cells, verdict.map(|i| (i, row.verdict)))?;
        }
        let unattributed = || rows::observations(report).filter(|o| o.subscription_id.is_none());
        if unattributed().next().is_some() {
            let mut widths: Vec<usize> = UNATTRIBUTED_HEADER.iter().map(|h| h.width()).collect();
            for row in unattributed() {
                widen(&mut widths, &observation_cells(&row));
            }
            writeln!(out)?;
            writeln!(out, "unattributed observations (no subscription):")?;
            self.line(out, &widths, &UNATTRIBUTED_HEADER, None)?;
            for row in unattributed() {
                self.line(out, &widths, &observation_cells(&row), None)?;
            }
        }
        writeln!(out)?;
        writeln!(out, "{}", Summary::of(report).line())
    }
}

impl Table {
    /// One row: every column but the last padded to its width, the last cut to the
    /// terminal when there is one; `verdict` names the column to colour.
    fn line<S: AsRef<str>>(
        &self,
        out: &mut dyn Write,
        widths: &[usize],
        cells: &[S],
        verdict: Option<(usize, Verdict)>,
    ) -> io::Result<()> {
        let mut used = 0;
        let last = cells.len().saturating_sub(1);
        let mut line = String::new();
        for (i, cell) in cells.iter().enumerate() {
            let cell = cell.as_ref();
            if i > 0 {
                line.push_str(GAP);
                used += GAP.len();
            }
            if i == last {
                let room = self
                    .width
                    .map(|w| w.saturating_sub(used).max(LAST_COLUMN_MIN));
                line.push_str(&cut(cell, room));
                break;
            }
            let width = widths.get(i).copied().unwrap_or(0);
            match verdict {
                Some((column, verdict)) if column == i && self.colour => {
                    line.push_str(colour_of(verdict));
                    line.push_str(cell);
                    line.push_str(RESET);
                }
                _ => line.push_str(cell),
            }
            line.extend(std::iter::repeat_n(' ', width.saturating_sub(cell.width())));
            used += width;
        }
        writeln!(out, "{}", line.trim_end())
    }
}

/// Widens `widths` to hold `cells` (the last column is never padded, so not measured).
fn widen<S: AsRef<str>>(widths: &mut [usize], cells: &[S]) {
    let measured = cells.len().saturating_sub(1);
    for (width, cell) in widths.iter_mut().zip(cells.iter().take(measured)) {
        *width = (*width).max(cell.as_ref().width());
    }
}

/// A subscription row's cells, in header order, each printable.
fn subscription_cells<'a>(row: &SubscriptionRow<'a>, named: bool) -> Vec<Cow<'a, str>> {
    let mut cells = vec![safe(row.subscription_id)];
    if named {
        cells.push(safe(row.subscription_name.unwrap_or_default()));
    }
    cells.extend([
        safe(row.check),
        Cow::Borrowed(row.verdict.as_str()),
        Cow::Owned(flags(row)),
        safe(row.reason),
    ]);
    cells
}

/// The flags, then the exception if any (`exception accepted until 2027-03-31`).
fn flags(row: &SubscriptionRow<'_>) -> String {
    let mut flags = row.flags.join(",");
    if let Some(applied) = row.exception {
        if !flags.is_empty() {
            flags.push_str(", ");
        }
        flags.push_str("exception ");
        flags.push_str(&applied.until());
    }
    flags
}

/// An unattributed observation's cells, each printable.
fn observation_cells<'a>(row: &ObservationRow<'a>) -> [Cow<'a, str>; 4] {
    [
        safe(row.path),
        safe(row.check),
        Cow::Borrowed(row.outcome.as_str()),
        safe(row.detail),
    ]
}

/// File-derived text without control characters (line breaks and tabs included: a cell
/// stays on its line and in its column).
fn safe(text: &str) -> Cow<'_, str> {
    super::printable(text, &[])
}

/// `text` within `room` columns, ending with `…` when cut; whole when `room` is `None`.
fn cut(text: &str, room: Option<usize>) -> Cow<'_, str> {
    let Some(room) = room else {
        return Cow::Borrowed(text);
    };
    if text.width() <= room {
        return Cow::Borrowed(text);
    }
    let mut kept = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > room {
            break;
        }
        kept.push(c);
        used += w;
    }
    kept.push('…');
    Cow::Owned(kept)
}

const RESET: &str = "\x1b[0m";

/// The colour of a verdict: green pass, red fail, magenta conflict, yellow no evidence.
fn colour_of(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Pass => "\x1b[32m",
        Verdict::Fail => "\x1b[1;31m",
        Verdict::Conflict => "\x1b[1;35m",
        Verdict::NoEvidence => "\x1b[33m",
    }
}

/// Whether `bytes` start with the header of a table this tool wrote.
#[must_use]
pub fn is_own_report(bytes: &[u8]) -> bool {
    // Every file a scan reads comes here: most are told apart by their first word alone.
    if !bytes.starts_with(b"subscription") {
        return false;
    }
    let head = bytes.get(..256).unwrap_or(bytes);
    let first = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let Ok(first) = std::str::from_utf8(first) else {
        return false;
    };
    let words: Vec<&str> = first.split_whitespace().collect();
    let without_name: Vec<&str> = HEADER.iter().copied().filter(|h| *h != "name").collect();
    words == HEADER || words == without_name
}

/// Whether `bytes` are a whole table of this tool: its header first ([`is_own_report`]),
/// and last the summary line every table ends with (`2 files read, 0 skipped; ...`).
#[must_use]
pub fn is_whole_report(bytes: &[u8]) -> bool {
    let last = bytes
        .strip_suffix(b"\n")
        .and_then(|body| body.rsplit(|&b| b == b'\n').next())
        .unwrap_or_default();
    let digits = last.iter().take_while(|b| b.is_ascii_digit()).count();
    digits > 0
        && last.get(digits..).is_some_and(|rest| {
            rest.starts_with(b" file read, ") || rest.starts_with(b" files read, ")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_column_is_cut_by_display_width() {
        assert_eq!(cut("abcdef", None), "abcdef");
        assert_eq!(cut("abcdef", Some(6)), "abcdef");
        assert_eq!(cut("abcdef", Some(4)), "abc…");
        // Wide characters take two columns each.
        assert_eq!(cut("日本語です", Some(6)), "日本…");
    }

    #[test]
    fn colour_wraps_the_verdict_and_padding_ignores_it() {
        let mut out = Vec::new();
        let table = Table {
            colour: true,
            width: None,
        };
        table
            .line(
                &mut out,
                &[4, 7, 0],
                &["ab", "fail", "why"],
                Some((1, Verdict::Fail)),
            )
            .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "ab    \u{1b}[1;31mfail\u{1b}[0m     why\n"
        );
    }

    #[test]
    fn wide_characters_are_aligned_by_columns() {
        let mut out = Vec::new();
        let table = Table::default();
        let widths = [4, 0];
        table.line(&mut out, &widths, &["日本", "x"], None).unwrap();
        table.line(&mut out, &widths, &["ab", "y"], None).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "日本  x\nab    y\n");
    }

    #[test]
    fn a_table_is_recognised_by_its_header_only() {
        assert!(is_own_report(
            b"subscription  check  verdict  flags  reason\n"
        ));
        assert!(is_own_report(
            b"subscription   name  check  verdict  flags  reason\r\nx"
        ));
        assert!(!is_own_report(b"Name   Enabled\n----   -------\n"));
        assert!(!is_own_report(b"subscription check\n"));
    }
}
