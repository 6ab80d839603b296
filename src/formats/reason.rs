//! Why a file of a known family cannot be read to a value (`malformed`), or why a file is
//! not evidence (`unrecognized`). Parsers return these as values; the wording of every
//! reason lives here, in one place, so that tests check it once.

use std::fmt;

use crate::decode::DecodeError;
use crate::escape::{EXCERPT_CHARS, excerpt};

/// The word for one of a stream's parts: `value` for `JSON values`, `document` for `YAML
/// documents`.
fn singular(what: &str) -> &'static str {
    if what.ends_with("documents") {
        "document"
    } else {
        "value"
    }
}

/// Subscriptions a file names in resource ids, as reasons write them: `a subscription in
/// resource ids (<GUID>)`, `4 subscriptions in resource ids (<GUID>, <GUID>, <GUID> and 1
/// more)`.
struct Named<'a>(&'a [String]);

impl fmt::Display for Named<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 3;
        let subscriptions = self.0;
        let shown: Vec<&str> = subscriptions
            .iter()
            .take(SHOWN)
            .map(String::as_str)
            .collect();
        let more = subscriptions.len().saturating_sub(SHOWN);
        if subscriptions.len() == 1 {
            f.write_str("a subscription")?;
        } else {
            write!(f, "{} subscriptions", subscriptions.len())?;
        }
        write!(f, " in resource ids ({}", shown.join(", "))?;
        if more > 0 {
            write!(f, " and {more} more")?;
        }
        f.write_str(")")
    }
}

/// `it` for one subscription, `them` for several.
fn them(subscriptions: &[String]) -> &'static str {
    if subscriptions.len() == 1 {
        "it"
    } else {
        "them"
    }
}

/// A reason a file gives no value. See the module documentation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// The bytes are not text in any encoding the tool reads.
    Undecodable(DecodeError),
    /// JSON that ends before its document is complete.
    TruncatedJson { line: usize, column: usize },
    /// JSON with a syntax error (the parser's message, with line and column).
    InvalidJson(String),
    /// One value of several JSON values (or YAML documents) one after another; `what`
    /// names them (`JSON values`, `YAML documents`).
    InStream {
        index: usize,
        count: usize,
        what: &'static str,
        reason: Box<Reason>,
    },
    /// An entry of a settings list that is not an object.
    NotAnObject { pointer: String, kind: &'static str },
    /// `Invoke-AzRestMethod` output whose `Content` is empty.
    EmptyContent,
    /// An HTTP capture whose status line cannot be read.
    HttpStatusLine(String),
    /// A successful HTTP response without a body.
    HttpEmptyBody(String),
    /// A CSV `#TYPE` line without a header.
    CsvWithoutHeader,
    /// A CSV the reader rejects.
    CsvInvalid { line: usize, error: String },
    /// A CSV row with more or fewer fields than its header.
    CsvFieldCount {
        line: usize,
        found: usize,
        expected: usize,
    },
    /// A CSV quoted field that runs across lines.
    CsvQuoteAcrossLines { line: usize },
    /// No value of several JSON values (or YAML documents) is evidence.
    NoneInStream {
        index: usize,
        count: usize,
        what: &'static str,
        reason: Box<Reason>,
    },
    /// A bare JSON value (not an object or array).
    BareJsonValue(&'static str),
    /// `value` that is not a list.
    ValueNotAList(&'static str),
    /// A JSON object without any key of a settings export.
    NoSettingsKeys,
    /// A REST example without a 200 response body.
    ExampleWithoutBody,
    /// `Invoke-AzRestMethod` output whose `Content` is not JSON.
    ContentNotJson,
    /// An empty list.
    EmptyList,
    /// A list of resources of another type.
    ForeignList(String),
    /// A list whose entries are not settings.
    NotSettings,
    /// An HTTP response whose body is not JSON.
    HttpBodyNotJson(String),
    /// A CSV without `Name` and `Enabled` columns.
    CsvWithoutColumns,
    /// A CSV header without rows.
    CsvWithoutRows,
    /// A transcript without a settings table, list or error.
    TranscriptWithoutEvidence,
    /// A console table without `Name` and `Enabled` columns.
    TableWithoutColumns,
    /// Text in no known shape.
    UnknownText,
    /// YAML with a syntax error (the parser's message, with line and column).
    InvalidYaml(String),
    /// A PowerShell CLIXML archive that is not well-formed XML.
    InvalidXml(String),
    /// A PowerShell CLIXML archive that ends inside an element.
    TruncatedXml { line: usize },
    /// A PowerShell CLIXML archive without an object holding `Name` and `Enabled`.
    ClixmlWithoutSettings,
    /// A HAR network log without a settings call (the number of entries it holds).
    HarWithoutSettingsCalls(usize),
    /// A HAR entry of a successful settings call whose body cannot be read (its index, why:
    /// `not JSON`, `base64-encoded but not valid base64 (...)`, ...).
    HarBodyUnreadable(usize, String),
    /// The body of a HAR entry of a settings call that is not evidence.
    InHarEntry { index: usize, reason: Box<Reason> },
    /// A Terraform state file.
    TerraformState,
    /// Text or JSON in no evidence shape that names subscriptions in resource ids (a
    /// Terraform state, a list of other resources): what it is, and which it names.
    IdsWithoutSettings {
        subscriptions: Vec<String>,
        reason: Box<Reason>,
    },
    /// A file of a known shape that cannot be read to a value but names subscriptions in
    /// resource ids (a HAR settings call whose body does not decode, JSON cut short): what
    /// is wrong, and which it names.
    UnreadableWithIds {
        subscriptions: Vec<String>,
        reason: Box<Reason>,
    },
    /// An archive, image or document, recognised by its first bytes.
    NotText {
        kind: &'static str,
        what_to_do: &'static str,
    },
    /// One record giving one property two values: a CSV header naming a column twice, a
    /// `Format-List` record or a CLIXML object listing a property twice (in any case, as
    /// PowerShell compares names). `record` says which (`CSV row`, ...).
    TwoValues {
        record: &'static str,
        first: Box<Written>,
        second: Box<Written>,
    },
}

/// A property as one record writes it: its name, its value and its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// The property's name as written.
    pub key: String,
    /// Its value as written.
    pub value: String,
    /// The line it is on.
    pub line: usize,
}

impl fmt::Display for Written {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} is {:?} at line {}",
            excerpt(&self.key, EXCERPT_CHARS),
            excerpt(&self.value, EXCERPT_CHARS),
            self.line
        )
    }
}

