//! The report re-derived: what a scan of the evidence now under the roots, with the
//! configuration the report records, gives, compared with what the report says. Every
//! file's state comes from that one scan, and every field that differs (a verdict, a
//! reason, a flag, an observation, a manifest entry, a count) is named.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use super::{Checked, State};
use crate::vocabulary::entry::Skip;

/// One thing the report says that the evidence does not give.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// What it is about: `file PATH`, `subscription S check C`, `observation PATH
    /// (subscription S, check C)`, `run`, `summary`, `checks`, ...
    pub at: String,
    /// The field, as a JSON pointer inside that entry (`/verdict`); empty for the whole
    /// entry.
    pub field: String,
    /// What the report says (compact JSON), `None` when it does not have it.
    pub report: Option<String>,
    /// What the evidence gives, `None` when it gives no such thing.
    pub evidence: Option<String>,
}

/// The files and differences of a report against its re-derivation.
pub(super) struct Compared {
    /// Every file of the report, and every new one, unsorted.
    pub files: Vec<Checked>,
    /// Everything else that differs.
    pub differences: Vec<Difference>,
}

/// The reasons of entries that are this tool's own files (its reports, its temporary
/// files): never evidence, so not `new`, and one such reason is as good as another.
fn is_own_file(file: &Value) -> bool {
    let reason = file.get("reason").and_then(Value::as_str).unwrap_or("");
    [Skip::ReportOutput, Skip::EarlierReport, Skip::TemporaryFile]
        .iter()
        .any(|skip| skip.to_string() == reason)
}

