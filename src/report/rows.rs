//! The rows every report renders: one per subscription, per observation and per file, with
//! the fields and names of the JSON report's schema. Writers stream these as they are
//! built, never holding a report's rows all at once.

use serde::Serialize;

use crate::decode::Encoding;
use crate::evaluate::{Observation, Source};
use crate::formats::dates::Collected;
use crate::model::{Evaluated, FileRecord, FileStatus, Report};
use crate::rollup::SubscriptionVerdict;
use crate::subscription::SubscriptionId;
use crate::vocabulary::outcome::Outcome;
use crate::vocabulary::verdict::Verdict;

/// The columns of a subscription row in the flat reports (CSV, the workbook), in order.
pub const SUBSCRIPTION_HEADER: [&str; 20] = [
    "subscription_id",
    "subscription_name",
    "check",
    "control",
    "verdict",
    "flags",
    "reason",
    "deciding_file",
    "deciding_value",
    "deciding_location",
    "collected_at",
    "collected_from",
    "in_inventory",
    "files",
    "paths",
    "exception",
    "exception_expires",
    "exception_approved_by",
    "exception_ticket",
    "exception_justification",
];

/// The columns of a subscription row before the exception columns were added (reports
/// written by earlier builds), still recognised as reports of this tool.
pub const SUBSCRIPTION_HEADER_WITHOUT_EXCEPTIONS: &[&str] = SUBSCRIPTION_HEADER.split_at(15).0;

/// The columns of an observation row in the flat reports (CSV, the workbook), in order.
pub const OBSERVATION_HEADER: [&str; 16] = [
    "path",
    "format",
    "subscription_id",
    "check",
    "control",
    "subscription_source",
    "outcome",
    "enabled",
    "location",
    "detail",
    "sha256",
    "size",
    "collected_at",
    "collected_by",
    "collected_from",
    "duplicate_of",
];

/// One subscription's verdict.
#[derive(Debug, Clone, Serialize)]
pub struct SubscriptionRow<'a> {
    /// The subscription, lower case.
    pub subscription_id: &'a str,
    /// Its name, when the inventory gives it.
    pub subscription_name: Option<&'a str>,
    /// The check.
    pub check: &'a str,
    /// The check's control id in the benchmark the report shows.
    pub control: Option<&'a str>,
    /// Its verdict.
    pub verdict: Verdict,
    /// What a reviewer should look at (`path_only`, `shared_evidence`, ...).
    pub flags: Vec<&'static str>,
    /// Why, in one sentence.
    pub reason: &'a str,
    /// The file that decides a `pass` or `fail`.
    pub deciding_file: Option<&'a str>,
    /// The value it holds (`true`, `false`) or `absent`.
    pub deciding_value: Option<&'static str>,
    /// Where in it the value is.
    pub deciding_location: Option<&'a str>,
    /// When the deciding file's evidence was collected (RFC 3339 UTC).
    pub collected_at: Option<String>,
    /// Where that time comes from (`transcript_start_time`, ..., `file_modified_time`).
    pub collected_from: Option<&'static str>,
    /// With an inventory: whether it lists the subscription.
    pub in_inventory: Option<bool>,
    /// The files behind the verdict, the deciding file first, then in report order.
    #[serde(rename = "observations")]
    pub paths: &'a [String],
    /// The exceptions register's row for it: `status` (`accepted`, `expired`), where it is
    /// in the register, the justification, approver, last day and ticket.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exception: Option<&'a crate::register::Applied>,
}

/// One (file, subscription) observation.
#[derive(Debug, Clone, Serialize)]
pub struct ObservationRow<'a> {
    /// The file, as reached from its root.
    pub path: &'a str,
    /// The shape it was read as.
    pub format: &'static str,
    /// The subscription, or `None` when unattributed.
    pub subscription_id: Option<&'a str>,
    /// The check.
    pub check: &'a str,
    /// The check's control id in the benchmark the report shows.
    pub control: Option<&'a str>,
    /// Where the subscription came from.
    pub subscription_source: Option<&'static str>,
    /// What the file says about the subscription.
    pub outcome: Outcome,
    /// WDATP's value, for `enabled` and `disabled`.
    pub enabled: Option<bool>,
    /// Where the deciding value is.
    pub location: Option<String>,
    /// Why, in one sentence.
    pub detail: &'a str,
    /// The file's SHA-256.
    pub sha256: &'a str,
    /// The file's size in bytes.
    pub size: u64,
    /// When the file's evidence was collected (RFC 3339 UTC).
    pub collected_at: Option<String>,
    /// Who collected it, when the evidence says.
    pub collected_by: Option<&'a str>,
    /// Where the time comes from.
    pub collected_from: Option<&'static str>,
    /// The first file with the same bytes, if this one is a copy (not in the JSON schema
    /// 1 observations, where `files[]` carries it).
    #[serde(skip)]
    pub duplicate_of: Option<&'a str>,
}