impl Reason {
    /// The wording of the reasons of the shapes added later (YAML, CLIXML, HAR logs,
    /// Terraform states, files naming subscriptions without settings).
    fn fmt_later_shapes(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidYaml(error) => write!(f, "invalid YAML: {error}"),
            Self::InvalidXml(error) => write!(f, "invalid CLIXML: {error}"),
            Self::TruncatedXml { line } => write!(
                f,
                "truncated CLIXML: the text ends at line {line} before the archive is complete"
            ),
            Self::ClixmlWithoutSettings => f.write_str(
                "a PowerShell CLIXML archive without an object holding Name and Enabled",
            ),
            Self::HarWithoutSettingsCalls(count) => write!(
                f,
                "a HAR network log of {count} request{} without a Defender for Cloud settings \
                 call (.../providers/Microsoft.Security/settings): open the portal's \
                 Environment settings page while recording",
                if *count == 1 { "" } else { "s" }
            ),
            Self::HarBodyUnreadable(index, why) => write!(
                f,
                "the response body of the settings call in HAR entry {index} is {why}"
            ),
            Self::InHarEntry { index, reason } => write!(
                f,
                "the response body of the settings call in HAR entry {index}: {reason}"
            ),
            Self::TerraformState => f.write_str(
                "a Terraform state file: it records what Terraform last applied, not the \
                 settings as Defender for Cloud reports them (export them with az security \
                 setting list or Get-AzSecuritySetting)",
            ),
            Self::IdsWithoutSettings {
                subscriptions,
                reason,
            } => write!(
                f,
                "{reason}; it names {}, but holds no settings evidence for {}",
                Named(subscriptions),
                them(subscriptions)
            ),
            Self::UnreadableWithIds {
                subscriptions,
                reason,
            } => write!(
                f,
                "{reason}; it names {}, but none of it can be read as settings evidence \
                 for {}",
                Named(subscriptions),
                them(subscriptions)
            ),
            _ => Ok(()),
        }
    }

    /// Whether the file names subscriptions in resource ids without holding evidence that
    /// can be read.
    #[must_use]
    pub fn names_subscriptions(&self) -> bool {
        matches!(
            self,
            Self::IdsWithoutSettings { .. } | Self::UnreadableWithIds { .. }
        )
    }
}

impl Reason {
    /// Whether the file is in no evidence shape at all and names no subscription: text in
    /// no known shape (a README, notes), an archive, image or document, a JSON object or
    /// list of something else, a Terraform state. Such a file is not evidence; a file of an
    /// evidence shape that falls short (a transcript, table, CSV, CLIXML or HAR log without
    /// settings, an empty list, a bare value, an error) is.
    #[must_use]
    pub fn is_foreign(&self) -> bool {
        match self {
            Self::UnknownText
            | Self::NotText { .. }
            | Self::NoSettingsKeys
            | Self::ForeignList(_)
            | Self::TerraformState => true,
            Self::NoneInStream { reason, .. } => reason.is_foreign(),
            _ => false,
        }
    }
}

