//! The JSON report: one object holding the run, the summary, every subscription's verdict,
//! every observation and every file. Field names and order are the schema in the README;
//! `schema_version` changes when they do.

use std::io::{self, Write};

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use super::Summary;
use crate::decode::Encoding;
use crate::evaluate::{Observation, Outcome, Source};
use crate::model::{Evaluated, FileRecord, FileStatus, Report};
use crate::rollup::Verdict;
use crate::subscription::SubscriptionId;

/// The version of the JSON report's schema.
pub const SCHEMA_VERSION: u32 = 1;

/// Whether `bytes` start like a JSON report of this tool (whole, or cut short).
#[must_use]
pub fn is_own_report(bytes: &[u8]) -> bool {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let Some(rest) = bytes.strip_prefix(b"{\n  \"schema_version\": ") else {
        return false;
    };
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    rest.get(digits..).is_some_and(|after| {
        after.starts_with(
            format!(
                ",\n  \"tool\": {{\n    \"name\": \"{}\"",
                env!("CARGO_PKG_NAME")
            )
            .as_bytes(),
        )
    })
}

/// Writes the JSON report, pretty-printed, ending with a newline.
///
/// # Errors
/// An I/O error from `out`.
pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let view = JsonReport {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
        },
        run: Run {
            command_line: &report.run.command_line,
            roots: &report.run.roots,
            generated_at: &report.run.generated_at,
            access_times: report.run.access_times.as_deref(),
        },
        summary: SummaryView(Summary::of(report)),
        subscriptions: report
            .subscriptions
            .iter()
            .map(|s| SubscriptionView {
                subscription_id: s.subscription.as_str(),
                verdict: s.verdict,
                reason: &s.reason,
                in_inventory: s.in_inventory,
                observations: &s.paths,
            })
            .collect(),
        observations: Observations(report),
        files: Files(report),
    };
    // `From` keeps an I/O error's kind (a closed pipe stays `BrokenPipe`).
    serde_json::to_writer_pretty(&mut *out, &view).map_err(io::Error::from)?;
    out.write_all(b"\n")
}

/// Every observation, serialized as it is visited rather than collected first.
struct Observations<'a>(&'a Report);

impl Serialize for Observations<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(
            self.0
                .observations()
                .map(|(file, evaluated, o)| ObservationView::new(file, evaluated, o)),
        )
    }
}

/// Every file of the manifest, serialized as it is visited.
struct Files<'a>(&'a Report);

impl Serialize for Files<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.files.iter().map(FileView::new))
    }
}

#[derive(Serialize)]
struct JsonReport<'a> {
    schema_version: u32,
    tool: Tool,
    run: Run<'a>,
    summary: SummaryView,
    subscriptions: Vec<SubscriptionView<'a>>,
    observations: Observations<'a>,
    files: Files<'a>,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Run<'a> {
    command_line: &'a [String],
    roots: &'a [String],
    generated_at: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    access_times: Option<&'a str>,
}

struct SummaryView(Summary);

impl Serialize for SummaryView {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let s = &self.0;
        let mut map = serializer.serialize_map(Some(9))?;
        map.serialize_entry("files_seen", &s.files_seen)?;
        map.serialize_entry("files_read", &s.files_read)?;
        map.serialize_entry("files_skipped", &s.files_skipped)?;
        map.serialize_entry("duplicates", &s.duplicates)?;
        map.serialize_entry("observations", &s.observations)?;
        map.serialize_entry("unattributed", &s.unattributed)?;
        map.serialize_entry("outcomes", &Counts(&s.outcomes, Outcome::as_str))?;
        map.serialize_entry("subscriptions", &s.subscriptions)?;
        map.serialize_entry("verdicts", &Counts(&s.verdicts, Verdict::as_str))?;
        map.end()
    }
}

/// Counts keyed by name, in a fixed order.
struct Counts<'a, K>(&'a [(K, usize)], fn(K) -> &'static str);

impl<K: Copy> Serialize for Counts<'_, K> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for &(key, n) in self.0 {
            map.serialize_entry((self.1)(key), &n)?;
        }
        map.end()
    }
}

#[derive(Serialize)]
struct SubscriptionView<'a> {
    subscription_id: &'a str,
    verdict: Verdict,
    reason: &'a str,
    in_inventory: Option<bool>,
    observations: &'a [String],
}

#[derive(Serialize)]
struct ObservationView<'a> {
    path: &'a str,
    format: &'static str,
    subscription_id: Option<&'a str>,
    subscription_source: Option<&'static str>,
    outcome: Outcome,
    enabled: Option<bool>,
    location: Option<String>,
    detail: &'a str,
    sha256: &'a str,
    size: u64,
}

impl<'a> ObservationView<'a> {
    fn new(file: &'a FileRecord, evaluated: &'a Evaluated, o: &'a Observation) -> Self {
        Self {
            path: &file.path,
            format: evaluated.format.as_str(),
            subscription_id: o.subscription.as_ref().map(SubscriptionId::as_str),
            subscription_source: o.source.map(Source::as_str),
            outcome: o.outcome,
            enabled: o.enabled,
            location: o.location.as_ref().map(ToString::to_string),
            detail: &o.detail,
            sha256: &evaluated.sha256,
            size: evaluated.size,
        }
    }
}

#[derive(Serialize)]
struct FileView<'a> {
    path: &'a str,
    kind: &'static str,
    status: &'static str,
    reason: Option<String>,
    size: Option<u64>,
    sha256: Option<&'a str>,
    encoding: Option<&'static str>,
    format: Option<&'static str>,
    observations: usize,
    duplicate_of: Option<&'a str>,
}

impl<'a> FileView<'a> {
    fn new(file: &'a FileRecord) -> Self {
        match &file.status {
            FileStatus::Skipped(reason) => Self {
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
            },
            FileStatus::Evaluated(e) => Self {
                path: &file.path,
                kind: file.kind.as_str(),
                status: "evaluated",
                reason: None,
                size: Some(e.size),
                sha256: Some(&e.sha256),
                encoding: e.encoding.map(Encoding::as_str),
                format: Some(e.format.as_str()),
                observations: e.observations.len(),
                duplicate_of: e.duplicate_of.as_deref(),
            },
        }
    }
}
