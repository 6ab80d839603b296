//! The JSON report: one object holding the run, the summary, every subscription's verdict,
//! every observation and every file. Field names and order are the schema in the README;
//! `schema_version` changes when they do.

use std::io::{self, Write};

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use super::rows::{self, SubscriptionRow};
use super::{Flags, Render, Summary, Writer};
use crate::evaluate::Outcome;
use crate::model::Report;
use crate::rollup::Verdict;

/// The version of the JSON report's schema.
pub const SCHEMA_VERSION: u32 = 2;

/// Whether `bytes` start like a JSON report of this tool (whole, or cut short).
#[must_use]
pub fn is_own_report(bytes: &[u8]) -> bool {
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

/// The JSON report: `.json`.
pub const WRITER: Writer = Writer {
    name: "json",
    extensions: &["json"],
    build: |_: &Flags| std::sync::Arc::new(Json),
    is_own_report,
};

/// The JSON report has no options.
#[derive(Debug, Clone, Copy)]
struct Json;

impl Render for Json {
    fn render(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        render(report, out)
    }
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
            warnings: &report.run.warnings,
        },
        checks: &report.checks.checks,
        benchmark: report.checks.benchmark.as_deref(),
        summary: SummaryView(Summary::of(report)),
        exceptions: report.exceptions.as_ref().map(|outcome| Exceptions {
            outcome,
            failures_accepted: report.accepted_failures(),
        }),
        subscriptions: Streamed(report, |r| Box::new(rows::subscriptions(r))),
        observations: Streamed(report, |r| Box::new(rows::observations(r))),
        files: Streamed(report, |r| Box::new(rows::files(r))),
    };
    // `From` keeps an I/O error's kind (a closed pipe stays `BrokenPipe`).
    serde_json::to_writer_pretty(&mut *out, &view).map_err(io::Error::from)?;
    out.write_all(b"\n")
}

/// Rows serialized as they are built rather than collected first.
struct Streamed<'a, T>(
    &'a Report,
    fn(&'a Report) -> Box<dyn Iterator<Item = T> + 'a>,
);

impl<T: Serialize> Serialize for Streamed<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq((self.1)(self.0))
    }
}

#[derive(Serialize)]
struct JsonReport<'a> {
    schema_version: u32,
    tool: Tool,
    run: Run<'a>,
    checks: &'a [std::sync::Arc<crate::checks::Check>],
    benchmark: Option<&'a str>,
    summary: SummaryView,
    #[serde(skip_serializing_if = "Option::is_none")]
    exceptions: Option<Exceptions<'a>>,
    subscriptions: Streamed<'a, SubscriptionRow<'a>>,
    observations: Streamed<'a, rows::ObservationRow<'a>>,
    files: Streamed<'a, rows::FileRow<'a>>,
}

/// What the exceptions register did: the file and its digest, its rows, how many were
/// applied (still holding or expired), the failures set aside for the exit status, and
/// every row not applied with why.
#[derive(Serialize)]
struct Exceptions<'a> {
    #[serde(flatten)]
    outcome: &'a crate::exceptions::Outcome,
    failures_accepted: usize,
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
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    warnings: &'a [String],
}

struct SummaryView(Summary);

impl Serialize for SummaryView {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let s = &self.0;
        let mut map = serializer.serialize_map(Some(13))?;
        map.serialize_entry("files_seen", &s.files_seen)?;
        map.serialize_entry("files_read", &s.files_read)?;
        map.serialize_entry("files_skipped", &s.files_skipped)?;
        map.serialize_entry("duplicates", &s.duplicates)?;
        map.serialize_entry("observations", &s.observations)?;
        map.serialize_entry("unattributed", &s.unattributed)?;
        map.serialize_entry("unattributed_deciding", &s.unattributed_deciding)?;
        map.serialize_entry("outcomes", &Counts(&s.outcomes, Outcome::as_str))?;
        map.serialize_entry("subscriptions", &s.subscriptions)?;
        map.serialize_entry("checks", &s.checks)?;
        map.serialize_entry("flagged", &s.flagged)?;
        map.serialize_entry("verdicts", &Counts(&s.verdicts, Verdict::as_str))?;
        if let Some((subscriptions, verdicts)) = &s.out_of_scope {
            map.serialize_entry("out_of_scope", &OutOfScope(*subscriptions, verdicts))?;
        }
        map.end()
    }
}

/// The subscriptions found outside the inventory, and their verdicts.
struct OutOfScope<'a>(usize, &'a [(Verdict, usize)]);

impl Serialize for OutOfScope<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("subscriptions", &self.0)?;
        map.serialize_entry("verdicts", &Counts(self.1, Verdict::as_str))?;
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
