//! Console text: PowerShell `Format-Table` and `Format-List` output, az CLI `-o table`, and
//! PowerShell `Start-Transcript` files, which hold the same output after a banner and the
//! prompt of each command.
//!
//! Every settings table, every settings list block and an error record anywhere in the text
//! are read together, so a file holding a table and a list, or an error and then a table,
//! loses nothing. A file with no settings but an error record is error text.

use super::lines::Line;
use super::{
    Body, Extent, Format, Item, Parsed, Parser, Reason, Text, context, error_text, list, table,
};

/// PowerShell `Format-Table` console text.
pub const POWERSHELL_TABLE: Format = Format::new("powershell-table");
/// PowerShell `Format-List` console text.
pub const POWERSHELL_LIST: Format = Format::new("powershell-list");
/// A PowerShell `Start-Transcript` file holding a table, a list or an error.
pub const POWERSHELL_TRANSCRIPT: Format = Format::new("powershell-transcript");
/// az CLI `-o table`.
pub const AZCLI_TABLE: Format = Format::new("azcli-table");

/// Console text: tables, lists, transcripts, and error text.
pub const PARSER: Parser = Parser {
    family: "console",
    formats: &[
        POWERSHELL_TABLE,
        POWERSHELL_LIST,
        POWERSHELL_TRANSCRIPT,
        AZCLI_TABLE,
        error_text::AZCLI_ERROR,
        error_text::POWERSHELL_ERROR,
        Format::TEXT,
    ],
    parse: |input: &Text<'_>| parse(input.lines()).map(|parsed| with_json_after(parsed, input)),
};

/// Error text with JSON after it (a loop's `2>&1`: an error for one subscription, then the
/// listing of the next): the error records and the JSON documents, in the order of the
/// text, each document located `line N#<pointer>` (N, the line it starts on).
fn with_json_after(parsed: Parsed, input: &Text<'_>) -> Parsed {
    let is_error_text =
        parsed.format == error_text::AZCLI_ERROR || parsed.format == error_text::POWERSHELL_ERROR;
    let lines = input.lines();
    if !is_error_text
        || !lines
            .iter()
            .any(|l| super::json::is_json_start(l.text.trim_start()))
    {
        return parsed;
    }
    // Read again segment by segment, so that no error record runs into the JSON after it.
    let after = super::after_text(input.text(), lines, 0, 0);
    Parsed::new(parsed.format, Body::Items(after.items))
}

/// Parses console text; `None` when it holds no settings, no error and is no transcript.
#[must_use]
pub fn parse(lines: &[Line<'_>]) -> Option<Parsed> {
    let transcript = is_transcript(lines);
    let lists = match list::listings(lines) {
        Ok(lists) => lists,
        Err(why) => {
            let format = if transcript {
                POWERSHELL_TRANSCRIPT
            } else {
                POWERSHELL_LIST
            };
            return Some(Parsed::new(format, Body::Malformed(why)));
        }
    };
    let tables = match table::settings(lines) {
        Ok(tables) => tables,
        Err(why) => {
            let format = if transcript {
                POWERSHELL_TRANSCRIPT
            } else {
                POWERSHELL_TABLE
            };
            return Some(Parsed::new(format, Body::Malformed(why)));
        }
    };
    let has_kind = tables.iter().any(|t| t.has_kind);
    let from_tables = !tables.is_empty();
    // Each table, and each Format-List output, is its own listing: a second command's
    // output is not part of the first one's list.
    let listings: Vec<Vec<_>> = tables
        .into_iter()
        .map(|t| t.settings)
        .chain(lists)
        .collect();
    if listings.is_empty() && !transcript {
        return error_text::parse(lines);
    }
    let format = match (transcript, from_tables, has_kind) {
        (true, _, _) => POWERSHELL_TRANSCRIPT,
        (false, true, true) => AZCLI_TABLE,
        (false, true, false) => POWERSHELL_TABLE,
        (false, false, _) if !listings.is_empty() => POWERSHELL_LIST,
        (false, false, _) => Format::TEXT,
    };
    // The prompts, once: each listing looks up the last one before it.
    let prompts: Vec<&Line<'_>> = lines.iter().filter(|l| table::is_prompt(l.text)).collect();
    let mut items: Vec<Item> = listings
        .into_iter()
        .map(|settings| {
            // The command that printed it, when the text shows it, may have filtered it.
            let start = settings
                .first()
                .and_then(|s| s.location.line())
                .unwrap_or(0);
            let extent = if command_before(&prompts, start).is_some_and(filters) {
                Extent::Filtered
            } else {
                Extent::Listing
            };
            Item::Settings { extent, settings }
        })
        .collect();
    items.extend(error_text::find(lines));
    if items.is_empty() {
        return Some(Parsed::new(
            format,
            Body::Unrecognized(Reason::TranscriptWithoutEvidence),
        ));
    }
    // In the order of the text: a context switch applies to what follows it.
    items.extend(context::find(lines));
    items.sort_by_key(first_line);
    Some(Parsed::new(format, Body::Items(items)))
}

/// The command typed at the last prompt before line `number`, if the text shows one;
/// `prompts` are the text's prompt lines, in order. A binary search, not a walk from the
/// start of the text per listing (quadratic in a file of many tables).
fn command_before<'a>(prompts: &[&Line<'a>], number: usize) -> Option<&'a str> {
    let before = prompts.partition_point(|l| l.number < number);
    prompts.get(before.checked_sub(1)?).map(|l| {
        let text = l.text.trim_start();
        text.find("> ")
            .map_or(text, |at| text.get(at + 2..).unwrap_or_default())
    })
}

