//! Shape detection and one parser per input family.
//!
//! [`parse`] looks at a decoded file once, decides which family it belongs to, and hands it
//! to that family's parser. Every parser returns the same neutral description of what the
//! file holds ([`Parsed`]): the settings it lists, a bare value, a record of a failed
//! collection, or why it cannot be used. Parsers never decide an outcome and never look at
//! the file's path: that is `evaluate`'s job.

pub mod binary;
pub mod clixml;
pub mod console;
pub mod context;
pub mod dates;
pub mod error_text;
pub mod http;
pub mod json;
pub mod lines;
pub mod list;
pub mod powershell_csv;
pub mod query_tsv;
pub mod reason;
pub mod scalar;
pub mod table;
pub mod text;
pub mod tsv;
pub mod yaml;

use std::fmt;

pub use reason::Reason;

use crate::subscription::IdScope;

/// The ARM resource type of Defender for Cloud settings.
pub(crate) const SETTINGS_TYPE: &str = "Microsoft.Security/settings";

/// Whether a resource id names a Defender for Cloud setting (any case).
pub(crate) fn is_settings_id(id: &str) -> bool {
    crate::subscription::find_ascii_case_insensitive(id, "/providers/Microsoft.Security/settings/")
        .is_some()
}

/// The shape a file was recognised as; reported as `format`. Each parser file names the
/// formats it reports with constants of its own (`json::REST_LIST`, `tsv::AZCLI_TSV`, ...);
/// the ones every family may fall back to are here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Format(&'static str);

impl Format {
    /// A format named as reports show it (kebab-case).
    #[must_use]
    pub const fn new(name: &'static str) -> Self {
        Self(name)
    }

    /// The name used in reports.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        self.0
    }

    /// JSON that could not be read, or that holds no known shape.
    pub const JSON: Self = Self::new("json");
    /// An empty file (only whitespace).
    pub const EMPTY: Self = Self::new("empty");
    /// Text in no known shape.
    pub const TEXT: Self = Self::new("text");
    /// Bytes that could not be decoded as text.
    pub const BINARY: Self = Self::new("binary");
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// A decoded file as every parser sees it: its text, where its content starts (leading
/// blank lines and a BOM skipped), and its numbered lines, split once on first use.
#[derive(Debug)]
pub struct Text<'a> {
    whole: &'a str,
    start: &'a str,
    lines: std::sync::OnceLock<Vec<lines::Line<'a>>>,
}

impl<'a> Text<'a> {
    /// A decoded file's text.
    #[must_use]
    pub fn new(text: &'a str) -> Self {
        Self {
            whole: text,
            start: text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']),
            lines: std::sync::OnceLock::new(),
        }
    }

    /// The whole text.
    #[must_use]
    pub fn text(&self) -> &'a str {
        self.whole
    }

    /// The text from its first character that is not blank.
    #[must_use]
    pub fn start(&self) -> &'a str {
        self.start
    }

    /// The text's lines, numbered from 1.
    #[must_use]
    pub fn lines(&self) -> &[lines::Line<'a>] {
        self.lines.get_or_init(|| lines::numbered(self.whole))
    }
}

/// One family of evidence shapes: the formats it reports, and its parser, which reads a
/// file of the family or answers `None` when the text is not of it.
#[derive(Debug)]
pub struct Parser {
    /// The family's name, for messages and tests.
    pub family: &'static str,
    /// Every format the parser can report.
    pub formats: &'static [Format],
    /// Reads a file of the family; `None` when the text is not of it.
    pub parse: fn(&Text<'_>) -> Option<Parsed>,
}

/// Every parser, in the order they are tried: the first that recognises a file reads it.
/// A new evidence shape is one new file in `formats/` and one entry here.
pub const PARSERS: &[Parser] = &[
    text::EMPTY_PARSER,
    http::PARSER,
    json::PARSER,
    clixml::PARSER,
    yaml::PARSER,
    scalar::PARSER,
    powershell_csv::PARSER,
    tsv::PARSER,
    query_tsv::PARSER,
    console::PARSER,
    text::TEXT_PARSER,
];

/// Where in a file a value was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A JSON pointer into the decoded document (RFC 6901).
    Pointer(String),
    /// A 1-based line number in the decoded text.
    Line(usize),
}

impl Location {
    /// The line number, for a location in text.
    #[must_use]
    pub fn line(&self) -> Option<usize> {
        match self {
            Self::Line(n) => Some(*n),
            Self::Pointer(_) => None,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Pointer(p) => f.write_str(p),
            Self::Line(n) => write!(f, "line {n}"),
        }
    }
}