/// One entry of the manifest.
#[derive(Debug, Clone, Serialize)]
pub struct FileRow<'a> {
    /// The entry, as reached from its root.
    pub path: &'a str,
    /// Its type.
    pub kind: &'static str,
    /// `evaluated` or `skipped`.
    pub status: &'static str,
    /// Why it was skipped, or why a file read is not evidence (`not evidence: ...`).
    pub reason: Option<String>,
    /// Its size, when read.
    pub size: Option<u64>,
    /// Its SHA-256, when read.
    pub sha256: Option<&'a str>,
    /// The encoding it was read in.
    pub encoding: Option<&'static str>,
    /// The shape it was read as.
    pub format: Option<&'static str>,
    /// How many observations it gave.
    pub observations: usize,
    /// The first file with the same bytes, if this one is a copy.
    pub duplicate_of: Option<&'a str>,
    /// When the file's evidence was collected (RFC 3339 UTC).
    pub collected_at: Option<String>,
    /// Who collected it, when the evidence says.
    pub collected_by: Option<&'a str>,
    /// Where the time comes from.
    pub collected_from: Option<&'static str>,
}

/// Every subscription's row, sorted by subscription.
pub fn subscriptions(report: &Report) -> impl Iterator<Item = SubscriptionRow<'_>> {
    report
        .subscriptions
        .iter()
        .map(|verdict| subscription(report, verdict))
}

/// One subscription's row.
pub fn subscription<'a>(report: &'a Report, s: &'a SubscriptionVerdict) -> SubscriptionRow<'a> {
    SubscriptionRow {
        subscription_id: s.subscription.as_str(),
        subscription_name: s.name.as_deref(),
        check: &s.check.id,
        control: report.checks.control_of(&s.check),
        verdict: s.verdict,
        flags: s.flags.iter().map(crate::rollup::Flag::as_str).collect(),
        reason: &s.reason,
        deciding_file: s.deciding_file(),
        deciding_value: s.deciding.as_ref().map(|d| d.value),
        deciding_location: s.deciding.as_ref().and_then(|d| d.location.as_deref()),
        collected_at: deciding_collected(s).map(Collected::at_text),
        collected_from: deciding_collected(s).map(|c| c.source.as_str()),
        in_inventory: s.in_inventory,
        paths: &s.paths,
        exception: s.exception.as_deref(),
    }
}

fn deciding_collected(s: &SubscriptionVerdict) -> Option<&Collected> {
    s.deciding.as_ref().and_then(|d| d.collected.as_ref())
}

/// Every observation's row, by path then subscription.
pub fn observations(report: &Report) -> impl Iterator<Item = ObservationRow<'_>> {
    report
        .files
        .iter()
        .flat_map(|file| observations_of(report, file))
}

/// The rows of one file's observations, by subscription (none for a file not read).
pub fn observations_of<'a>(
    report: &'a Report,
    file: &'a FileRecord,
) -> impl Iterator<Item = ObservationRow<'a>> {
    file.evaluated().into_iter().flat_map(move |e| {
        e.observations
            .iter()
            .map(move |o| observation(report, file, e, o))
    })
}

fn observation<'a>(
    report: &'a Report,
    file: &'a FileRecord,
    e: &'a Evaluated,
    o: &'a Observation,
) -> ObservationRow<'a> {
    ObservationRow {
        path: &file.path,
        format: e.format.as_str(),
        subscription_id: o.subscription.as_ref().map(SubscriptionId::as_str),
        check: &o.check.id,
        control: report.checks.control_of(&o.check),
        subscription_source: o.source.map(Source::as_str),
        outcome: o.outcome,
        enabled: o.enabled,
        location: o.location.as_ref().map(ToString::to_string),
        detail: &o.detail,
        sha256: &e.sha256,
        size: e.size,
        collected_at: e.collected.as_ref().map(Collected::at_text),
        collected_by: e.collected.as_ref().and_then(|c| c.by.as_deref()),
        collected_from: e.collected.as_ref().map(|c| c.source.as_str()),
        duplicate_of: e.duplicate_of.as_deref(),
    }
}

/// Every manifest entry's row, by path.
pub fn files(report: &Report) -> impl Iterator<Item = FileRow<'_>> {
    report.files.iter().map(file)
}

/// One manifest entry's row.
pub fn file(file: &FileRecord) -> FileRow<'_> {
    match &file.status {
        FileStatus::Skipped(reason) => FileRow {
            path: &file.path,
            kind: file.kind.as_str(),
            status: "skipped",
            reason: Some(reason.to_string()),
            size: None,
            sha256: None,
            encoding: None,
            format: None,
            observations: 0,
            duplicate_of: None,
            collected_at: None,
            collected_by: None,
            collected_from: None,
        },
        FileStatus::Evaluated(e) => FileRow {
            path: &file.path,
            kind: file.kind.as_str(),
            status: "evaluated",
            reason: e
                .not_evidence
                .as_ref()
                .map(|why| format!("not evidence: {why}")),
            size: Some(e.size),
            sha256: Some(&e.sha256),
            encoding: e.encoding.map(Encoding::as_str),
            format: Some(e.format.as_str()),
            observations: e.observations.len(),
            duplicate_of: e.duplicate_of.as_deref(),
            collected_at: e.collected.as_ref().map(Collected::at_text),
            collected_by: e.collected.as_ref().and_then(|c| c.by.as_deref()),
            collected_from: e.collected.as_ref().map(|c| c.source.as_str()),
        },
    }
}