/// Whether a command filters what it prints, so that its output is never a whole list:
/// `Where-Object` (or `?`, `where`), `Select-Object -First/-Last/-Skip/-Index`,
/// `Select-String`, `findstr`, `grep`, `head`, `tail`, an az `--query` with a filter
/// (`[?...]`, `[0]`), `jq select(...)`.
pub fn filters(command: &str) -> bool {
    let lower = command.to_ascii_lowercase();
    let stages: Vec<&str> = lower.split('|').skip(1).map(str::trim).collect();
    let stage_filters = stages.iter().any(|stage| {
        let verb = stage.split_whitespace().next().unwrap_or_default();
        matches!(
            verb,
            "where-object"
                | "where"
                | "?"
                | "select-string"
                | "sls"
                | "findstr"
                | "grep"
                | "head"
                | "tail"
        ) || verb.starts_with("?{")
            || ((verb == "select-object" || verb == "select")
                && ["-first", "-last", "-skip", "-index"]
                    .iter()
                    .any(|flag| stage.contains(flag)))
            || (verb == "jq" && stage.contains("select("))
    });
    let query_filters =
        lower.contains("--query") && (lower.contains("[?") || lower.contains("[0]"));
    stage_filters || query_filters || lower.starts_with("jq ") && lower.contains("select(")
}

/// The line an item starts at.
fn first_line(item: &Item) -> usize {
    let location = match item {
        Item::Settings { settings, .. } => settings.first().map(|s| &s.location),
        Item::Scalar { location, .. }
        | Item::CollectionError { location, .. }
        | Item::Context { location, .. } => Some(location),
    };
    location.and_then(super::Location::line).unwrap_or(0)
}

/// Whether the text is a PowerShell transcript (its banner says so).
fn is_transcript(lines: &[Line<'_>]) -> bool {
    lines
        .iter()
        .take(40)
        .any(|l| l.text.contains("PowerShell transcript start"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::lines::numbered;

    fn items(text: &str) -> (Format, Vec<Item>) {
        let parsed = parse(&numbered(text)).unwrap();
        match parsed.body {
            Body::Items(items) => (parsed.format, items),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_error_before_a_table_loses_neither() {
        let (format, items) = items(
            "Get-AzSecuritySetting : Operation returned an invalid status code 'Forbidden'\n\n\
             Name  Enabled\n----  -------\nWDATP   False\n",
        );
        assert_eq!(format, POWERSHELL_TABLE);
        assert!(matches!(
            items.as_slice(),
            [Item::CollectionError { .. }, Item::Settings { .. }]
        ));
    }

    #[test]
    fn a_table_and_a_list_in_one_file_are_both_read() {
        let (_, items) = items(
            "Name  Enabled\n----  -------\nMCAS     True\n\nEnabled : False\nName    : WDATP\n",
        );
        assert!(
            matches!(
                items.as_slice(),
                [Item::Settings { .. }, Item::Settings { .. }]
            ),
            "{items:?}"
        );
    }
}
