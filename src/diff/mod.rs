//! `mdc-evidence diff OLD.json NEW.json`: what changed between two collections. Each
//! (subscription, check) in either report becomes one row with its old and new verdict,
//! the evidence behind each side, and a [`Change`]. Reports of `schema_version` 1 (one
//! check, `wdatp`, implied) and 2 are compared alike.
//!
//! Data flows one way: read both reports (`read.rs`), pair their rows, classify, render
//! (one file per output format beside this one).

pub mod csv;
pub mod json;
pub mod markdown;
mod read;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::Path;
use std::sync::LazyLock;

use serde::Serialize;

use crate::error::Error;
use crate::vocabulary::verdict::Verdict;
use read::{Identity, Read, read_report};

/// What happened to one (subscription, check) between the two reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// It passed, and now fails or its evidence conflicts.
    Regressed,
    /// It had no evidence, and now fails or its evidence conflicts.
    NewlyFailing,
    /// It had a verdict from evidence, and now has none (`no_evidence`).
    EvidenceLost,
    /// In the old report only: the new collection does not cover it.
    Gone,
    /// In the new report only.
    Appeared,
    /// It failed, conflicted or had no evidence, and now passes.
    Remediated,
    /// The same verdict; or `fail` and `conflict` exchanged, failing either way (the row
    /// shows both verdicts).
    Unchanged,
}

impl Change {
    /// Every change, in the order summaries list them: the ones that need action first.
    pub const ALL: [Self; 7] = [
        Self::Regressed,
        Self::NewlyFailing,
        Self::EvidenceLost,
        Self::Gone,
        Self::Appeared,
        Self::Remediated,
        Self::Unchanged,
    ];

    /// The name used in the outputs.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Regressed => "regressed",
            Self::NewlyFailing => "newly_failing",
            Self::EvidenceLost => "evidence_lost",
            Self::Gone => "gone",
            Self::Appeared => "appeared",
            Self::Remediated => "remediated",
            Self::Unchanged => "unchanged",
        }
    }

    /// The change between two verdicts of the same (subscription, check).
    #[must_use]
    pub fn between(old: Option<Verdict>, new: Option<Verdict>) -> Self {
        use Verdict::{Conflict, Fail, NoEvidence, Pass};
        match (old, new) {
            (None, _) => Self::Appeared,
            (Some(_), None) => Self::Gone,
            (Some(old), Some(new)) if old == new => Self::Unchanged,
            (Some(_), Some(Pass)) => Self::Remediated,
            (Some(Pass), Some(Fail | Conflict)) => Self::Regressed,
            (Some(NoEvidence), Some(Fail | Conflict)) => Self::NewlyFailing,
            (Some(_), Some(NoEvidence)) => Self::EvidenceLost,
            (Some(Fail | Conflict), Some(Fail | Conflict)) => Self::Unchanged,
        }
    }
}

/// What a report says of itself, for the outputs' heading.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Source {
    /// The report file, as given.
    pub report: String,
    /// Its `schema_version`.
    pub schema_version: u32,
    /// When it was written.
    pub generated_at: String,
    /// The folders it scanned.
    pub roots: Vec<String>,
    /// The checks it ran.
    pub checks: Vec<String>,
    /// Whether it was given an inventory (`--subscriptions`): its rows then say whether
    /// the inventory lists their subscription.
    pub inventory: bool,
}

/// One file behind a verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// The file, as the report shows it.
    pub path: String,
    /// Its SHA-256, as the report records it (none for a file the scan did not read).
    pub sha256: Option<String>,
}

/// One side of a row: the verdict a report gives, why, and the files behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Side {
    /// The verdict.
    pub verdict: Verdict,
    /// Why, as the report says.
    pub reason: String,
    /// The file that decides a `pass` or `fail` (reports of `schema_version` 2).
    pub deciding_file: Option<String>,
    /// Every file behind the verdict, the deciding one first.
    pub evidence: Vec<Evidence>,
    /// The subscription's name, as this report's inventory gives it.
    pub subscription_name: Option<String>,
    /// Whether this report's inventory lists the subscription (`None`: no inventory).
    pub in_inventory: Option<bool>,
}

