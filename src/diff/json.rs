//! `diff` as JSON: both reports' headings, the counts, and every row with both sides.
//! It starts like a scan report of this tool, so that a scan never reads it as evidence,
//! and carries `"kind": "diff"`, so that `verify` and `diff` refuse it as input. With an
//! inventory, `changes` counts the rows in its scope and `out_of_scope` the others.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use super::{Comparison, Row, Source};

/// The version of this output's schema.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct View<'a> {
    schema_version: u32,
    tool: Tool,
    kind: &'static str,
    old: &'a Source,
    new: &'a Source,
    needs_action: bool,
    changes: BTreeMap<&'static str, usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    out_of_scope: Option<BTreeMap<&'static str, usize>>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    warnings: &'a [String],
    rows: &'a [Row],
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

/// Writes the comparison as pretty-printed JSON, ending with a newline.
///
/// # Errors
/// An I/O error from `out`.
pub fn render(comparison: &Comparison, out: &mut dyn Write) -> io::Result<()> {
    let view = View {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
        },
        kind: "diff",
        old: &comparison.old,
        new: &comparison.new,
        needs_action: comparison.needs_action(),
        changes: comparison
            .counts()
            .into_iter()
            .map(|(change, n)| (change.as_str(), n))
            .collect(),
        out_of_scope: comparison.has_inventory().then(|| {
            comparison
                .out_of_scope_counts()
                .into_iter()
                .map(|(change, n)| (change.as_str(), n))
                .collect()
        }),
        warnings: &comparison.warnings,
        rows: &comparison.rows,
    };
    serde_json::to_writer_pretty(&mut *out, &view).map_err(io::Error::from)?;
    out.write_all(b"\n")
}
