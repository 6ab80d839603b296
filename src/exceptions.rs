//! The exceptions register (`scan --exceptions FILE`): accepted risks, each a subscription
//! and check whose failure someone approved until a date. A register never changes a
//! verdict: it annotates the row (`accepted` until the date, `expired` after it) and lets
//! the exit status pass over failures it covers, unless `--strict`.
//!
//! The register is a CSV (a header with `subscription_id`, `check`, `justification`,
//! `approved_by`, `expires`, optionally `ticket`; `,` or `;` delimited; decoded like
//! evidence, so a UTF-16 file saved from Excel or PowerShell reads) or a TOML file of
//! `[[exception]]` tables with the same keys. A file that cannot be read, or lacks a
//! column, stops the run. A row that is malformed, names a subscription and check the
//! scan has no verdict for, repeats another, or has expired is reported (a warning on
//! standard error and in every report), never silently applied.
//!
//! An exception holds through its `expires` date (UTC) and has expired from the next day
//! on; "now" is the run's time, `SOURCE_DATE_EPOCH` when set. Only a `fail` can be
//! excepted: a row for a `pass`, `conflict` or `no_evidence` is not applied, with a warning.
//! An exception that holds at the run's time but expired before the day its deciding
//! evidence is dated is warned about (the clock is behind the evidence).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::error::{Error, shown};
use crate::rollup::{SubscriptionVerdict, Verdict};
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
type Note = (At, String);

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

/// What applying the register did, for the reports.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// The register file.
    pub register: String,
    /// Its SHA-256.
    pub sha256: String,
    /// Rows in the register (well-formed or not).
    pub rows: usize,
    /// Rows applied to a verdict, still holding.
    pub accepted: usize,
    /// Rows applied to a verdict, expired.
    pub expired: usize,
    /// Rows not applied, each with why, in register order.
    pub not_applied: Vec<String>,
    /// What the run warns about, in register order: the first [`WARNINGS_SHOWN`] of the
    /// rows not applied, expired, or applied against the evidence's date, each naming the
    /// register.
    #[serde(skip)]
    pub warnings: Vec<String>,
    /// How many more warnings there were than `warnings` holds.
    #[serde(skip)]
    pub warnings_left_out: usize,
}

/// The most warnings about the register's rows a run keeps (on standard error and in
/// `run.warnings`); the rest are counted. Every row not applied stays in
/// [`Outcome::not_applied`].
pub const WARNINGS_SHOWN: usize = 20;

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

/// Whether `exception` holds at `now`: through its `expires` day, UTC.
fn status_at(exception: &Exception, now: jiff::Timestamp) -> Status {
    let today = now.to_zoned(jiff::tz::TimeZone::UTC).date();
    if today > exception.expires {
        Status::Expired
    } else {
        Status::Accepted
    }
}