/// One (subscription, check) in either report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    /// The subscription, lower case.
    pub subscription_id: String,
    /// The subscription's name, as the new report's inventory gives it, else the old
    /// one's.
    pub subscription_name: Option<String>,
    /// Whether the subscription is in the inventory, as the newest report with a row for
    /// it says: the new report's row, else (a row that is gone) the old one's; `None` when
    /// that report was given no inventory.
    pub in_inventory: Option<bool>,
    /// Whether `in_inventory` is `false`: the change is listed apart, and counts for the
    /// exit status only with `--fail-on-out-of-scope`.
    pub out_of_scope: bool,
    /// The check (the new report's id when it was renamed).
    pub check: String,
    /// The old report's id of the check, when the new report runs it under another id
    /// (the same setting or query, value that passes and control).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
    /// What happened.
    pub change: Change,
    /// Whether both reports ran the check (under one id, or renamed): a row of a check
    /// only one report ran is not a change of the estate and counts for the exit status
    /// only when it appeared failing.
    pub compared: bool,
    /// Whether both sides have the same evidence bytes (every file's SHA-256) and the same
    /// check definition, yet another verdict: a scan cannot give that, so one of the
    /// reports is not what a scan wrote (`verify` names what was edited).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub contradicts: bool,
    /// The old report's side.
    pub old: Option<Side>,
    /// The new report's side.
    pub new: Option<Side>,
}

impl Row {
    /// A row of (subscription, check) between two sides, its scope from the newest side.
    fn new(subscription_id: String, check: String, old: Option<Side>, new: Option<Side>) -> Self {
        let newest = new.as_ref().or(old.as_ref());
        let in_inventory = newest.and_then(|s| s.in_inventory);
        let subscription_name = new
            .as_ref()
            .and_then(|s| s.subscription_name.clone())
            .or_else(|| old.as_ref().and_then(|s| s.subscription_name.clone()));
        Self {
            change: Change::between(
                old.as_ref().map(|s| s.verdict),
                new.as_ref().map(|s| s.verdict),
            ),
            subscription_id,
            subscription_name,
            in_inventory,
            out_of_scope: in_inventory == Some(false),
            check,
            renamed_from: None,
            compared: false,
            contradicts: false,
            old,
            new,
        }
    }

    /// Whether this change needs action, whatever its scope: it regressed, is newly
    /// failing, lost its evidence or is gone from the new collection (for a check both
    /// reports ran), or it appeared failing, whatever the checks: a failing row is never
    /// nothing.
    #[must_use]
    pub fn needs_action(&self) -> bool {
        if self.contradicts {
            return true;
        }
        match self.change {
            Change::Regressed | Change::NewlyFailing | Change::EvidenceLost | Change::Gone => {
                self.compared
            }
            Change::Appeared => self.new.as_ref().is_some_and(|side| failing(side.verdict)),
            Change::Remediated | Change::Unchanged => false,
        }
    }
}

fn failing(verdict: Verdict) -> bool {
    matches!(verdict, Verdict::Fail | Verdict::Conflict)
}

/// The comparison of two reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparison {
    /// The old report.
    pub old: Source,
    /// The new report.
    pub new: Source,
    /// One row per (subscription, check) in either report, sorted by subscription, then
    /// check.
    pub rows: Vec<Row>,
    /// What a reader should know about the comparison itself (checks only one report ran).
    pub warnings: Vec<String>,
    /// Whether a change outside the inventory counts for the exit status
    /// (`--fail-on-out-of-scope`).
    pub fail_on_out_of_scope: bool,
}

impl Comparison {
    /// How many rows in the inventory's scope (every row, without an inventory) have each
    /// change, in [`Change::ALL`] order.
    #[must_use]
    pub fn counts(&self) -> Vec<(Change, usize)> {
        self.counts_where(false)
    }

    /// How many rows outside the inventory have each change, in [`Change::ALL`] order.
    #[must_use]
    pub fn out_of_scope_counts(&self) -> Vec<(Change, usize)> {
        self.counts_where(true)
    }

