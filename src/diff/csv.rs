//! `diff` as CSV: one row per (subscription, check), its name and scope, the old side
//! then the new. Cells are
//! neutralised like the scan's CSV report (no formula runs in a spreadsheet).

use std::io::{self, Write};

use super::{Comparison, Side};

/// The columns, in order.
pub const HEADER: [&str; 14] = [
    "subscription_id",
    "subscription_name",
    "in_inventory",
    "out_of_scope",
    "check",
    "change",
    "old_verdict",
    "new_verdict",
    "old_reason",
    "new_reason",
    "old_deciding_file",
    "new_deciding_file",
    "old_evidence",
    "new_evidence",
];

/// The header of earlier versions, still known for an output of this tool.
pub const EARLIER_HEADER: [&str; 11] = [
    "subscription_id",
    "check",
    "change",
    "old_verdict",
    "new_verdict",
    "old_reason",
    "new_reason",
    "old_deciding_file",
    "new_deciding_file",
    "old_evidence",
    "new_evidence",
];

/// Writes the comparison as CSV (RFC 4180, CRLF line ends).
///
/// # Errors
/// An I/O error from `out`.
pub fn render(comparison: &Comparison, out: &mut dyn Write) -> io::Result<()> {
    let mut writer = ::csv::WriterBuilder::new()
        .quote_style(::csv::QuoteStyle::Never)
        .terminator(::csv::Terminator::CRLF)
        .from_writer(out);
    let cell = |text: &str| crate::report::csv::cell(text, b',');
    writer.write_record(HEADER).map_err(io_error)?;
    for row in &comparison.rows {
        let side = |side: &Option<Side>, field: fn(&Side) -> String| {
            side.as_ref().map(field).unwrap_or_default()
        };
        writer
            .write_record([
                cell(&row.subscription_id),
                cell(row.subscription_name.as_deref().unwrap_or_default()),
                row.in_inventory.map(|b| b.to_string()).unwrap_or_default(),
                row.out_of_scope.to_string(),
                cell(&row.check),
                row.change.as_str().to_owned(),
                side(&row.old, |s| s.verdict.as_str().to_owned()),
                side(&row.new, |s| s.verdict.as_str().to_owned()),
                cell(&side(&row.old, |s| s.reason.clone())),
                cell(&side(&row.new, |s| s.reason.clone())),
                cell(&side(&row.old, |s| {
                    s.deciding_file.clone().unwrap_or_default()
                })),
                cell(&side(&row.new, |s| {
                    s.deciding_file.clone().unwrap_or_default()
                })),
                cell(&side(&row.old, evidence)),
                cell(&side(&row.new, evidence)),
            ])
            .map_err(io_error)?;
    }
    writer.flush()
}

/// The files behind one side: `path (sha256 HEX)`, separated by `; `.
fn evidence(side: &Side) -> String {
    side.evidence
        .iter()
        .map(|e| match &e.sha256 {
            Some(sha256) => format!("{} (sha256 {sha256})", e.path),
            None => format!("{} (not read)", e.path),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn io_error(error: ::csv::Error) -> io::Error {
    match error.into_kind() {
        ::csv::ErrorKind::Io(io) => io,
        other => io::Error::other(format!("{other:?}")),
    }
}