/// Replaces, in every text of `value`, the walked roots as shown by the roots the report
/// recorded for them (`roots`: shown, recorded; only those that differ), where a path
/// starts: the whole text, or after a space, quote, bracket or separator.
pub(super) fn show_as_recorded(value: &mut Value, roots: &[(String, String)]) {
    match value {
        Value::String(text) => {
            for (shown, recorded) in roots {
                if text == shown {
                    text.clone_from(recorded);
                    continue;
                }
                let from = format!("{}/", shown.trim_end_matches('/'));
                let to = format!("{}/", recorded.trim_end_matches('/'));
                if !text.contains(&from) {
                    continue;
                }
                let mut out = String::with_capacity(text.len());
                let mut rest = text.as_str();
                let mut previous: Option<char> = None;
                while let Some(at) = rest.find(&from) {
                    let (before, after) = rest.split_at(at);
                    out.push_str(before);
                    let boundary = before.chars().next_back().or(previous);
                    if boundary.is_none_or(|c| " \t(\"'`,;:[{".contains(c)) {
                        out.push_str(&to);
                    } else {
                        out.push_str(&from);
                    }
                    previous = from.chars().next_back();
                    rest = after.get(from.len()..).unwrap_or("");
                }
                out.push_str(rest);
                *text = out;
            }
        }
        Value::Array(items) => {
            for item in items {
                show_as_recorded(item, roots);
            }
        }
        Value::Object(map) => {
            for item in map.values_mut() {
                show_as_recorded(item, roots);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// Compares the report (`recorded`) with its re-derivation (`derived`), both as the JSON
/// report writes them.
pub(super) fn compare(recorded: &Value, derived: &Value) -> Compared {
    let mut differences = Vec::new();
    let (files, ignored) = compare_files(recorded, derived, &mut differences);
    let keys: BTreeSet<&String> = [recorded, derived]
        .iter()
        .filter_map(|v| v.as_object())
        .flat_map(|map| map.keys())
        .collect();
    for key in keys {
        let (mine, theirs) = (recorded.get(key), derived.get(key));
        match key.as_str() {
            "files" => {}
            "subscriptions" => keyed(
                mine,
                theirs,
                |row| {
                    format!(
                        "subscription {} check {}",
                        text_of(row.get("subscription_id")),
                        text_of(row.get("check"))
                    )
                },
                &mut differences,
            ),
            "observations" => keyed(
                mine,
                theirs,
                |row| {
                    format!(
                        "observation {} (subscription {}, check {})",
                        text_of(row.get("path")),
                        match row.get("subscription_id") {
                            Some(Value::String(s)) => s.clone(),
                            _ => "unattributed".to_owned(),
                        },
                        text_of(row.get("check"))
                    )
                },
                &mut differences,
            ),
            "checks" => keyed(
                mine,
                theirs,
                |check| format!("check {}", text_of(check.get("id"))),
                &mut differences,
            ),
            "summary" => {
                // The tool's own files found now (this report, later ones) are no part of
                // what the report counted.
                let mut theirs = theirs.cloned();
                if let Some(summary) = theirs.as_mut() {
                    for count in ["files_seen", "files_skipped"] {
                        if let Some(n) = summary.get_mut(count)
                            && let Some(value) = n.as_u64()
                        {
                            *n = Value::from(value.saturating_sub(ignored));
                        }
                    }
                }
                deep(
                    "summary",
                    String::new(),
                    mine,
                    theirs.as_ref(),
                    &mut differences,
                );
            }
            "run" => {
                // Whether the kernel let files be read without changing their access times
                // depends on who reads them, not on the evidence.
                let strip = |run: Option<&Value>| {
                    run.cloned().map(|mut run| {
                        if let Some(map) = run.as_object_mut() {
                            map.remove("access_times");
                        }
                        run
                    })
                };
                deep(
                    "run",
                    String::new(),
                    strip(mine).as_ref(),
                    strip(theirs).as_ref(),
                    &mut differences,
                );
            }
            _ => deep(key, String::new(), mine, theirs, &mut differences),
        }
    }
    Compared { files, differences }
}

/// The text of a JSON string, or the JSON of anything else.
fn text_of(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => "null".to_owned(),
    }
}

/// Compares two arrays of entries, each named by `name`: entries only on one side, and
/// fields that differ.
fn keyed(
    mine: Option<&Value>,
    theirs: Option<&Value>,
    name: impl Fn(&Value) -> String,
    differences: &mut Vec<Difference>,
) {
    let mine = index(mine, &name, differences);
    let theirs = index(theirs, &name, differences);
    let keys: BTreeSet<&String> = mine.keys().chain(theirs.keys()).collect();
    for key in keys {
        match (mine.get(key), theirs.get(key)) {
            (Some(a), Some(b)) => deep(key, String::new(), Some(a), Some(b), differences),
            (a, b) => differences.push(Difference {
                at: key.clone(),
                field: String::new(),
                report: a.map(ToString::to_string),
                evidence: b.map(ToString::to_string),
            }),
        }
    }
}

/// The entries of an array by name; two of one name is a difference of its own.
fn index<'a>(
    array: Option<&'a Value>,
    name: &impl Fn(&Value) -> String,
    differences: &mut Vec<Difference>,
) -> BTreeMap<String, &'a Value> {
    let mut map: BTreeMap<String, &Value> = BTreeMap::new();
    for entry in array.and_then(Value::as_array).into_iter().flatten() {
        let key = name(entry);
        if map.insert(key.clone(), entry).is_some() {
            differences.push(Difference {
                at: key,
                field: String::new(),
                report: Some("two entries".to_owned()),
                evidence: None,
            });
        }
    }
    map
}

/// Compares two values field by field, naming each that differs by its JSON pointer.
fn deep(
    at: &str,
    pointer: String,
    mine: Option<&Value>,
    theirs: Option<&Value>,
    differences: &mut Vec<Difference>,
) {
    if let (Some(Value::Object(a)), Some(Value::Object(b))) = (mine, theirs) {
        let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
        for key in keys {
            let escaped = key.replace('~', "~0").replace('/', "~1");
            deep(
                at,
                format!("{pointer}/{escaped}"),
                a.get(key),
                b.get(key),
                differences,
            );
        }
    } else if mine != theirs {
        differences.push(Difference {
            at: at.to_owned(),
            field: pointer,
            report: mine.map(Value::to_string),
            evidence: theirs.map(Value::to_string),
        });
    }
}

/// Each file of the report with what became of it, each file found now that the report
/// does not list, and the differences in the entries of files whose bytes are the same.
/// Returns how many of this tool's own files were found and left out.
fn compare_files(
    recorded: &Value,
    derived: &Value,
    differences: &mut Vec<Difference>,
) -> (Vec<Checked>, u64) {
    fn files(report: &Value) -> BTreeMap<String, &Value> {
        report
            .get("files")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|f| (text_of(f.get("path")), f))
            .collect()
    }
    let mine = files(recorded);
    let mut theirs = files(derived);
    // How many observations the report gives each path.
    let mut observed: BTreeMap<String, usize> = BTreeMap::new();
    for observation in recorded
        .get("observations")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        *observed
            .entry(text_of(observation.get("path")))
            .or_default() += 1;
    }
    let mut checked = Vec::with_capacity(mine.len());
    for (path, file) in &mine {
        let now = theirs.remove(path);
        checked.push(check_file(
            path,
            file,
            now,
            observed.get(path).copied(),
            differences,
        ));
    }
    let mut ignored = 0;
    for (path, now) in theirs {
        if is_own_file(now) {
            ignored += 1;
            continue;
        }
        checked.push(Checked {
            path,
            report_path: None,
            state: State::New,
            recorded_sha256: None,
            recorded_size: None,
            sha256: now.get("sha256").and_then(Value::as_str).map(str::to_owned),
            size: now.get("size").and_then(Value::as_u64),
            note: now.get("reason").and_then(Value::as_str).map(str::to_owned),
            verdicts: Vec::new(),
        });
    }
    (checked, ignored)
}

