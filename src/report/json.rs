//! The JSON report: one object holding the run, the summary, every subscription's verdict,
//! every observation and every file. Field names and order are the schema in docs/reports.md;
//! `schema_version` changes when they do.

use std::io::{self, Write};

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use rayon::prelude::*;

use super::rows;
use super::{Flags, Render, Summary, Writer};
use crate::model::Report;
use crate::vocabulary::outcome::Outcome;
use crate::vocabulary::verdict::Verdict;

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

/// Whether `bytes` are a whole JSON report of this tool (or the JSON of its `diff`): one
/// document with exactly the report's keys, this tool's name and the three arrays, ending
/// with a new line. Asked only of files that start like one ([`is_own_report`]).
#[must_use]
pub fn is_whole_report(bytes: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code, reason = "read only to check the document's shape")]
    struct Whole {
        schema_version: u32,
        tool: WholeTool,
        run: serde_json::Map<String, serde_json::Value>,
        checks: Vec<serde::de::IgnoredAny>,
        benchmark: Option<String>,
        summary: serde_json::Map<String, serde_json::Value>,
        #[serde(default)]
        exceptions: Option<serde::de::IgnoredAny>,
        subscriptions: Vec<serde_json::Map<String, serde_json::Value>>,
        observations: Vec<serde_json::Map<String, serde_json::Value>>,
        files: Vec<serde_json::Map<String, serde_json::Value>>,
    }
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code, reason = "read only to check the document's shape")]
    struct WholeTool {
        name: String,
        version: String,
    }
    /// The JSON output of `diff`, which starts the same way.
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code, reason = "read only to check the document's shape")]
    struct Diff {
        schema_version: u32,
        tool: WholeTool,
        kind: String,
        old: serde_json::Map<String, serde_json::Value>,
        new: serde_json::Map<String, serde_json::Value>,
        needs_action: bool,
        changes: serde_json::Map<String, serde_json::Value>,
        #[serde(default)]
        out_of_scope: Option<serde_json::Map<String, serde_json::Value>>,
        #[serde(default)]
        warnings: Vec<String>,
        rows: Vec<serde_json::Map<String, serde_json::Value>>,
    }
    let ours = |tool: &WholeTool| tool.name == env!("CARGO_PKG_NAME");
    bytes.ends_with(b"}\n")
        && (serde_json::from_slice::<Whole>(bytes).is_ok_and(|whole| ours(&whole.tool))
            || serde_json::from_slice::<Diff>(bytes)
                .is_ok_and(|diff| ours(&diff.tool) && diff.kind == "diff"))
}

/// The JSON report: `.json`.
pub const WRITER: Writer = Writer {
    name: "json",
    extensions: &["json"],
    build: |_: &Flags| std::sync::Arc::new(Json),
    is_own_report,
    is_whole_report,
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
/// The document is what `serde_json` prints pretty, byte for byte, but its three long
/// arrays (subscriptions, observations, files) are rendered in parallel, a batch of rows at
/// a time, and written in order: the same bytes whatever the number of threads, with
/// memory for one batch rather than for the report.
///
/// # Errors
/// An I/O error from `out`.
pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    // Two chunks of 256 rows a thread: work for every core, a few megabytes in all.
    let batch = Batch {
        rows: 256,
        chunks: 2 * rayon::current_num_threads(),
    };
    render_in(report, out, batch)
}

/// How the arrays are cut for rendering: rows a worker renders at a time, and such chunks
/// rendered (in parallel) before they are written.
#[derive(Debug, Clone, Copy)]
struct Batch {
    rows: usize,
    chunks: usize,
}

/// [`render`], cutting the arrays as `batch` says.
fn render_in(report: &Report, out: &mut dyn Write, batch: Batch) -> io::Result<()> {
    let head = JsonReport::of(report);
    // The head ends with the object's closing brace: the arrays follow in its place.
    let head = serde_json::to_vec_pretty(&head).map_err(io::Error::from)?;
    out.write_all(head.strip_suffix(b"\n}").unwrap_or(&head))?;
    write_array(
        out,
        "subscriptions",
        &report.subscriptions,
        batch,
        |verdict, row| row(&rows::subscription(report, verdict)),
    )?;
    write_array(out, "observations", &report.files, batch, |file, row| {
        rows::observations_of(report, file).try_for_each(|observation| row(&observation))
    })?;
    write_array(out, "files", &report.files, batch, |file, row| {
        row(&rows::file(file))
    })?;
    out.write_all(b"\n}\n")
}

