//! Reading the two reports `diff` compares: the part of a scan report it reads (any
//! `schema_version`), each row as a [`Side`] by (subscription, check), each check's
//! definition and its [`Identity`] (what it reads, and its control), by which a check
//! renamed between the reports is recognised.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::{Evidence, Side, Source};
use crate::error::{Error, shown};
use crate::vocabulary::verdict::Verdict;

/// The part of a scan report `diff` reads.
#[derive(Debug, Deserialize)]
struct Saved {
    run: SavedRun,
    /// The checks run (`schema_version` 2), as written; version 1 ran `wdatp` only.
    #[serde(default)]
    checks: Option<Vec<serde_json::Value>>,
    subscriptions: Vec<SavedRow>,
    files: Vec<SavedFile>,
    #[serde(default)]
    summary: Option<SavedSummary>,
}

/// The part of the summary `diff` reads: `out_of_scope` is there only when the scan was
/// given an inventory.
#[derive(Debug, Deserialize)]
struct SavedSummary {
    #[serde(default)]
    out_of_scope: Option<serde::de::IgnoredAny>,
}

#[derive(Debug, Deserialize)]
struct SavedRun {
    generated_at: String,
    roots: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct SavedCheck {
    id: String,
    #[serde(default)]
    setting: Option<String>,
    #[serde(default)]
    query: Option<String>,
    #[serde(default)]
    expect: Option<serde_json::Value>,
    #[serde(default)]
    passes_when: Option<serde_json::Value>,
}

/// What a check reads and the control its rows show: two checks with the same are one
/// check under two ids. `None` when the report does not say (no rows, no control).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Identity {
    /// `setting NAME` (any case) or `query TEXT = VALUE`, and the value that passes.
    reads: String,
    /// The control id every row of the check shows.
    control: String,
}

impl Identity {
    /// What the warning about a renamed check says of it.
    pub(super) fn describe(&self) -> String {
        format!("{} and control {}", self.reads, self.control)
    }
}

#[derive(Debug, Deserialize)]
struct SavedRow {
    subscription_id: String,
    #[serde(default)]
    check: Option<String>,
    #[serde(default)]
    control: Option<String>,
    verdict: Verdict,
    reason: String,
    #[serde(default)]
    deciding_file: Option<String>,
    #[serde(default)]
    observations: Vec<String>,
    #[serde(default)]
    subscription_name: Option<String>,
    #[serde(default)]
    in_inventory: Option<bool>,
}

#[derive(Debug, Deserialize)]
struct SavedFile {
    path: String,
    #[serde(default)]
    sha256: Option<String>,
}

/// One report, read: its heading and its rows by (subscription, check).
pub(super) struct Read {
    pub(super) source: Source,
    /// Each check's definition as the report writes it, less its id.
    pub(super) definitions: BTreeMap<String, serde_json::Value>,
    pub(super) rows: BTreeMap<(String, String), Side>,
    /// Each check's identity, where the report gives one.
    pub(super) identities: BTreeMap<String, Identity>,
}

pub(super) fn read_report(path: &Path) -> Result<Read, Error> {
    let (schema_version, saved): (u32, Saved) = crate::saved::read(path, "diff")?;
    let hashes: BTreeMap<&str, Option<&str>> = saved
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.sha256.as_deref()))
        .collect();
    let bad_check = |e: serde_json::Error| {
        Error::Usage(format!(
            "report {} cannot be read by diff: a check: {e}",
            shown(path)
        ))
    };
    let parsed: Vec<SavedCheck> = saved
        .checks
        .iter()
        .flatten()
        .map(|c| SavedCheck::deserialize(c).map_err(bad_check))
        .collect::<Result<_, _>>()?;
    let checks = match &saved.checks {
        Some(_) => parsed.iter().map(|c| c.id.clone()).collect(),
        None => vec![crate::saved::SCHEMA_1_CHECK.to_owned()],
    };
    let definitions = parsed
        .iter()
        .zip(saved.checks.iter().flatten())
        .map(|(check, definition)| {
            let mut definition = definition.clone();
            if let Some(map) = definition.as_object_mut() {
                map.remove("id");
            }
            (check.id.clone(), definition)
        })
        .collect();
    let identities = identities(&saved, &parsed);
    let mut rows = BTreeMap::new();
    for row in &saved.subscriptions {
        let check = row
            .check
            .clone()
            .unwrap_or_else(|| crate::saved::SCHEMA_1_CHECK.to_owned());
        let side = Side {
            verdict: row.verdict,
            reason: row.reason.clone(),
            deciding_file: row.deciding_file.clone(),
            subscription_name: row.subscription_name.clone(),
            in_inventory: row.in_inventory,
            evidence: row
                .observations
                .iter()
                .map(|path| Evidence {
                    path: path.clone(),
                    sha256: hashes
                        .get(path.as_str())
                        .copied()
                        .flatten()
                        .map(str::to_owned),
                })
                .collect(),
        };
        let key = (row.subscription_id.to_ascii_lowercase(), check);
        if rows.insert(key.clone(), side).is_some() {
            return Err(Error::Usage(format!(
                "report {} has two rows for subscription {} and check {}: it is not a \
                 report as scan writes it",
                shown(path),
                crate::escape::printable(&key.0, &[]),
                crate::escape::printable(&key.1, &[])
            )));
        }
    }
    Ok(Read {
        source: Source {
            report: shown(path),
            schema_version,
            generated_at: saved.run.generated_at,
            roots: saved.run.roots,
            checks,
            inventory: saved
                .summary
                .as_ref()
                .is_some_and(|s| s.out_of_scope.is_some())
                || saved.subscriptions.iter().any(|r| r.in_inventory.is_some()),
        },
        rows,
        identities,
        definitions,
    })
}

/// Each check's [`Identity`]: what it reads (from `checks[]`) and the one control id all
/// its rows show.
fn identities(saved: &Saved, checks: &[SavedCheck]) -> BTreeMap<String, Identity> {
    let mut identities = BTreeMap::new();
    for check in checks {
        let passes = check
            .passes_when
            .as_ref()
            .map_or_else(String::new, ToString::to_string);
        let reads = match (&check.setting, &check.query, &check.expect) {
            (Some(setting), _, _) => {
                format!("setting {} (passes when {passes})", setting.to_lowercase())
            }
            (None, Some(query), Some(expect)) => format!("query {query} = {expect}"),
            _ => continue,
        };
        let mut controls = saved
            .subscriptions
            .iter()
            .filter(|row| row.check.as_deref() == Some(check.id.as_str()))
            .map(|row| row.control.as_deref());
        let Some(Some(control)) = controls.next() else {
            continue;
        };
        if controls.all(|other| other == Some(control)) {
            identities.insert(
                check.id.clone(),
                Identity {
                    reads,
                    control: control.to_owned(),
                },
            );
        }
    }
    identities
}