/// Applies `register` to the verdicts at `now`: each well-formed row annotates the `fail`
/// verdict of its subscription and check; a row for any other verdict is not applied (and
/// never shown as accepted), with a warning. An exception that holds at `now` but expired
/// before its verdict's deciding evidence is dated is applied, with a warning: the run's
/// clock is behind the evidence. Returns what was done, the problems included.
pub fn apply(
    register: &Register,
    verdicts: &mut [SubscriptionVerdict],
    now: jiff::Timestamp,
) -> Outcome {
    // The rows not applied, and the expired ones, each where it is in the register.
    let mut notes: Vec<Note> = register.problems.clone();
    // Check ids match whatever their case (`WDATP` names the check `wdatp`).
    let index: BTreeMap<(&SubscriptionId, String), usize> = verdicts
        .iter()
        .enumerate()
        .map(|(i, v)| ((&v.subscription, v.check.id.to_ascii_lowercase()), i))
        .collect();
    let mut chosen: BTreeMap<usize, &Exception> = BTreeMap::new();
    for exception in &register.exceptions {
        let key = (
            &exception.subscription,
            exception.check.to_ascii_lowercase(),
        );
        let Some(&i) = index.get(&key) else {
            notes.push((
                exception.at,
                format!(
                    "this scan has no verdict for subscription {} and check {}; not applied",
                    exception.subscription,
                    crate::escape::printable(&exception.check, &[])
                ),
            ));
            continue;
        };
        // Two rows for one verdict: the one that holds longer is shown, the other named.
        if let Some(other) = chosen.get(&i) {
            let (kept, dropped) = if exception.expires > other.expires {
                (exception, *other)
            } else {
                (*other, exception)
            };
            notes.push((
                dropped.at,
                format!(
                    "repeats the subscription and check of {}; {} (expiring {}) is shown",
                    kept.at, kept.at, kept.expires
                ),
            ));
            chosen.insert(i, kept);
            continue;
        }
        chosen.insert(i, exception);
    }
    let mut expired: Vec<Note> = Vec::new();
    // Exceptions that hold at the run's time but expired before their evidence was dated.
    let mut clock: Vec<Note> = Vec::new();
    let mut accepted = 0;
    for (i, exception) in chosen {
        let Some(verdict) = verdicts.get_mut(i) else {
            continue;
        };
        // Only a setting known to be off is a risk someone can accept: a conflict or a
        // verdict without evidence is unclear evidence, and a pass needs no exception.
        if verdict.verdict != Verdict::Fail {
            notes.push((exception.at, not_a_fail(verdict)));
            continue;
        }
        let status = status_at(exception, now);
        if status == Status::Accepted
            && let Some(why) = expired_before_evidence(exception, verdict)
        {
            clock.push((exception.at, why));
        }
        match status {
            Status::Accepted => accepted += 1,
            Status::Expired => expired.push((
                exception.at,
                format!(
                    "the exception for subscription {} and check {} expired on {}; its \
                     verdict ({}) counts",
                    verdict.subscription, verdict.check.id, exception.expires, verdict.verdict
                ),
            )),
        }
        verdict.exception = Some(Box::new(Applied {
            status,
            exception: exception.clone(),
        }));
    }
    let shown = |(at, text): &Note| format!("{at}: {text}");
    // Every list in register order (a stable sort keeps a row's notes as they came); the
    // warnings are the first of them all, referred to, not copied.
    notes.sort_by_key(|(at, _)| *at);
    let mut all: Vec<&Note> = notes.iter().chain(&expired).chain(&clock).collect();
    all.sort_by_key(|(at, _)| *at);
    let warnings = all
        .iter()
        .take(WARNINGS_SHOWN)
        .map(|note| format!("exceptions {}, {}", register.path, shown(note)))
        .collect();
    let warnings_left_out = all.len().saturating_sub(WARNINGS_SHOWN);
    drop(all);
    let expired = expired.len();
    Outcome {
        register: register.path.clone(),
        sha256: register.sha256.clone(),
        rows: register.exceptions.len() + register.problems.len(),
        accepted,
        expired,
        // Each note's text is moved into its line as the line is made.
        not_applied: notes
            .into_iter()
            .map(|(at, text)| format!("{at}: {text}"))
            .collect(),
        warnings,
        warnings_left_out,
    }
}

/// Why an exception for a verdict other than `fail` is not applied.
fn not_a_fail(verdict: &SubscriptionVerdict) -> String {
    format!(
        "the exception for subscription {} and check {} is not applied: the verdict is {}; \
         an exception covers only a fail",
        verdict.subscription, verdict.check.id, verdict.verdict
    )
}

/// When an exception that holds at the run's time expired before the date its verdict's
/// deciding evidence states (not a file's modification time): why that is suspect.
fn expired_before_evidence(exception: &Exception, verdict: &SubscriptionVerdict) -> Option<String> {
    let collected = verdict.deciding.as_ref()?.collected.as_ref()?;
    // The first moment after the exception's last day, UTC.
    let expired_at = exception
        .expires
        .tomorrow()
        .ok()?
        .to_zoned(jiff::tz::TimeZone::UTC)
        .ok()?
        .timestamp();
    // Collected at that moment or later: after the second before it (dates are to the second).
    let one_second_before = expired_at
        .checked_sub(jiff::SignedDuration::from_secs(1))
        .ok()?;
    crate::rollup::stated_after(collected, one_second_before).then(|| {
        format!(
            "the exception for subscription {} and check {} holds at the run's time but \
             expired on {}, before its deciding evidence says it was collected ({}, {}): the run's clock \
             (or SOURCE_DATE_EPOCH) is behind the evidence, or the evidence's date is wrong",
            verdict.subscription,
            verdict.check.id,
            exception.expires,
            collected.at,
            collected.source.as_str()
        )
    })
}

/// Whether a verdict's failure is set aside for the exit status by an exception that
/// holds: only `fail` (a setting known to be off); a `conflict` or `no_evidence` is not
/// an accepted risk but unclear evidence.
#[must_use]
pub fn covers(verdict: &SubscriptionVerdict) -> bool {
    verdict.verdict == Verdict::Fail
        && verdict
            .exception
            .as_ref()
            .is_some_and(|e| e.status == Status::Accepted)
}