/// One file of the report against the entry a scan gives now (`None`: not there), and
/// the differences of its entry when its bytes are the same. `observed`: how many
/// observations the report gives it.
fn check_file(
    path: &str,
    file: &Value,
    now: Option<&Value>,
    observed: Option<usize>,
    differences: &mut Vec<Difference>,
) -> Checked {
    let sha256 = |f: &Value| f.get("sha256").and_then(Value::as_str).map(str::to_owned);
    let size = |f: &Value| f.get("size").and_then(Value::as_u64);
    let status = text_of(file.get("status"));
    let mut entry = Checked {
        path: path.to_owned(),
        report_path: None,
        state: State::Missing,
        recorded_sha256: sha256(file),
        recorded_size: size(file),
        sha256: None,
        size: None,
        note: None,
        verdicts: Vec::new(),
    };
    if status != "evaluated"
        && let Some(n) = observed
    {
        differences.push(Difference {
            at: format!("file {path}"),
            field: "/status".to_owned(),
            report: Some(format!(
                "{status} with {n} {}",
                if n == 1 {
                    "observation"
                } else {
                    "observations"
                }
            )),
            evidence: Some("a file not evaluated has no observation".to_owned()),
        });
    }
    let Some(now) = now else {
        return entry;
    };
    entry.sha256 = sha256(now);
    entry.size = size(now);
    let reason_now = text_of(now.get("reason"));
    entry.state = match (&entry.recorded_sha256, &entry.sha256) {
        (None, _) => {
            entry.note = Some(match file.get("reason").and_then(Value::as_str) {
                Some(reason) => format!("the scan did not read it ({status}): {reason}"),
                None => format!("the report records no digest ({status})"),
            });
            State::Unverified
        }
        (Some(was), Some(is)) if was == is && entry.recorded_size == entry.size => State::Unchanged,
        (Some(_), Some(_)) => State::Changed,
        (Some(_), None) if reason_now.starts_with("unreadable") => {
            entry.note = Some(reason_now);
            State::Unreadable
        }
        (Some(_), None) => {
            entry.note = Some(format!("now skipped: {reason_now}"));
            State::Changed
        }
    };
    // Other bytes explain every other difference of the entry.
    if entry.state != State::Changed && !(is_own_file(file) && is_own_file(now)) {
        deep(
            &format!("file {path}"),
            String::new(),
            Some(file),
            Some(now),
            differences,
        );
    }
    entry
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walked_roots_show_as_recorded_where_a_path_starts() {
        let mut value = serde_json::json!({
            "a": "/mnt/ev",
            "b": ["/mnt/ev/x.json", "in /mnt/ev/y.json and (/mnt/ev/z.json)", "/x/mnt/ev/q"],
        });
        show_as_recorded(&mut value, &[("/mnt/ev".to_owned(), "ev/".to_owned())]);
        assert_eq!(
            value,
            serde_json::json!({
                "a": "ev/",
                "b": ["ev/x.json", "in ev/y.json and (ev/z.json)", "/x/mnt/ev/q"],
            })
        );
    }

    #[test]
    fn a_field_that_differs_is_named_by_its_pointer() {
        let mut differences = Vec::new();
        deep(
            "subscription s check c",
            String::new(),
            Some(&serde_json::json!({"verdict": "pass", "flags": []})),
            Some(&serde_json::json!({"verdict": "fail", "flags": []})),
            &mut differences,
        );
        assert_eq!(
            differences,
            [Difference {
                at: "subscription s check c".to_owned(),
                field: "/verdict".to_owned(),
                report: Some("\"pass\"".to_owned()),
                evidence: Some("\"fail\"".to_owned()),
            }]
        );
    }
}
