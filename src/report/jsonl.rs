//! The JSON Lines report: one observation per line, with the fields of the JSON report's
//! `observations[]` in the same order, then the `verdict` and `flags` of its subscription
//! for that check (`null` for an observation that names no subscription). For `DuckDB`,
//! Spark or a SIEM: every line is a whole JSON object, and there is no header line, so that
//! a reader's schema inference sees only observations.
//!
//! An earlier report under a scanned root is recognised by its first line: an object with
//! exactly these fields, starting with `{"path":`.

use std::collections::HashMap;
use std::io::{self, Write};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::rows::{self, ObservationRow};
use super::{Flags, Render, Writer};
use crate::model::Report;
use crate::vocabulary::verdict::Verdict;

/// The JSON Lines report: `.jsonl`.
pub const WRITER: Writer = Writer {
    name: "jsonl",
    extensions: &["jsonl"],
    build: |_: &Flags| Arc::new(JsonLines),
    is_own_report,
    is_whole_report,
};

/// The JSON Lines report has no options.
#[derive(Debug, Clone, Copy)]
struct JsonLines;

/// One line: an observation and its subscription's verdict.
#[derive(Serialize)]
struct Line<'a> {
    #[serde(flatten)]
    observation: ObservationRow<'a>,
    verdict: Option<Verdict>,
    flags: Option<&'a [&'static str]>,
    /// The subscription's exception (`accepted`, `expired`), only with a register.
    #[serde(skip_serializing_if = "Option::is_none")]
    exception: Option<&'static str>,
}

impl Render for JsonLines {
    fn render(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        // The verdict of every (subscription, check), looked up per observation.
        type Of = (Verdict, Vec<&'static str>, Option<&'static str>);
        let verdicts: HashMap<(&str, &str), Of> = rows::subscriptions(report)
            .map(|s| {
                let exception = s.exception.map(|e| e.status.as_str());
                (
                    (s.subscription_id, s.check),
                    (s.verdict, s.flags, exception),
                )
            })
            .collect();
        for observation in rows::observations(report) {
            let verdict = observation
                .subscription_id
                .and_then(|id| verdicts.get(&(id, observation.check)));
            let line = Line {
                verdict: verdict.map(|(v, _, _)| *v),
                flags: verdict.map(|(_, f, _)| f.as_slice()),
                exception: verdict.and_then(|(_, _, e)| *e),
                observation,
            };
            // `From` keeps an I/O error's kind (a closed pipe stays `BrokenPipe`).
            serde_json::to_writer(&mut *out, &line).map_err(io::Error::from)?;
            out.write_all(b"\n")?;
        }
        Ok(())
    }
}

/// A line as this tool writes it: exactly these fields (their values are not checked).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[expect(dead_code, reason = "only the fields' presence is checked")]
struct Shape {
    path: serde_json::Value,
    format: serde_json::Value,
    subscription_id: serde_json::Value,
    check: serde_json::Value,
    control: serde_json::Value,
    subscription_source: serde_json::Value,
    outcome: serde_json::Value,
    enabled: serde_json::Value,
    location: serde_json::Value,
    detail: serde_json::Value,
    sha256: serde_json::Value,
    size: serde_json::Value,
    collected_at: serde_json::Value,
    collected_by: serde_json::Value,
    collected_from: serde_json::Value,
    verdict: serde_json::Value,
    flags: serde_json::Value,
    #[serde(default)]
    exception: serde_json::Value,
}

/// Whether `bytes` are a JSON Lines report of this tool: the first line is an object
/// starting with `"path"` and holding exactly the fields of a line. Only the first line is
/// read.
#[must_use]
pub fn is_own_report(bytes: &[u8]) -> bool {
    if !bytes.starts_with(b"{\"path\":") {
        return false;
    }
    let first = bytes
        .iter()
        .position(|&b| b == b'\n')
        .and_then(|end| bytes.get(..end))
        .unwrap_or(bytes);
    serde_json::from_slice::<Shape>(first).is_ok()
}

/// Whether `bytes` are a whole JSON Lines report of this tool: every line, to the last
/// (which ends with a new line), holds exactly the fields of a line.
#[must_use]
pub fn is_whole_report(bytes: &[u8]) -> bool {
    bytes.strip_suffix(b"\n").is_some_and(|lines| {
        lines
            .split(|&b| b == b'\n')
            .all(|line| serde_json::from_slice::<Shape>(line).is_ok())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_of_another_shape_is_not_a_report() {
        assert!(!is_own_report(b""));
        assert!(!is_own_report(b"{\"path\":\"x\"}\n"));
        assert!(!is_own_report(b"{\"name\":\"WDATP\",\"enabled\":true}\n"));
        let line = r#"{"path":"a","format":"rest-list","subscription_id":null,"check":"wdatp","control":null,"subscription_source":null,"outcome":"absent","enabled":null,"location":null,"detail":"d","sha256":"00","size":1,"collected_at":null,"collected_by":null,"collected_from":null,"verdict":null,"flags":null}"#;
        assert!(is_own_report(format!("{line}\n{{\"trunc").as_bytes()));
        assert!(is_own_report(line.as_bytes()));
        let extra = line.replace("\"flags\":null", "\"flags\":null,\"x\":1");
        assert!(!is_own_report(extra.as_bytes()));
    }
}
