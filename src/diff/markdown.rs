//! `diff` as Markdown, for a ticket or an e-mail: the two reports, the counts, then one
//! table per kind of change, the ones that need action first, then the changes outside
//! the inventory in a section of their own. Unchanged rows are only counted. Every text from a report is escaped, so a file name cannot add markup.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::{Change, Comparison, Row, Side, Source};

/// The first line, by which a later scan knows the file for an output of this tool.
pub const TITLE: &str = "# Changes between two mdc-evidence scans";

/// Writes the summary.
///
/// # Errors
/// An I/O error from `out`.
pub fn render(comparison: &Comparison, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{TITLE}\n")?;
    for (label, source) in [("Old", &comparison.old), ("New", &comparison.new)] {
        writeln!(out, "- {label}: {}", heading(source))?;
    }
    writeln!(out)?;
    let verdict = if comparison.needs_action() {
        "**Needs action**: something regressed, is newly failing, lost its evidence, is gone, \
         appeared failing or changed verdict on the same evidence bytes"
    } else {
        "Nothing regressed, is newly failing, lost its evidence, is gone, appeared failing or \
         changed verdict on the same evidence bytes"
    };
    let scope = if !comparison.has_inventory() {
        ""
    } else if comparison.fail_on_out_of_scope {
        " (in the inventory or outside it: --fail-on-out-of-scope)"
    } else {
        " (in the inventory's scope)"
    };
    writeln!(out, "{verdict}{scope}.\n")?;
    writeln!(
        out,
        "Evidence and reason are the new report's; for a row that is gone, the old one's; \
         for a row whose new side names no file, the old side's files (`was`).\n"
    )?;
    if comparison.has_inventory() {
        writeln!(
            out,
            "Scope: a row is outside the inventory when the newest report with a row for it \
             (the new one, else the old one) says its subscription is not in the \
             inventory.\n"
        )?;
        writeln!(out, "| change | in scope | outside the inventory |")?;
        writeln!(out, "|---|---:|---:|")?;
        for ((change, n), (_, outside)) in comparison
            .counts()
            .into_iter()
            .zip(comparison.out_of_scope_counts())
        {
            writeln!(out, "| {} | {n} | {outside} |", change.as_str())?;
        }
    } else {
        writeln!(out, "| change | (subscription, check) pairs |")?;
        writeln!(out, "|---|---:|")?;
        for (change, n) in comparison.counts() {
            writeln!(out, "| {} | {n} |", change.as_str())?;
        }
    }
    for warning in &comparison.warnings {
        writeln!(out, "\n> Note: {}", text(warning))?;
    }
    for change in Change::ALL.into_iter().filter(|&c| c != Change::Unchanged) {
        let rows: Vec<&Row> = comparison
            .rows
            .iter()
            .filter(|r| r.change == change && !r.out_of_scope)
            .collect();
        if rows.is_empty() {
            continue;
        }
        writeln!(out, "\n## {} ({})\n", title(change), rows.len())?;
        table(&rows, false, comparison.has_inventory(), out)?;
    }
    let outside: Vec<&Row> = comparison
        .rows
        .iter()
        .filter(|r| r.out_of_scope && r.change != Change::Unchanged)
        .collect();
    if !outside.is_empty() {
        writeln!(out, "\n## Outside the inventory ({})\n", outside.len())?;
        writeln!(
            out,
            "{}\n",
            if comparison.fail_on_out_of_scope {
                "Changes of subscriptions the inventory does not list; with \
                 --fail-on-out-of-scope they count for the exit status."
            } else {
                "Changes of subscriptions the inventory does not list: they do not count for \
                 the exit status (--fail-on-out-of-scope counts them)."
            }
        )?;
        table(&outside, true, true, out)?;
    }
    Ok(())
}

