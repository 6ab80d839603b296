//! The HTML report's tables, one section each: the subscriptions with the evidence behind
//! each verdict (and the exception applied, when a register was given), the unattributed
//! observations, every observation, and the skipped files. A row is written as it comes
//! from [`rows`].

use std::io::{self, Write};

use super::text::{FilePath, Text, text};
use crate::model::{FileRecord, Report};
use crate::report::rows::{self, ObservationRow, SubscriptionRow};
use crate::vocabulary::verdict::Verdict;

/// A sortable table's header row.
fn header(out: &mut dyn Write, names: &[&str]) -> io::Result<()> {
    write!(out, "<thead><tr>")?;
    for name in names {
        write!(
            out,
            "<th scope=\"col\"><button type=\"button\">{name}</button></th>"
        )?;
    }
    writeln!(out, "</tr></thead>\n<tbody>")
}

const SUBSCRIPTION_COLUMNS: [&str; 12] = [
    "subscription",
    "name",
    "check",
    "control",
    "verdict",
    "flags",
    "reason",
    "deciding file",
    "value",
    "location",
    "collected_at",
    "evidence files (sha256)",
];

pub(super) fn subscriptions(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    write!(
        out,
        "<section id=\"subscriptions\">\n<h2>Subscriptions</h2>\n\
         <div class=\"controls\">\
         <label>Filter <input type=\"search\" id=\"filter\" placeholder=\"subscription, name, file, reason...\"></label>\
         <label>Verdict <select id=\"verdict-filter\"><option value=\"\">all</option>"
    )?;
    for verdict in Verdict::ALL {
        write!(out, "<option>{}</option>", verdict.as_str())?;
    }
    writeln!(out, "</select></label><output id=\"shown\"></output></div>")?;
    writeln!(
        out,
        "<div class=\"scroll\"><table id=\"subscriptions-table\" class=\"sortable\">"
    )?;
    // The exception column only when a register was given.
    let mut columns = SUBSCRIPTION_COLUMNS.to_vec();
    if report.exceptions.is_some() {
        columns.insert(5, "exception");
    }
    header(out, &columns)?;
    for row in rows::subscriptions(report) {
        subscription_row(report, &row, out)?;
    }
    writeln!(out, "</tbody>\n</table></div>\n</section>")
}

fn subscription_row(
    report: &Report,
    row: &SubscriptionRow<'_>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let outside = row.in_inventory == Some(false);
    let verdict = row.verdict.as_str();
    write!(
        out,
        "<tr data-verdict=\"{verdict}\"{}><td><code>{}</code>",
        if outside {
            " class=\"out-of-scope\""
        } else {
            ""
        },
        Text(row.subscription_id)
    )?;
    if outside {
        write!(out, "<br><span class=\"badge out\">out of scope</span>")?;
    }
    write!(
        out,
        "</td><td>{}</td><td>{}</td><td>{}</td><td class=\"verdict {verdict}\">{verdict}</td><td>",
        text(row.subscription_name),
        Text(row.check),
        text(row.control),
    )?;
    if report.exceptions.is_some() {
        exception(row.exception, out)?;
        write!(out, "</td><td>")?;
    }
    for flag in &row.flags {
        write!(out, "<span class=\"badge\">{flag}</span>")?;
    }
    write!(
        out,
        "</td><td>{}</td><td><code>{}</code></td><td>{}</td><td><code>{}</code></td><td>{}</td><td><ul class=\"evidence\">",
        Text(row.reason),
        FilePath(row.deciding_file.unwrap_or_default()),
        text(row.deciding_value),
        text(row.deciding_location),
        text(row.collected_at.as_deref()),
    )?;
    for path in row.paths {
        evidence(report, row, path, out)?;
    }
    writeln!(out, "</ul></td></tr>")
}

/// The exceptions register's row for a subscription: whether it holds, until when, who
/// approved it, the ticket and the justification, all as text.
fn exception(applied: Option<&crate::register::Applied>, out: &mut dyn Write) -> io::Result<()> {
    let Some(applied) = applied else {
        return Ok(());
    };
    let e = &applied.exception;
    write!(
        out,
        "<span class=\"badge exception {status}\">{status}</span> {} {}<br>approved by {}",
        applied.status.preposition(),
        e.expires,
        Text(&e.approved_by),
        status = applied.status.as_str(),
    )?;
    if let Some(ticket) = &e.ticket {
        write!(out, " (<code>{}</code>)", Text(ticket))?;
    }
    write!(out, "<br>{}", Text(&e.justification))
}