    fn counts_where(&self, out_of_scope: bool) -> Vec<(Change, usize)> {
        Change::ALL
            .iter()
            .map(|&c| {
                let n = self
                    .rows
                    .iter()
                    .filter(|r| r.change == c && r.out_of_scope == out_of_scope)
                    .count();
                (c, n)
            })
            .collect()
    }

    /// Whether either report was given an inventory.
    #[must_use]
    pub fn has_inventory(&self) -> bool {
        self.old.inventory || self.new.inventory
    }

    /// Whether `row` makes `diff` exit 1: it needs action ([`Row::needs_action`]) and is
    /// in scope, or `--fail-on-out-of-scope` was given.
    #[must_use]
    pub fn row_needs_action(&self, row: &Row) -> bool {
        row.needs_action() && (!row.out_of_scope || self.fail_on_out_of_scope)
    }

    /// Whether anything in scope regressed, is newly failing, lost its evidence, is gone,
    /// or appeared failing (exit status 1); outside the inventory too with
    /// `--fail-on-out-of-scope`.
    #[must_use]
    pub fn needs_action(&self) -> bool {
        self.rows.iter().any(|r| self.row_needs_action(r))
    }

    /// The summary line for standard error.
    #[must_use]
    pub fn line(&self) -> String {
        let rows = self.rows.len();
        let mut line = format!(
            "diff: {rows} (subscription, check) {}: ",
            if rows == 1 { "pair" } else { "pairs" }
        );
        let parts: Vec<String> = self
            .counts()
            .into_iter()
            .map(|(change, n)| {
                let mut part = format!("{n} {}", change.as_str().replace('_', " "));
                if change == Change::Appeared {
                    let failing = self
                        .rows
                        .iter()
                        .filter(|r| {
                            r.change == Change::Appeared && !r.out_of_scope && r.needs_action()
                        })
                        .count();
                    if failing > 0 {
                        let _ = write!(part, " ({failing} failing)");
                    }
                }
                part
            })
            .collect();
        line.push_str(&parts.join(", "));
        let outside: Vec<&Row> = self.rows.iter().filter(|r| r.out_of_scope).collect();
        if !outside.is_empty() {
            let changed: Vec<String> = self
                .out_of_scope_counts()
                .into_iter()
                .filter(|&(c, n)| n > 0 && c != Change::Unchanged)
                .map(|(c, n)| format!("{n} {}", c.as_str().replace('_', " ")))
                .collect();
            let _ = write!(
                line,
                "; outside the inventory, listed apart: {} {}{}",
                outside.len(),
                if outside.len() == 1 { "pair" } else { "pairs" },
                if changed.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", changed.join(", "))
                }
            );
            if !self.fail_on_out_of_scope && outside.iter().any(|r| r.needs_action()) {
                line.push_str(", not counted for the exit status (--fail-on-out-of-scope)");
            }
        }
        line
    }
}

/// The checks the new report runs under another id than the old one: new id -> old id,
/// for each check only one report names whose identity is the same as that of exactly one
/// check only the other names.
fn renames(old: &Read, new: &Read) -> BTreeMap<String, String> {
    let only = |this: &Read, other: &Read| -> Vec<(String, Identity)> {
        this.identities
            .iter()
            .filter(|(id, _)| !other.source.checks.contains(id))
            .map(|(id, identity)| (id.clone(), identity.clone()))
            .collect()
    };
    let old_only = only(old, new);
    let new_only = only(new, old);
    let mut renames = BTreeMap::new();
    for (old_id, identity) in &old_only {
        let mut in_new = new_only.iter().filter(|(_, i)| i == identity);
        let in_old = old_only.iter().filter(|(_, i)| i == identity).count();
        if let (Some((new_id, _)), None, 1) = (in_new.next(), in_new.next(), in_old) {
            renames.insert(new_id.clone(), old_id.clone());
        }
    }
    renames
}

