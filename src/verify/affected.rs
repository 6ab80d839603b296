//! The auditor's next question after a file changed, went missing or appeared: which
//! verdicts it was evidence for, and which of them it decided; and each file shown under
//! the root actually checked (with `--root`, the folder the evidence moved to), the path
//! the report shows kept beside it.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;
use serde_json::Value;

use super::Checked;

/// One verdict (subscription, check) a file was evidence for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Affected {
    /// The subscription, as the report writes it.
    pub subscription_id: String,
    /// The check.
    pub check: String,
    /// The verdict: the report's for a file it lists, the one the evidence gives now for a
    /// new file.
    pub verdict: String,
    /// Whether the file is the verdict's deciding file.
    pub decided: bool,
}

/// Every verdict of `report` (the JSON report) by the paths of its files, in report order.
fn by_path(report: &Value) -> BTreeMap<&str, Vec<Affected>> {
    let mut by_path: BTreeMap<&str, Vec<Affected>> = BTreeMap::new();
    let rows = report.get("subscriptions").and_then(Value::as_array);
    for row in rows.into_iter().flatten() {
        let text = |key: &str| row.get(key).and_then(Value::as_str);
        let deciding = text("deciding_file");
        let paths = row.get("observations").and_then(Value::as_array);
        for path in paths.into_iter().flatten().filter_map(Value::as_str) {
            by_path.entry(path).or_default().push(Affected {
                subscription_id: text("subscription_id").unwrap_or_default().to_owned(),
                check: text("check")
                    .unwrap_or(crate::saved::SCHEMA_1_CHECK)
                    .to_owned(),
                verdict: text("verdict").unwrap_or_default().to_owned(),
                decided: deciding == Some(path),
            });
        }
    }
    by_path
}

/// Gives each file that breaks the chain of custody the verdicts it was evidence for: in
/// `recorded` (the report) for a file the report lists, in `derived` (the report the
/// evidence gives now, when it could be re-derived) for a new one. Paths are the report's.
pub(super) fn attach(files: &mut [Checked], recorded: &Value, derived: Option<&Value>) {
    let (then, now) = (by_path(recorded), derived.map(by_path).unwrap_or_default());
    for file in files.iter_mut().filter(|f| f.state.is_break()) {
        let source = if file.state == super::State::New {
            &now
        } else {
            &then
        };
        if let Some(verdicts) = source.get(file.path.as_str()) {
            file.verdicts.clone_from(verdicts);
        }
    }
}

/// Shows each file under the folder walked for its root (`walked`: each walked folder
/// with the root the report records for it), the report's path kept in `report_path`
/// where the two differ; sorted by the path shown.
pub(super) fn show_walked(files: &mut [Checked], walked: &[(PathBuf, String)]) {
    let roots: Vec<(String, &str)> = walked
        .iter()
        .map(|(path, recorded)| (crate::escape::display(path), recorded.as_str()))
        .filter(|(shown, recorded)| shown != recorded)
        .collect();
    if roots.is_empty() {
        return;
    }
    for file in files.iter_mut() {
        if let Some(shown) = walked_path(&file.path, &roots) {
            file.report_path = Some(std::mem::replace(&mut file.path, shown));
        }
    }
    files.sort_by(|a, b| a.path.as_bytes().cmp(b.path.as_bytes()));
}

/// The path under the walked folder of a path the report shows under its recorded root:
/// the longest recorded root it starts with, at a separator, replaced.
fn walked_path(path: &str, roots: &[(String, &str)]) -> Option<String> {
    let mut best: Option<(usize, String)> = None;
    for (shown, recorded) in roots {
        let candidate = if path == *recorded {
            Some(shown.clone())
        } else {
            path.strip_prefix(recorded)
                .filter(|rest| recorded.ends_with('/') || rest.starts_with('/'))
                .map(|rest| {
                    let rest = rest.trim_start_matches('/');
                    format!("{}/{rest}", shown.trim_end_matches('/'))
                })
        };
        if let Some(candidate) = candidate
            && best.as_ref().is_none_or(|(len, _)| recorded.len() > *len)
        {
            best = Some((recorded.len(), candidate));
        }
    }
    best.map(|(_, path)| path)
}

/// How many verdicts of one file the text detail names (the JSON and CSV name all).
pub(super) const SHOWN_VERDICTS: usize = 10;

/// The verdicts a file was evidence for: `SUBSCRIPTION CHECK (VERDICT[, decided])`,
/// separated by `; `, the first `most`, then how many more.
pub(super) fn verdicts(affected: &[Affected], most: usize) -> String {
    let mut shown: Vec<String> = affected
        .iter()
        .take(most)
        .map(|a| {
            format!(
                "{} {} ({}{})",
                a.subscription_id,
                a.check,
                a.verdict,
                if a.decided { ", decided" } else { "" }
            )
        })
        .collect();
    if affected.len() > most {
        shown.push(format!("and {} more", affected.len() - most));
    }
    shown.join("; ")
}

#[cfg(test)]
mod tests {
    use super::walked_path;

    #[test]
    fn a_path_moves_to_the_walked_folder_at_a_separator_only() {
        let roots = [
            ("new".to_owned(), "old"),
            ("/mnt/x/".to_owned(), "old/sub/"),
        ];
        assert_eq!(
            walked_path("old/a.json", &roots).as_deref(),
            Some("new/a.json")
        );
        assert_eq!(walked_path("old", &roots).as_deref(), Some("new"));
        assert_eq!(walked_path("older/a.json", &roots), None);
        assert_eq!(
            walked_path("old/sub/b.json", &roots).as_deref(),
            Some("/mnt/x/b.json")
        );
    }
}