/// One file behind a subscription's verdict: what it says, where, and its SHA-256.
fn evidence(
    report: &Report,
    row: &SubscriptionRow<'_>,
    path: &str,
    out: &mut dyn Write,
) -> io::Result<()> {
    let file = report
        .files
        .binary_search_by(|f| f.path.as_str().cmp(path))
        .ok()
        .and_then(|i| report.files.get(i))
        .or_else(|| report.files.iter().find(|f| f.path == path));
    let evaluated = file.and_then(FileRecord::evaluated);
    let observation = evaluated.and_then(|e| {
        e.observations.iter().find(|o| {
            o.check.id == row.check
                && o.subscription
                    .as_ref()
                    .map(crate::subscription::SubscriptionId::as_str)
                    == Some(row.subscription_id)
        })
    });
    write!(out, "<li><code>{}</code>", FilePath(path))?;
    if let Some(o) = observation {
        write!(out, " <span class=\"badge\">{}</span>", o.outcome.as_str())?;
        if let Some(location) = &o.location {
            write!(out, " at <code>{}</code>", Text(&location.to_string()))?;
        }
    }
    if let Some(e) = evaluated {
        write!(
            out,
            "<br><span class=\"sha mono\">sha256 {}</span>",
            Text(&e.sha256)
        )?;
    }
    write!(out, "</li>")
}

pub(super) fn unattributed(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let rows = || rows::observations(report).filter(|o| o.subscription_id.is_none());
    writeln!(
        out,
        "<section id=\"unattributed\">\n<h2>Unattributed observations</h2>\n\
         <p class=\"muted\">Files that said something, but neither their content nor their path names a subscription.</p>"
    )?;
    if rows().next().is_none() {
        return writeln!(out, "<p>None.</p>\n</section>");
    }
    writeln!(out, "<div class=\"scroll\"><table class=\"sortable\">")?;
    header(
        out,
        &[
            "path", "check", "control", "outcome", "location", "detail", "sha256",
        ],
    )?;
    for row in rows() {
        writeln!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td class=\"mono\">{}</td></tr>",
            FilePath(row.path),
            Text(row.check),
            text(row.control),
            row.outcome.as_str(),
            text(row.location.as_deref()),
            Text(row.detail),
            Text(row.sha256),
        )?;
    }
    writeln!(out, "</tbody>\n</table></div>\n</section>")
}

const OBSERVATION_COLUMNS: [&str; 11] = [
    "path",
    "format",
    "subscription",
    "check",
    "control",
    "outcome",
    "location",
    "detail",
    "sha256",
    "size",
    "collected_at",
];

pub(super) fn observations(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "<section id=\"observations\">\n<h2>Observations</h2>\n\
         <p class=\"muted\">One per file, subscription and check.</p>\n<div class=\"scroll\"><table class=\"sortable\">"
    )?;
    header(out, &OBSERVATION_COLUMNS)?;
    for row in rows::observations(report) {
        observation_row(&row, out)?;
    }
    writeln!(out, "</tbody>\n</table></div>\n</section>")
}

fn observation_row(row: &ObservationRow<'_>, out: &mut dyn Write) -> io::Result<()> {
    write!(out, "<tr><td><code>{}</code>", FilePath(row.path))?;
    if let Some(first) = row.duplicate_of {
        write!(
            out,
            "<br><span class=\"muted\">copy of <code>{}</code></span>",
            FilePath(first)
        )?;
    }
    write!(
        out,
        "</td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td class=\"mono\">{}</td><td>{}</td><td>{}",
        row.format,
        text(row.subscription_id),
        Text(row.check),
        text(row.control),
        row.outcome.as_str(),
        text(row.location.as_deref()),
        Text(row.detail),
        Text(row.sha256),
        row.size,
        text(row.collected_at.as_deref()),
    )?;
    if let Some(from) = row.collected_from {
        write!(out, "<br><span class=\"muted\">{from}</span>")?;
    }
    if let Some(by) = row.collected_by {
        write!(out, "<br><span class=\"muted\">by {}</span>", Text(by))?;
    }
    writeln!(out, "</td></tr>")
}

pub(super) fn skipped(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let rows = || rows::files(report).filter(|f| f.status == "skipped");
    writeln!(out, "<section id=\"skipped\">\n<h2>Skipped files</h2>")?;
    if rows().next().is_none() {
        return writeln!(out, "<p>None: every file was read.</p>\n</section>");
    }
    writeln!(out, "<div class=\"scroll\"><table class=\"sortable\">")?;
    header(out, &["path", "kind", "reason"])?;
    for row in rows() {
        writeln!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
            FilePath(row.path),
            row.kind,
            text(row.reason.as_deref()),
        )?;
    }
    writeln!(out, "</tbody>\n</table></div>\n</section>")
}