/// Compares the scan reports at `old` and `new`.
///
/// # Errors
/// [`Error::Usage`] when either cannot be read as a JSON scan report of this tool.
pub fn diff(old: &Path, new: &Path) -> Result<Comparison, Error> {
    let old = read_report(old)?;
    let mut new = read_report(new)?;
    let renames = renames(&old, &new);
    // The new report's id of an old check: its own, or the one it was renamed to.
    let new_id_of: BTreeMap<&str, &str> = renames
        .iter()
        .map(|(new_id, old_id)| (old_id.as_str(), new_id.as_str()))
        .collect();
    let in_both = |check: &str| {
        renames.contains_key(check)
            || old.source.checks.iter().any(|c| c == check)
                && new.source.checks.iter().any(|c| c == check)
    };
    let mut rows = Vec::with_capacity(old.rows.len().max(new.rows.len()));
    for ((subscription_id, check), side) in old.rows {
        let (check, renamed_from) = match new_id_of.get(check.as_str()) {
            Some(&new_id) => (new_id.to_owned(), Some(check)),
            None => (check, None),
        };
        let now = new.rows.remove(&(subscription_id.clone(), check.clone()));
        let contradicts = now.as_ref().is_some_and(|now| {
            let old_id = renamed_from.as_deref().unwrap_or(&check);
            now.verdict != side.verdict
                && same_bytes(&side, now)
                && old.definitions.contains_key(old_id)
                && old.definitions.get(old_id) == new.definitions.get(&check)
        });
        let compared = in_both(&check);
        let mut row = Row::new(subscription_id, check, Some(side), now);
        row.contradicts = contradicts;
        row.compared = compared;
        row.renamed_from = renamed_from;
        rows.push(row);
    }
    for ((subscription_id, check), side) in new.rows {
        let compared = in_both(&check);
        let renamed_from = renames.get(&check).cloned();
        let mut row = Row::new(subscription_id, check, None, Some(side));
        row.compared = compared;
        row.renamed_from = renamed_from;
        rows.push(row);
    }
    rows.sort_by(|a, b| {
        (a.subscription_id.as_str(), a.check.as_str())
            .cmp(&(b.subscription_id.as_str(), b.check.as_str()))
    });
    let warnings = warnings(&old.source, &new.source, &new.identities, &renames, &rows);
    Ok(Comparison {
        old: old.source,
        new: new.source,
        rows,
        warnings,
        fail_on_out_of_scope: false,
    })
}

/// What a reader should know about the comparison: rows that contradict their evidence,
/// renamed checks, checks only one report ran.
fn warnings(
    old: &Source,
    new: &Source,
    identities: &BTreeMap<String, Identity>,
    renames: &BTreeMap<String, String>,
    rows: &[Row],
) -> Vec<String> {
    let renamed_old: BTreeSet<&str> = renames.values().map(String::as_str).collect();
    let mut warnings = Vec::new();
    let contradicting: Vec<&Row> = rows.iter().filter(|r| r.contradicts).collect();
    if let Some(first) = contradicting.first() {
        warnings.push(format!(
            "{} (subscription, check) {} the same evidence bytes and check definition with \
             another verdict in each report (first: subscription {} check {}): a scan cannot \
             give that, so a report was edited; run verify on each",
            contradicting.len(),
            if contradicting.len() == 1 {
                "pair has"
            } else {
                "pairs have"
            },
            crate::escape::printable(&first.subscription_id, &[]),
            crate::escape::printable(&first.check, &[]),
        ));
    }
    for (new_id, old_id) in renames {
        let identity = identities
            .get(new_id)
            .map(Identity::describe)
            .unwrap_or_default();
        warnings.push(format!(
            "check {} of {} is check {} of {} under another id (the same {identity}): \
             their rows are compared",
            crate::escape::printable(new_id, &[]),
            new.report,
            crate::escape::printable(old_id, &[]),
            old.report,
        ));
    }
    let old_checks: BTreeSet<&String> = old
        .checks
        .iter()
        .filter(|c| !renamed_old.contains(c.as_str()))
        .collect();
    let new_checks: BTreeSet<&String> = new
        .checks
        .iter()
        .filter(|c| !renames.contains_key(c.as_str()))
        .collect();
    for (only, report, shows) in [
        (
            old_checks.difference(&new_checks),
            &old.report,
            "gone and do not count for the exit status",
        ),
        (
            new_checks.difference(&old_checks),
            &new.report,
            "appeared; only a failing one counts for the exit status",
        ),
    ] {
        for check in only {
            warnings.push(format!(
                "check {} was run only for {report}: its rows show as {shows}",
                crate::escape::printable(check, &[])
            ));
        }
    }
    warnings
}

