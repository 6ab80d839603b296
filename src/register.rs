//! The exceptions register (`scan --exceptions FILE`): accepted risks, each a subscription
//! and check whose failure someone approved until a date; its rows, and how the file is
//! read. Applying it to the verdicts is `exceptions`.
//!
//! The register is a CSV (a header with `subscription_id`, `check`, `justification`,
//! `approved_by`, `expires`, optionally `ticket`; `,` or `;` delimited; decoded like
//! evidence, so a UTF-16 file saved from Excel or PowerShell reads) or a TOML file of
//! `[[exception]]` tables with the same keys. A file that cannot be read, or lacks a
//! column, stops the run. A row that is malformed is kept as a problem (where, and what is
//! wrong), reported when the register is applied, never silently dropped.

use std::path::Path;

use serde::Serialize;

use crate::error::{Error, shown};
use crate::subscription::SubscriptionId;

/// The columns a CSV register must have.
const REQUIRED: [&str; 5] = [
    "subscription_id",
    "check",
    "justification",
    "approved_by",
    "expires",
];

/// Whether an exception still holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Approved, and its date has not passed.
    Accepted,
    /// Its date has passed: the verdict counts again.
    Expired,
}

impl Status {
    /// The name used in reports.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accepted => "accepted",
            Self::Expired => "expired",
        }
    }

    /// The word before the date: accepted `until` it, expired `on` it.
    #[must_use]
    pub fn preposition(self) -> &'static str {
        match self {
            Self::Accepted => "until",
            Self::Expired => "on",
        }
    }
}

/// Where a row is in the register: `line 4` of a CSV, `exception 2` of a TOML file.
/// Ordered as the rows are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct At {
    number: usize,
    toml: bool,
}

impl std::fmt::Display for At {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = if self.toml { "exception" } else { "line" };
        write!(f, "{kind} {}", self.number)
    }
}

impl Serialize for At {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A row that is not applied, or applied but expired: where, and why.
/// A row not applied: where it is, and why.
pub type Note = (At, String);

/// One well-formed row of the register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exception {
    /// Where it is in the register.
    pub at: At,
    /// The subscription.
    #[serde(skip)]
    pub subscription: SubscriptionId,
    /// The check's id.
    #[serde(skip)]
    pub check: String,
    /// Why the risk is accepted.
    pub justification: String,
    /// Who approved it.
    pub approved_by: String,
    /// The last day it holds (UTC).
    #[serde(serialize_with = "as_text")]
    pub expires: jiff::civil::Date,
    /// The change or risk ticket, when given.
    pub ticket: Option<String>,
}

#[allow(
    clippy::trivially_copy_pass_by_ref,
    reason = "the signature serde's serialize_with calls"
)]
fn as_text<S: serde::Serializer>(date: &jiff::civil::Date, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(date)
}

/// An exception applied to a subscription's row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Applied {
    /// `accepted` or `expired`.
    pub status: Status,
    /// The register's row.
    #[serde(flatten)]
    pub exception: Exception,
}

impl Applied {
    /// One sentence for a person: `exception accepted until 2027-03-31 (line 2 of the
    /// register), approved by ..., ticket ...: justification`.
    #[must_use]
    pub fn sentence(&self) -> String {
        let e = &self.exception;
        let ticket = e
            .ticket
            .as_ref()
            .map(|t| format!(", ticket {t}"))
            .unwrap_or_default();
        format!(
            "exception {} ({} of the register), approved by {}{ticket}: {}",
            self.until(),
            e.at,
            e.approved_by,
            e.justification
        )
    }

    /// `accepted until 2027-03-31`, or `expired on 2026-06-30`.
    #[must_use]
    pub fn until(&self) -> String {
        format!(
            "{} {} {}",
            self.status.as_str(),
            self.status.preposition(),
            self.exception.expires
        )
    }
}

/// The register as read: its well-formed rows, and what was wrong with the others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Register {
    /// The file, as shown in messages and reports.
    pub path: String,
    /// The file's SHA-256.
    pub sha256: String,
    /// Well-formed rows, in file order.
    pub exceptions: Vec<Exception>,
    /// Malformed rows: where, and what is wrong.
    pub problems: Vec<Note>,
}

/// Reads the register at `path` (CSV, or TOML by its `.toml` extension).
///
/// # Errors
/// [`Error::Usage`] when the file cannot be read or decoded, is not CSV or TOML, or a CSV
/// lacks a required column.
pub fn read(path: &Path, limit: u64) -> Result<Register, Error> {
    let usage = |why: String| Error::Usage(format!("--exceptions {}: {why}", shown(path)));
    let contents = crate::read::read(path, limit).map_err(|e| usage(format!("{e}")))?;
    let text = crate::decode::decode(&contents.bytes).map_err(|e| usage(format!("{e}")))?;
    let is_toml = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("toml"));
    let (exceptions, problems) = if is_toml {
        from_toml(&text.text).map_err(usage)?
    } else {
        from_csv(&text.text).map_err(usage)?
    };
    Ok(Register {
        path: shown(path),
        sha256: contents.sha256.to_string(),
        exceptions,
        problems,
    })
}

