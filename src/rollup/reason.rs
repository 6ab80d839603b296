//! The verdict rule: what a group of evidence decides for one subscription and check, and
//! its reason in one sentence an auditor can read.

use super::{Evidence, Found};
use crate::checks::{Absent, Check, Rule};
use crate::vocabulary::entry::Skip;
use crate::vocabulary::outcome::Outcome;
use crate::vocabulary::verdict::Verdict;

/// How a check's reasons name a value: `enabled`/`disabled` for a setting, the expected
/// value or another for a query.
fn word(check: &Check, value: bool) -> &'static str {
    match (&check.rule, value) {
        (Rule::Setting(_), true) => "enabled",
        (Rule::Setting(_), false) => "disabled",
        (Rule::Query { .. }, true) => "the expected value",
        (Rule::Query { .. }, false) => "another value",
    }
}

pub(super) fn judge(items: &[Evidence<'_>], check: &Check) -> (Verdict, String) {
    if items.is_empty() {
        return (Verdict::NoEvidence, "no evidence file".to_owned());
    }
    let name = check.subject();
    let first = |outcome: Outcome| items.iter().find(|e| e.outcome() == Some(outcome));
    let count = |outcome: Outcome| {
        items
            .iter()
            .filter(|e| e.outcome() == Some(outcome))
            .count()
    };
    // The value that passes, the other one, and what an absent setting counts as.
    let (pass_outcome, fail_outcome) = if check.passes_when {
        (Outcome::Enabled, Outcome::Disabled)
    } else {
        (Outcome::Disabled, Outcome::Enabled)
    };
    let absent = count(Outcome::Absent);
    let (absent_good, absent_bad) = match check.absent {
        Absent::Fail => (0, absent),
        Absent::Pass => (absent, 0),
        Absent::Unknown => (0, 0),
    };
    let passing = count(pass_outcome);
    let failing = count(fail_outcome);
    let others = non_deciding(items, check);
    let absent_phrase =
        |n: usize| format!("absent from the complete settings list in {}", files(n));
    match (passing + absent_good, failing + absent_bad) {
        (0, 0) => (
            Verdict::NoEvidence,
            format!("no file decides {name}: {others}{}", causes(items)),
        ),
        (_, 0) => {
            let mut parts = Vec::new();
            if passing > 0 {
                parts.push(format!(
                    "{} in {}",
                    word(check, check.passes_when),
                    files(passing)
                ));
            }
            if absent_good > 0 {
                parts.push(absent_phrase(absent_good));
            }
            (
                Verdict::Pass,
                with_others(format!("{name} is {}", parts.join(" and ")), &others),
            )
        }
        (0, _) => {
            let mut parts = Vec::new();
            if failing > 0 {
                parts.push(format!(
                    "{} in {}",
                    word(check, !check.passes_when),
                    files(failing)
                ));
            }
            if absent_bad > 0 {
                parts.push(absent_phrase(absent_bad));
            }
            (
                Verdict::Fail,
                with_others(format!("{name} is {}", parts.join(" and ")), &others),
            )
        }
        (good, bad) => {
            let on = first(pass_outcome)
                .or_else(|| first(Outcome::Absent))
                .map_or("", |e| e.path);
            let off = first(fail_outcome)
                .or_else(|| first(Outcome::Absent))
                .map_or("", |e| e.path);
            let on_word = if passing == 0 {
                "absent".to_owned()
            } else {
                word(check, check.passes_when).to_owned()
            };
            let off_word = match (failing, absent_bad) {
                (0, _) => "absent".to_owned(),
                (_, 0) => word(check, !check.passes_when).to_owned(),
                _ => format!("{} or absent", word(check, !check.passes_when)),
            };
            (
                Verdict::Conflict,
                format!(
                    "files disagree: {name} is {on_word} in {} (e.g. {on}) but {off_word} in {} (e.g. {off})",
                    files(good),
                    files(bad)
                ),
            )
        }
    }
}

pub(super) fn files(n: usize) -> String {
    if n == 1 {
        "1 file".to_owned()
    } else {
        format!("{n} files")
    }
}

/// `1 collection_error, 2 malformed` for the observations that do not decide, then the
/// files that were not read (`1 file not read: a/x.txt (larger than ...)`).
fn non_deciding(items: &[Evidence<'_>], check: &Check) -> String {
    let absent_decides = check.absent != Absent::Unknown;
    let mut parts: Vec<String> = Outcome::ALL
        .iter()
        .filter(|o| !o.is_deciding() || (**o == Outcome::Absent && !absent_decides))
        .filter_map(|&outcome| {
            let n = items
                .iter()
                .filter(|e| e.outcome() == Some(outcome))
                .count();
            (n > 0).then(|| format!("{n} {outcome}"))
        })
        .collect();
    let unread: Vec<(&str, &Skip)> = items
        .iter()
        .filter_map(|e| match e.found {
            Found::NotRead(skip) => Some((e.path, skip)),
            Found::Outcome(_) => None,
        })
        .collect();
    if let Some((path, skip)) = unread.first() {
        let more = match unread.len() {
            1 => String::new(),
            n => format!(" and {} more", n - 1),
        };
        parts.push(format!(
            "{} not read: {path} ({skip}){more}",
            files(unread.len())
        ));
    }
    parts.join(", ")
}

/// What the failed collections among `items` mean, as `; AuthorizationFailed: the identity
/// ...`, each known cause once, in report order; empty when none is known.
fn causes(items: &[Evidence<'_>]) -> String {
    let mut seen: Vec<(&str, &str)> = Vec::new();
    for e in items
        .iter()
        .filter(|e| e.outcome() == Some(Outcome::CollectionError))
    {
        if let Some(cause) = crate::causes::of(e.detail)
            && !seen.contains(&cause)
        {
            seen.push(cause);
        }
    }
    let mut text = String::new();
    for (code, meaning) in seen {
        text.push_str("; ");
        text.push_str(code);
        text.push_str(": ");
        text.push_str(meaning);
    }
    text
}

fn with_others(reason: String, others: &str) -> String {
    if others.is_empty() {
        reason
    } else {
        format!("{reason}; other files decide nothing ({others})")
    }
}