/// Whether both sides stand on the same bytes: each names files, every one with a
/// SHA-256, and the digests are the same (whatever the paths).
fn same_bytes(old: &Side, new: &Side) -> bool {
    let digests = |side: &Side| -> Option<Vec<String>> {
        let mut digests: Vec<String> = side
            .evidence
            .iter()
            .map(|e| e.sha256.clone())
            .collect::<Option<_>>()?;
        digests.sort_unstable();
        Some(digests)
    };
    !old.evidence.is_empty() && digests(old).is_some() && digests(old) == digests(new)
}

/// Whether `bytes` start like an output of `diff` (the JSON one starts like a scan
/// report and is recognised as such): a later scan of its folder never reads it as
/// evidence.
#[must_use]
pub fn is_own_output(bytes: &[u8]) -> bool {
    // Asked of every file a scan reads: the CSV header line is built once.
    static CSV_HEADER_LINES: LazyLock<[String; 2]> = LazyLock::new(|| {
        [
            format!("{}\r\n", csv::HEADER.join(",")),
            format!("{}\r\n", csv::EARLIER_HEADER.join(",")),
        ]
    });
    bytes.starts_with(markdown::TITLE.as_bytes())
        || CSV_HEADER_LINES
            .iter()
            .any(|line| bytes.starts_with(line.as_bytes()))
}

/// An output format of `diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One row per (subscription, check).
    Csv,
    /// The whole comparison.
    Json,
    /// A short summary for a ticket or an e-mail: the counts, then the rows that changed.
    Markdown,
}

impl Format {
    /// The format a file name's extension calls for.
    #[must_use]
    pub fn by_file_name(path: &Path) -> Option<Self> {
        let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
        let (stem, extension) = name.rsplit_once('.')?;
        if stem.is_empty() {
            return None;
        }
        match extension {
            "csv" => Some(Self::Csv),
            "json" => Some(Self::Json),
            "md" | "markdown" => Some(Self::Markdown),
            _ => None,
        }
    }

    /// Writes `comparison` in this format.
    ///
    /// # Errors
    /// An I/O error from `out`.
    pub fn render(self, comparison: &Comparison, out: &mut dyn Write) -> io::Result<()> {
        match self {
            Self::Csv => csv::render(comparison, out),
            Self::Json => json::render(comparison, out),
            Self::Markdown => markdown::render(comparison, out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Change;
    use crate::vocabulary::verdict::Verdict::{self, Conflict, Fail, NoEvidence, Pass};

    #[test]
    fn every_pair_of_verdicts_has_one_change() {
        let all = [
            None,
            Some(Pass),
            Some(Fail),
            Some(Conflict),
            Some(NoEvidence),
        ];
        let expected = |old: Option<Verdict>, new: Option<Verdict>| match (old, new) {
            (None, _) => "appeared",
            (_, None) => "gone",
            (Some(o), Some(n)) if o == n => "unchanged",
            (_, Some(Pass)) => "remediated",
            (Some(Pass), _) if new != Some(NoEvidence) => "regressed",
            (Some(NoEvidence), _) => "newly_failing",
            (_, Some(NoEvidence)) => "evidence_lost",
            _ => "unchanged",
        };
        for old in all {
            for new in all {
                assert_eq!(
                    Change::between(old, new).as_str(),
                    expected(old, new),
                    "{old:?} -> {new:?}"
                );
            }
        }
        assert_eq!(
            Change::between(Some(Fail), Some(Conflict)),
            Change::Unchanged
        );
        assert_eq!(
            Change::between(Some(Conflict), Some(Pass)),
            Change::Remediated
        );
        assert_eq!(
            Change::between(Some(Pass), Some(NoEvidence)),
            Change::EvidenceLost
        );
    }
}