/// Writes `,\n  "name": [...]` as the second level of a pretty-printed document: the rows
/// that `rows_of` gives for each unit (a unit may give none), in order.
fn write_array<U: Sync>(
    out: &mut dyn Write,
    name: &str,
    units: &[U],
    batch: Batch,
    rows_of: impl Fn(&U, &mut dyn FnMut(&dyn RowValue) -> io::Result<()>) -> io::Result<()> + Sync,
) -> io::Result<()> {
    write!(out, ",\n  \"{name}\": [")?;
    // One rendering buffer and one row buffer per chunk, kept by this thread for the whole
    // array and lent to the workers batch after batch: nothing a worker allocates is freed
    // by another thread, and memory stays that of one batch whatever the report's length.
    let mut buffers: Vec<(Vec<u8>, Vec<u8>)> = std::iter::repeat_with(Default::default)
        .take(batch.chunks)
        .collect();
    let mut empty = true;
    for units in units.chunks(batch.rows * batch.chunks) {
        for (rendered, _) in &mut buffers {
            rendered.clear();
        }
        units
            .par_chunks(batch.rows)
            .zip(buffers.par_iter_mut())
            .try_for_each(|(chunk, (rendered, row_text))| {
                for unit in chunk {
                    rows_of(unit, &mut |row| {
                        row_text.clear();
                        row.write_pretty(row_text)?;
                        // Each row as an element at the second level: after `,` and a new
                        // line, every line indented by four spaces. JSON strings hold no
                        // raw new line, so every new line byte starts a line.
                        rendered.push(b',');
                        for line in row_text.split(|byte| *byte == b'\n') {
                            rendered.extend_from_slice(b"\n    ");
                            rendered.extend_from_slice(line);
                        }
                        Ok(())
                    })?;
                }
                Ok::<_, io::Error>(())
            })?;
        for (rendered, _) in &buffers {
            // Every row starts with a comma but the first of the array.
            let chunk = match (empty, rendered.split_first()) {
                (_, None) => continue,
                (true, Some((_, rest))) => rest,
                (false, Some(_)) => rendered.as_slice(),
            };
            out.write_all(chunk)?;
            empty = false;
        }
    }
    out.write_all(if empty { b"]" } else { b"\n  ]" })
}

/// A row that can be written as pretty-printed JSON (object-safe [`Serialize`]).
trait RowValue {
    fn write_pretty(&self, out: &mut Vec<u8>) -> io::Result<()>;
}

impl<T: Serialize> RowValue for T {
    fn write_pretty(&self, out: &mut Vec<u8>) -> io::Result<()> {
        serde_json::to_writer_pretty(out, self).map_err(io::Error::from)
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
}

impl<'a> JsonReport<'a> {
    /// Everything in the report but its three arrays.
    fn of(report: &'a Report) -> Self {
        JsonReport {
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
        }
    }
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
        let mut map = serializer.serialize_map(Some(15))?;
        map.serialize_entry("files_seen", &s.files_seen)?;
        map.serialize_entry("files_read", &s.files_read)?;
        map.serialize_entry("files_skipped", &s.files_skipped)?;
        map.serialize_entry("evidence_not_read", &s.evidence_not_read)?;
        map.serialize_entry("duplicates", &s.duplicates)?;
        map.serialize_entry("not_evidence", &s.not_evidence)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The report as `serde_json` prints it in one piece, every array collected first.
    #[derive(Serialize)]
    struct Whole<'a> {
        #[serde(flatten)]
        head: JsonReport<'a>,
        subscriptions: Vec<rows::SubscriptionRow<'a>>,
        observations: Vec<rows::ObservationRow<'a>>,
        files: Vec<rows::FileRow<'a>>,
    }

    fn whole(report: &Report) -> Vec<u8> {
        let whole = Whole {
            head: JsonReport::of(report),
            subscriptions: rows::subscriptions(report).collect(),
            observations: rows::observations(report).collect(),
            files: rows::files(report).collect(),
        };
        let mut bytes = serde_json::to_vec_pretty(&whole).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }

    fn rendered(report: &Report, batch: Batch) -> Vec<u8> {
        let mut out = Vec::new();
        assert!(render_in(report, &mut out, batch).is_ok());
        out
    }

    /// Files that give observations, files that give none (unrecognised text) and files
    /// not read (excluded), so that chunks and batches start, end and stay empty in every
    /// combination.
    fn scanned(files: usize) -> Report {
        let folder = tempfile::tempdir().unwrap_or_else(|e| unreachable!("{e}"));
        for n in 0..files {
            let (name, text) = match n % 5 {
                0 | 1 => (
                    format!("{n:04}.json"),
                    format!(
                        r#"{{"value":[{{"id":"/subscriptions/{n:08}-0000-4000-8000-000000000001/providers/Microsoft.Security/settings/WDATP","name":"WDATP","kind":"DataExportSettings","properties":{{"enabled":{}}}}}]}}"#,
                        n % 2 == 0
                    ),
                ),
                // An empty list: an unrecognized observation, unattributed.
                2 | 3 => (format!("{n:04}.txt"), "[]".to_owned()),
                _ => (format!("{n:04}.skip"), String::new()),
            };
            let written = std::fs::write(folder.path().join(name), text);
            assert!(written.is_ok());
        }
        let mut config = crate::Config::new(vec![folder.path().to_path_buf()]);
        config.discovery.exclude =
            vec![glob::Pattern::new("*.skip").unwrap_or_else(|e| unreachable!("{e}"))];
        crate::scan::scan(&config).unwrap_or_else(|e| unreachable!("{e}"))
    }

    #[test]
    fn arrays_rendered_in_parallel_batches_are_the_document_serde_json_prints() {
        let report = scanned(97);
        let summary = Summary::of(&report);
        assert_eq!(
            (
                summary.files_seen,
                summary.files_skipped,
                summary.observations
            ),
            (97, 19, 78)
        );
        let expected = whole(&report);
        for (rows, chunks) in [(1, 1), (2, 3), (3, 2), (7, 4), (256, 4)] {
            let got = rendered(&report, Batch { rows, chunks });
            assert_eq!(
                String::from_utf8_lossy(&got),
                String::from_utf8_lossy(&expected),
                "{rows} rows a chunk, {chunks} chunks a batch"
            );
        }
    }

    #[test]
    fn empty_arrays_are_written_as_serde_json_writes_them() {
        let report = scanned(0);
        let batch = Batch {
            rows: 256,
            chunks: 4,
        };
        assert_eq!(rendered(&report, batch), whole(&report));
    }
}