/// A setting's `enabled` value as the file wrote it; `evaluate` decides what it means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Flag {
    /// A JSON boolean.
    Bool(bool),
    /// Text: a JSON string, or a cell of a table, CSV or TSV.
    Text(String),
    /// JSON `null`.
    Null,
    /// No value at all.
    Missing,
    /// A value of another kind (`a number`, `an array`, `an object`).
    Other(&'static str),
}

impl Flag {
    /// The value of a text cell (a table, list, CSV or TSV cell): `Missing` when it is
    /// absent or blank, else its text, trimmed.
    #[must_use]
    pub fn from_cell(cell: Option<&str>) -> Self {
        match cell.map(str::trim) {
            Some(text) if !text.is_empty() => Self::Text(text.to_owned()),
            _ => Self::Missing,
        }
    }
}

/// One setting as an export lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    /// The setting's name (`WDATP`, `MCAS`, ...), when the file gives one.
    pub name: Option<String>,
    /// The resource id, when the file gives one.
    pub id: Option<String>,
    /// The subscription a `SubscriptionId` column or field names for this row, if any.
    pub subscription: Option<String>,
    /// The `enabled` value.
    pub enabled: Flag,
    /// Where `enabled` is (or, when it is missing, the setting itself).
    pub location: Location,
    /// How the value was recovered when it was not written plainly.
    pub recovered: Option<&'static str>,
}

/// How much of a subscription's settings a batch of settings is known to hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extent {
    /// A whole settings list: a setting missing from it is absent.
    Complete,
    /// One page of a paged list (`nextLink` set): a missing setting may be on another page.
    Page,
    /// One setting fetched by name: says nothing about the others.
    Single,
    /// An export that is complete when it holds several settings of a subscription, and one
    /// fetched or filtered setting when it holds one: arrays, jq streams, console tables and
    /// lists, CSV and TSV (PowerShell writes one result as a bare object or one row).
    Listing,
    /// The output of a command that filters (`Where-Object`, `Select-Object -First`, a
    /// `--query` filter, `jq select(...)`): never a whole list, whatever it holds.
    Filtered,
}

/// One thing a file holds. A file may hold several (appended outputs, mixed subscriptions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// Settings read from one export document.
    Settings {
        extent: Extent,
        settings: Vec<Setting>,
    },
    /// The bare value of WDATP's `enabled`, without a name (the CIS one-liner's output).
    Scalar { value: Flag, location: Location },
    /// A switch of the subscription later commands run against (`Set-AzContext`): entries
    /// without ids that follow belong to it.
    Context {
        /// The subscription switched to (`Redacted` with the text when named otherwise).
        scope: IdScope,
        location: Location,
    },
    /// A record of a collection that failed: an error body or error text.
    CollectionError {
        /// One line saying what failed (`AuthorizationFailed: The client ...`).
        summary: String,
        /// The subscription the error names as its scope, if any.
        scope: IdScope,
        location: Location,
    },
}

/// What a file holds, or why it cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// Evidence, in one or more items.
    Items(Vec<Item>),
    /// The file is in a known family but cannot be read to a value.
    Malformed(Reason),
    /// The file is readable but is not evidence in any known shape.
    Unrecognized(Reason),
    /// The file is empty: the CIS one-liner prints nothing when its call failed.
    Empty,
}

/// A parsed file: its shape and what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    /// The detected shape.
    pub format: Format,
    /// What the file holds.
    pub body: Body,
    /// How the whole file was read, when every observation of it must say so (JSON with
    /// comments: the comments were ignored).
    pub note: Option<&'static str>,
}

impl Parsed {
    pub(crate) fn new(format: Format, body: Body) -> Self {
        Self {
            format,
            body,
            note: None,
        }
    }
}

/// Detects the shape of a decoded file and parses it with the first parser of [`PARSERS`]
/// that recognises it. Total: any text gives a [`Parsed`], never a panic.
#[must_use]
pub fn parse(text: &str) -> Parsed {
    let input = Text::new(text);
    let parsed = PARSERS
        .iter()
        .find_map(|parser| (parser.parse)(&input))
        .unwrap_or_else(|| Parsed::new(Format::TEXT, Body::Unrecognized(Reason::UnknownText)));
    // Text that is no evidence but names subscriptions (a Terraform state, a list of other
    // resources) says which, so its report never reads as if nothing named one.
    // So does a file that cannot be read (a HAR whose settings body does not decode, JSON
    // cut short): its observations say which subscriptions it names, never that none is.
    let naming = |reason: Reason, with_ids: fn(Vec<String>, Box<Reason>) -> Reason| {
        let subscriptions: Vec<String> = crate::subscription::in_resource_ids(text)
            .iter()
            .map(ToString::to_string)
            .collect();
        if subscriptions.is_empty() {
            reason
        } else {
            with_ids(subscriptions, Box::new(reason))
        }
    };
    let body = match parsed.body {
        Body::Unrecognized(reason) => {
            Body::Unrecognized(naming(reason, |subscriptions, reason| {
                Reason::IdsWithoutSettings {
                    subscriptions,
                    reason,
                }
            }))
        }
        Body::Malformed(reason) => Body::Malformed(naming(reason, |subscriptions, reason| {
            Reason::UnreadableWithIds {
                subscriptions,
                reason,
            }
        })),
        body => body,
    };
    Parsed { body, ..parsed }
}