/// One table of rows, with a `change` column when the rows are of several changes, and
/// the subscription's name and scope when a report was given an inventory.
fn table(rows: &[&Row], with_change: bool, scoped: bool, out: &mut dyn Write) -> io::Result<()> {
    let mut header = String::from("|");
    if with_change {
        header.push_str(" change |");
    }
    header.push_str(" subscription |");
    if scoped {
        header.push_str(" name | in inventory |");
    }
    header.push_str(" check | old | new | evidence | reason |");
    writeln!(out, "{header}")?;
    writeln!(out, "|{}", "---|".repeat(header.matches('|').count() - 1))?;
    for row in rows {
        // What the reader acts on: the newer side, or the old one for a gone row.
        let now = row.new.as_ref().or(row.old.as_ref());
        // A side with no file (evidence lost): the old side's files, which are gone.
        let evidence = match (now, row.old.as_ref()) {
            (Some(now), _) if !now.evidence.is_empty() => evidence(now),
            (_, Some(old)) if !old.evidence.is_empty() => format!("was {}", evidence(old)),
            _ => String::new(),
        };
        let mut line = String::from("|");
        if with_change {
            let _ = write!(line, " {} |", row.change.as_str());
        }
        let _ = write!(line, " {} |", text(&row.subscription_id));
        if scoped {
            let _ = write!(
                line,
                " {} | {} |",
                row.subscription_name
                    .as_deref()
                    .map(text)
                    .unwrap_or_default(),
                row.in_inventory
                    .map_or("—", |b| if b { "yes" } else { "no" }),
            );
        }
        let _ = write!(
            line,
            " {} | {} | {} | {evidence} | {} |",
            match &row.renamed_from {
                Some(was) => format!("{} (was {})", text(&row.check), text(was)),
                None => text(&row.check),
            },
            verdict_of(row.old.as_ref()),
            verdict_of(row.new.as_ref()),
            now.map(|s| text(&s.reason)).unwrap_or_default(),
        );
        writeln!(out, "{line}")?;
    }
    Ok(())
}

fn title(change: Change) -> &'static str {
    match change {
        Change::Regressed => "Regressed",
        Change::NewlyFailing => "Newly failing",
        Change::EvidenceLost => "Evidence lost",
        Change::Gone => "Gone",
        Change::Appeared => "Appeared",
        Change::Remediated => "Remediated",
        Change::Unchanged => "Unchanged",
    }
}

fn heading(source: &Source) -> String {
    format!(
        "{} (generated {}, schema_version {}, roots {})",
        text(&source.report),
        text(&source.generated_at),
        source.schema_version,
        text(&source.roots.join(", "))
    )
}

fn verdict_of(side: Option<&Side>) -> &'static str {
    side.map_or("—", |s| s.verdict.as_str())
}

/// The deciding file (else the first), with the first 12 hex digits of its SHA-256 and
/// how many other files there are.
fn evidence(side: &Side) -> String {
    let first = side
        .deciding_file
        .as_deref()
        .and_then(|d| side.evidence.iter().find(|e| e.path == d))
        .or_else(|| side.evidence.first());
    let Some(first) = first else {
        return String::new();
    };
    let mut shown = text(&first.path);
    if let Some(sha256) = &first.sha256 {
        let _ = write!(shown, " (sha256 {})", sha256.get(..12).unwrap_or(sha256));
    }
    let more = side.evidence.len() - 1;
    if more > 0 {
        let _ = write!(
            shown,
            " and {more} more {}",
            if more == 1 { "file" } else { "files" }
        );
    }
    shown
}

/// Text from a report as inert Markdown: control characters replaced, line breaks
/// flattened, and every character Markdown or HTML gives a meaning to escaped.
fn text(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in crate::escape::printable(raw, &[]).chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '!' | '~' | '&'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::text;

    #[test]
    fn report_text_cannot_add_markup() {
        assert_eq!(text("a|b"), "a\\|b");
        assert_eq!(text("<img src=x>"), "\\<img src=x\\>");
        assert_eq!(text("[x](javascript:1)"), "\\[x\\](javascript:1)");
        assert_eq!(text("line\nbreak"), "line\u{fffd}break");
        assert_eq!(text("sub/file.json"), "sub/file.json");
    }
}