impl Reason {
    /// The wording of the reasons of one part of several (JSON values, YAML documents).
    fn fmt_stream(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InStream {
                index,
                count,
                what,
                reason,
            } => write!(
                f,
                "{} {} of the {count} {what} in the file: {reason}",
                singular(what),
                index + 1
            ),
            Self::NoneInStream {
                index,
                count,
                what,
                reason,
            } => write!(
                f,
                "none of the {count} {what} in the file is settings evidence ({} {}: \
                 {reason})",
                singular(what),
                index + 1
            ),
            _ => Ok(()),
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Undecodable(error) => write!(f, "cannot be decoded as text: {error}"),
            Self::TruncatedJson { line, column } => write!(
                f,
                "truncated JSON: the text ends at line {line} column {column} before the \
                 document is complete"
            ),
            Self::InvalidJson(error) => write!(f, "invalid JSON: {error}"),
            Self::InStream { .. } | Self::NoneInStream { .. } => self.fmt_stream(f),
            Self::NotAnObject { pointer, kind } => {
                write!(
                    f,
                    "entry {pointer} of the settings list is {kind}, not a setting"
                )
            }
            Self::EmptyContent => f.write_str("an empty Content string"),
            Self::HttpStatusLine(line) => write!(
                f,
                "an HTTP capture with an unreadable status line {:?}",
                excerpt(line, EXCERPT_CHARS)
            ),
            Self::HttpEmptyBody(status) => write!(f, "{status} with an empty body"),
            Self::CsvWithoutHeader => f.write_str("a #TYPE line without a header or rows"),
            Self::CsvInvalid { line, error } => write!(f, "invalid CSV at line {line}: {error}"),
            Self::CsvFieldCount {
                line,
                found,
                expected,
            } => write!(
                f,
                "the row at line {line} has {found} field{} where the header has {expected} \
                 (a broken quote or delimiter?): it cannot be read into a name and a value",
                if *found == 1 { "" } else { "s" }
            ),
            Self::CsvQuoteAcrossLines { line } => write!(
                f,
                "a quoted field opened at line {line} runs across lines (a broken quote?): \
                 rows after it cannot be told apart"
            ),
            Self::BareJsonValue(kind) => {
                write!(f, "a bare JSON value ({kind}) is not a settings export")
            }
            Self::ValueNotAList(kind) => write!(f, "`value` is {kind}, not a list of settings"),
            Self::NoSettingsKeys => f.write_str(
                "a JSON object with none of the keys of a settings export or error \
                 (value, name, properties, enabled, error)",
            ),
            Self::ExampleWithoutBody => f.write_str("a REST example without a 200 response body"),
            Self::ContentNotJson => f.write_str("the Content string is not JSON"),
            Self::EmptyList => f.write_str("an empty list: nothing shows it is a settings list"),
            Self::ForeignList(kind) => write!(
                f,
                "a list of {} resources, not Defender for Cloud settings",
                excerpt(kind, EXCERPT_CHARS)
            ),
            Self::NotSettings => {
                f.write_str("a list whose entries are not settings (no name with an enabled value)")
            }
            Self::HttpBodyNotJson(status) => write!(f, "the body after {status} is not JSON"),
            Self::CsvWithoutColumns => f.write_str("a CSV without Name and Enabled columns"),
            Self::CsvWithoutRows => f.write_str("a CSV header without rows"),
            Self::TranscriptWithoutEvidence => {
                f.write_str("a PowerShell transcript without a settings table, list or error")
            }
            Self::TableWithoutColumns => {
                f.write_str("a console table without Name and Enabled columns")
            }
            Self::UnknownText => f.write_str("text in no known evidence shape"),
            Self::InvalidYaml(_)
            | Self::InvalidXml(_)
            | Self::TruncatedXml { .. }
            | Self::ClixmlWithoutSettings
            | Self::HarWithoutSettingsCalls(_)
            | Self::HarBodyUnreadable(..)
            | Self::InHarEntry { .. }
            | Self::TerraformState
            | Self::IdsWithoutSettings { .. }
            | Self::UnreadableWithIds { .. } => self.fmt_later_shapes(f),
            Self::NotText { kind, what_to_do } => write!(f, "{kind}: {what_to_do}"),
            Self::TwoValues {
                record,
                first,
                second,
            } => write!(
                f,
                "two values for one property in one {record}: {first} and {second} \
                 (PowerShell reads one value per property, names compared in any case)"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: `has 1 fields` and `1 request(s)`.
    #[test]
    fn counts_are_singular_or_plural() {
        let row = |found| {
            Reason::CsvFieldCount {
                line: 3,
                found,
                expected: 2,
            }
            .to_string()
        };
        assert!(
            row(1).starts_with("the row at line 3 has 1 field where"),
            "{}",
            row(1)
        );
        assert!(
            row(3).starts_with("the row at line 3 has 3 fields where"),
            "{}",
            row(3)
        );
        let har = |n| Reason::HarWithoutSettingsCalls(n).to_string();
        assert!(
            har(1).starts_with("a HAR network log of 1 request without"),
            "{}",
            har(1)
        );
        assert!(
            har(2).starts_with("a HAR network log of 2 requests without"),
            "{}",
            har(2)
        );
    }
}