/// What a file of JSON and error text one after another holds from line `lines[from]` on
/// (`az ... 2>&1` in a loop: the listing of one subscription, then the error for the next,
/// in either order): every error record of the text, and every JSON document that starts a
/// line at or after `lines[search]`, located `line N#<pointer>` where N is the line it
/// starts on. `lines` are the lines of `text`.
///
/// One pass, never a parse of the rest of the text per segment: each text segment is
/// searched for error records once, and each stretch of JSON read at most twice (a line
/// that opens no document is text up to where reading it failed), so the work is linear
/// in the text however many segments it holds. Documents after text that are not
/// evidence (`az account show`) or cannot be classified are left out, as before.
pub(crate) fn after_text(
    text: &str,
    lines: &[lines::Line<'_>],
    from: usize,
    search: usize,
) -> AfterText {
    let mut after = AfterText::default();
    let mut text_from = from;
    let mut search = search.max(from);
    loop {
        let candidates = lines.get(search..).unwrap_or_default();
        let Some(at) = candidates
            .iter()
            .position(|l| json::is_json_start(l.text.trim_start()))
            .map(|i| search + i)
        else {
            after.errors_in(lines.get(text_from..).unwrap_or_default());
            return after;
        };
        let Some(line) = lines.get(at) else {
            return after;
        };
        let document = text.get(line.start..).unwrap_or_default();
        let (body, stop) = match json::documents_after_text(document) {
            Ok(read) => read,
            Err(failed) => {
                // A line that opens no JSON document (`[see below]`, JSON cut short) is
                // text, and so is all that was read of it: the search goes on from the
                // line where reading failed, so no text is read more than twice.
                let failed = line.start.saturating_add(failed);
                search = lines
                    .partition_point(|l| l.start <= failed)
                    .saturating_sub(1)
                    .max(at + 1);
                continue;
            }
        };
        after.errors_in(lines.get(text_from..at).unwrap_or_default());
        if let Body::Items(items) = prefix_pointers(body, &format!("line {}#", line.number)) {
            after.items.extend(items);
        }
        let Some(offset) = stop else {
            return after;
        };
        // The text after the documents starts on the line where they end; the next
        // document opens a later line.
        let end = line.start.saturating_add(offset);
        text_from = lines
            .partition_point(|l| l.start <= end)
            .saturating_sub(1)
            .max(at);
        search = text_from + 1;
    }
}

/// The items [`after_text`] found.
#[derive(Debug, Default)]
pub(crate) struct AfterText {
    /// Error records and the items of JSON documents, in the order of the text.
    pub items: Vec<Item>,
    /// How many of them are error records of the text.
    pub errors: usize,
}

impl AfterText {
    fn errors_in(&mut self, lines: &[lines::Line<'_>]) {
        let found = error_text::find(lines);
        self.errors += found.len();
        self.items.extend(found);
    }
}

/// `body` with `f` applied to every setting it holds; other items as they are.
pub(crate) fn map_settings(body: Body, mut f: impl FnMut(Setting) -> Setting) -> Body {
    match body {
        Body::Items(items) => Body::Items(
            items
                .into_iter()
                .map(|item| match item {
                    Item::Settings { extent, settings } => Item::Settings {
                        extent,
                        settings: settings.into_iter().map(&mut f).collect(),
                    },
                    other => other,
                })
                .collect(),
        ),
        other => other,
    }
}

/// Rewrites every JSON pointer in `body` as `<prefix><pointer>`: the locations of a
/// document embedded in another (an HTTP body, a `Content` string).
#[must_use]
pub(crate) fn prefix_pointers(body: Body, prefix: &str) -> Body {
    let fix = |location: Location| match location {
        Location::Pointer(p) => Location::Pointer(format!("{prefix}{p}")),
        line @ Location::Line(_) => line,
    };
    match body {
        Body::Items(items) => Body::Items(
            items
                .into_iter()
                .map(|item| match item {
                    Item::Settings { extent, settings } => Item::Settings {
                        extent,
                        settings: settings
                            .into_iter()
                            .map(|s| Setting {
                                location: fix(s.location),
                                ..s
                            })
                            .collect(),
                    },
                    Item::Scalar { value, location } => Item::Scalar {
                        value,
                        location: fix(location),
                    },
                    Item::CollectionError {
                        summary,
                        scope,
                        location,
                    } => Item::CollectionError {
                        summary,
                        scope,
                        location: fix(location),
                    },
                    Item::Context { scope, location } => Item::Context {
                        scope,
                        location: fix(location),
                    },
                })
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(text: &str) -> Vec<Item> {
        match parse(text).body {
            Body::Items(items) => items,
            other => panic!("{other:?}"),
        }
    }

    fn locations(items: &[Item]) -> Vec<String> {
        items
            .iter()
            .filter_map(|item| match item {
                Item::Settings { settings, .. } => settings.first().map(|s| &s.location),
                Item::Scalar { location, .. }
                | Item::CollectionError { location, .. }
                | Item::Context { location, .. } => Some(location),
            })
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn json_then_error_text_is_read_once_not_again_and_again() {
        // Each of these overflowed the stack: the JSON after the error text was looked for
        // from the line the JSON ended on, which found the same JSON again.
        for (text, first) in [
            ("[true]\nERROR: x\n", "/0"),
            (
                "[{\"name\":\"WDATP\",\"enabled\":true}]\nERROR: x\n",
                "/0/enabled",
            ),
            ("[true]\nGet-AzSecuritySetting : x\n", "/0"),
        ] {
            let found = items(text);
            assert_eq!(locations(&found), [first, "line 2"], "{text}");
        }
    }

    #[test]
    fn a_long_alternation_of_json_and_error_text_is_read_in_one_pass() {
        let pairs = 10_000;
        for (first, second) in [("[true]", "ERROR: x"), ("ERROR: x", "[true]")] {
            let text = format!("{first}\n{second}\n").repeat(pairs);
            let found = items(&text);
            assert_eq!(found.len(), 2 * pairs);
            let scalars = found
                .iter()
                .filter(|item| matches!(item, Item::Scalar { .. }))
                .count();
            assert_eq!(scalars, pairs);
            // Every document after text is located from its own line, never nested.
            let last = locations(&found).pop().unwrap();
            let expected = if first == "[true]" {
                format!("line {}", 2 * pairs)
            } else {
                format!("line {}#/0", 2 * pairs)
            };
            assert_eq!(last, expected);
        }
    }

    #[test]
    fn each_document_after_error_text_is_located_from_its_own_line() {
        let list = |sub: &str| {
            format!(
                "[\n  {{\n    \"enabled\": true,\n    \"id\": \"/subscriptions/{sub}/providers/Microsoft.Security/settings/WDATP\",\n    \"name\": \"WDATP\"\n  }}\n]\n"
            )
        };
        let a = "aaaaaaaa-1111-4222-8333-444444444444";
        let b = "bbbbbbbb-1111-4222-8333-444444444444";
        let text = format!(
            "ERROR: (AuthorizationFailed) over scope '/subscriptions/{a}'\n{}\nERROR: (AuthorizationFailed) over scope '/subscriptions/{b}'\n{}",
            list(a),
            list(b)
        );
        assert_eq!(
            locations(&items(&text)),
            [
                "line 1",
                "line 2#/0/enabled",
                "line 10",
                "line 11#/0/enabled"
            ]
        );
        // The same with the JSON first: each later document from its own line.
        let text = format!(
            "{}ERROR: (AuthorizationFailed) over scope '/subscriptions/{b}'\n{}ERROR: x\n{}",
            list(a),
            list(b),
            list(a)
        );
        assert_eq!(
            locations(&items(&text)),
            [
                "/0/enabled",
                "line 8",
                "line 9#/0/enabled",
                "line 16",
                "line 17#/0/enabled"
            ]
        );
    }

    #[test]
    fn a_line_that_opens_no_json_after_error_text_is_text() {
        let text = "ERROR: x\n[see the log]\n[true]\n";
        assert_eq!(locations(&items(text)), ["line 1", "line 3#/0"]);
    }

    #[test]
    fn json_cut_short_after_error_text_is_text_and_not_read_again_line_by_line() {
        // A listing cut short: its inner object is no document of its own.
        let text = "ERROR: x\n[\n  {\n    \"enabled\": true,\n    \"name\": \"WDATP\"\n  },\n";
        assert_eq!(locations(&items(text)), ["line 1"]);
        // Each line opens an array that runs to the end of the text: read once, not once
        // per line (which was quadratic in the number of lines).
        let text = format!("ERROR: x\n{}", "[\n".repeat(200_000));
        assert_eq!(locations(&items(&text)), ["line 1"]);
        // After the text where a document cut short failed, documents are read again.
        let text = "ERROR: x\n[\n  {\"a\": 1},\nERROR: y\n[true]\n";
        assert_eq!(locations(&items(text)), ["line 1", "line 4", "line 5#/0"]);
    }
}
