//! Recognising this tool's own outputs among the evidence: every report format (each
//! writer knows its own, [`crate::report::Writer`]) and the outputs of `diff`. A scan leaves
//! a whole earlier report unread; `verify` and the command line ask the same question.
//! It stands above both `report` and `diff`, which know nothing of each other.

/// Whether `bytes` are a report this tool wrote (any format, or an output of `diff`; whole
/// or cut short by an interrupted run): such files under a root are never read as evidence.
#[must_use]
pub fn is_own_report(bytes: &[u8]) -> bool {
    // A byte order mark (CSV written for Excel, or added by an editor) is looked past here,
    // once for every format.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    crate::report::WRITERS
        .iter()
        .any(|w| (w.is_own_report)(bytes))
        || crate::diff::is_own_output(bytes)
}

/// Whether `bytes` are a whole report this tool wrote (any format, or an output of `diff`),
/// recognised strictly: a scan leaves such a file unread as an earlier report, and reads a
/// file that only starts like one (or was cut short) as evidence like any other.
#[must_use]
pub fn is_whole_report(bytes: &[u8]) -> bool {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    crate::report::WRITERS
        .iter()
        .any(|w| (w.is_own_report)(bytes) && (w.is_whole_report)(bytes))
        || (crate::diff::is_own_output(bytes) && is_whole_diff_output(bytes))
}

/// Whether `bytes`, which start like a CSV or Markdown output of `diff`, are one whole: the
/// CSV's records all as long as its header, to a last line ending with a new line; every
/// line of the Markdown one of the lines `diff` writes, each table row starting with a
/// change, a subscription id or a header cell.
fn is_whole_diff_output(bytes: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return false;
    };
    if !text.ends_with('\n') {
        return false;
    }
    if !text.starts_with(crate::diff::markdown::TITLE) {
        return ::csv::ReaderBuilder::new()
            .from_reader(bytes)
            .byte_records()
            .all(|record| record.is_ok());
    }
    let first_cell_is_known = |line: &str| {
        let first = line
            .trim_start_matches('|')
            .split('|')
            .next()
            .unwrap_or_default()
            .trim();
        first.starts_with("---")
            || first == "change"
            || first == "subscription"
            || crate::diff::Change::ALL.iter().any(|c| c.as_str() == first)
            || crate::subscription::SubscriptionId::parse(first).is_some()
    };
    text.lines().all(|line| {
        line.is_empty()
            || line == crate::diff::markdown::TITLE
            || line.starts_with("- Old: ")
            || line.starts_with("- New: ")
            || line.starts_with("**Needs action**: ")
            || line.starts_with("Nothing regressed, ")
            || line.starts_with("Evidence and reason are ")
            || line.starts_with("Scope: a row is outside the inventory ")
            || line.starts_with("Changes of subscriptions the inventory does not list")
            || line.starts_with("> Note: ")
            || line.starts_with("## ")
            || (line.starts_with('|') && line.ends_with('|') && first_cell_is_known(line))
    })
}