/// The fields of one row, as text, before validation.
#[derive(Debug, Default)]
struct Fields {
    subscription_id: String,
    check: String,
    justification: String,
    approved_by: String,
    expires: String,
    ticket: String,
}

type Parsed = (Vec<Exception>, Vec<Note>);

fn from_csv(text: &str) -> Result<Parsed, String> {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let delimiter = if first.contains(';') && !first.contains(',') {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| format!("cannot read the header: {e}"))?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let column = |name: &str| header.iter().position(|h| h == name);
    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|name| column(name).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "the header lacks {} (a register has the columns {} and optionally ticket)",
            missing.join(", "),
            REQUIRED.join(", ")
        ));
    }
    let mut exceptions = Vec::new();
    let mut problems = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                let line = e.position().map_or(0, csv::Position::line);
                problems.push((
                    csv_line(line),
                    format!("not read as CSV ({e}); not applied"),
                ));
                continue;
            }
        };
        let line = record.position().map_or(0, csv::Position::line);
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        let cell = |name: &str| {
            column(name)
                .and_then(|i| record.get(i))
                .unwrap_or("")
                .trim()
                .to_owned()
        };
        let fields = Fields {
            subscription_id: cell("subscription_id"),
            check: cell("check"),
            justification: cell("justification"),
            approved_by: cell("approved_by"),
            expires: cell("expires"),
            ticket: cell("ticket"),
        };
        match validate(fields, csv_line(line)) {
            Ok(exception) => exceptions.push(exception),
            Err(problem) => problems.push(problem),
        }
    }
    Ok((exceptions, problems))
}

fn csv_line(line: u64) -> At {
    At {
        number: usize::try_from(line).unwrap_or(usize::MAX),
        toml: false,
    }
}

fn from_toml(text: &str) -> Result<Parsed, String> {
    let table: toml::Table = toml::from_str(text).map_err(|e| format!("not TOML: {e}"))?;
    if let Some(key) = table.keys().find(|k| *k != "exception") {
        return Err(format!(
            "unknown key {key:?}: a register holds [[exception]] tables only"
        ));
    }
    let Some(entries) = table.get("exception") else {
        return Ok((Vec::new(), Vec::new()));
    };
    let entries = entries
        .as_array()
        .ok_or("exception must be an array of tables ([[exception]])")?;
    let mut exceptions = Vec::new();
    let mut problems = Vec::new();
    for (n, entry) in entries.iter().enumerate() {
        let at = At {
            number: n + 1,
            toml: true,
        };
        let Some(entry) = entry.as_table() else {
            problems.push((at, "not a table; not applied".to_owned()));
            continue;
        };
        let mut fields = Fields::default();
        let mut wrong = None;
        for (key, value) in entry {
            // A TOML date (`expires = 2027-03-31`) reads as well as a string.
            let text = match value {
                toml::Value::String(s) => s.trim().to_owned(),
                toml::Value::Datetime(d) => d.to_string(),
                other => {
                    wrong = Some(format!(
                        "{key} is not text or a date (TOML {})",
                        other.type_str()
                    ));
                    break;
                }
            };
            let slot = match key.as_str() {
                "subscription_id" => &mut fields.subscription_id,
                "check" => &mut fields.check,
                "justification" => &mut fields.justification,
                "approved_by" => &mut fields.approved_by,
                "expires" => &mut fields.expires,
                "ticket" => &mut fields.ticket,
                _ => {
                    wrong = Some(format!("unknown key {key:?}"));
                    break;
                }
            };
            *slot = text;
        }
        if let Some(wrong) = wrong {
            problems.push((at, format!("{wrong}; not applied")));
            continue;
        }
        match validate(fields, at) {
            Ok(exception) => exceptions.push(exception),
            Err(problem) => problems.push(problem),
        }
    }
    Ok((exceptions, problems))
}

/// A row checked field by field; the problem names the first field that is wrong.
fn validate(fields: Fields, at: At) -> Result<Exception, Note> {
    let problem = |why: String| {
        Err((
            at,
            format!("{}; not applied", crate::escape::printable(&why, &[])),
        ))
    };
    for (name, value) in [
        ("subscription_id", &fields.subscription_id),
        ("check", &fields.check),
        ("justification", &fields.justification),
        ("approved_by", &fields.approved_by),
        ("expires", &fields.expires),
    ] {
        if value.is_empty() {
            return problem(format!("{name} is empty"));
        }
    }
    let Some(subscription) = SubscriptionId::parse(&fields.subscription_id)
        .filter(|id| id.as_str().eq_ignore_ascii_case(&fields.subscription_id))
    else {
        return problem(format!(
            "subscription_id {:?} is not a subscription id",
            fields.subscription_id
        ));
    };
    let Ok(expires) = fields.expires.parse::<jiff::civil::Date>() else {
        return problem(format!(
            "expires {:?} is not a date (YYYY-MM-DD)",
            fields.expires
        ));
    };
    Ok(Exception {
        at,
        subscription,
        check: fields.check,
        justification: fields.justification,
        approved_by: fields.approved_by,
        expires,
        ticket: Some(fields.ticket).filter(|t| !t.is_empty()),
    })
}
