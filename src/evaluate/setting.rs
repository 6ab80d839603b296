//! The decision rule for a setting check: what a group of a file's entries says about the
//! check's setting. Pure, and the same for every shape: only the setting named exactly so
//! decides (its name cross-checked against its id); `true` is enabled, `false` disabled,
//! anything else malformed; a complete list without it is absent; a record of a failed
//! collection proves nothing.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::attribute::Group;
use crate::checks::{Check, Rule};
use crate::escape::{EXCERPT_CHARS, excerpt};
use crate::formats::{Extent, Flag, Location, Setting};
use crate::subscription;
use crate::vocabulary::outcome::Outcome;

/// An outcome, the value read (for enabled and disabled), where it is, and why.
pub(super) type Decision = (Outcome, Option<bool>, Option<Location>, String);

/// What a group of entries says for one check.
pub(super) fn decide(group: &Group<'_>, check: &Check) -> Decision {
    let name = match &check.rule {
        Rule::Setting(name) => name.as_str(),
        Rule::Query { .. } => return query_in_text(group),
    };
    let mut found = Vec::new();
    for (setting, _, _) in &group.settings {
        match identity(setting, name) {
            Identity::Checked => {
                found.push((&setting.enabled, &setting.location, setting.recovered));
            }
            Identity::Other => {}
            Identity::Inconsistent {
                name: named,
                id_name,
            } => {
                return (
                    Outcome::Malformed,
                    None,
                    Some(setting.location.clone()),
                    format!(
                        "an entry is named {:?} but its id names setting {:?}: \
                         it cannot be trusted as {name} evidence",
                        excerpt(&named, EXCERPT_CHARS),
                        excerpt(&id_name, EXCERPT_CHARS)
                    ),
                );
            }
        }
    }
    if !found.is_empty() {
        return decide_values(&found, &format!("{name} enabled"), name);
    }
    if check.bare_values && !group.scalars.is_empty() {
        let values: Vec<_> = group
            .scalars
            .iter()
            .map(|(flag, location)| (*flag, *location, None))
            .collect();
        return decide_values(
            &values,
            &format!("the CIS audit output ({name}'s enabled value)"),
            name,
        );
    }
    if !group.settings.is_empty() {
        return decide_without(group, name);
    }
    if !group.scalars.is_empty() {
        return (
            Outcome::Unrecognized,
            None,
            None,
            format!(
                "a bare value names no setting: it is read for the CIS audit one-liner's \
                 check only, not for {name}"
            ),
        );
    }
    if let Some((summary, location)) = group.errors.first() {
        return (
            Outcome::CollectionError,
            None,
            Some((*location).clone()),
            format!("the collection failed: {}", brief(summary)),
        );
    }
    (
        Outcome::Unrecognized,
        None,
        None,
        "the file holds no settings".to_owned(),
    )
}

/// A query reads JSON documents; the entries of text shapes cannot answer it.
fn query_in_text(group: &Group<'_>) -> Decision {
    let _ = group;
    (
        Outcome::Unrecognized,
        None,
        None,
        "a query check reads JSON evidence only".to_owned(),
    )
}

/// The most different settings one listing (one command's output) shows: a listing is a
/// whole list when it shows several different settings of the subscription; the same
/// setting shown twice is still a filtered result.
fn widest_listing(group: &Group<'_>) -> usize {
    let mut names_by_batch: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for (setting, _, batch) in group
        .settings
        .iter()
        .filter(|(_, e, _)| *e == Extent::Listing)
    {
        if let Some(name) = setting_name(setting) {
            names_by_batch
                .entry(*batch)
                .or_default()
                .push(name.to_ascii_uppercase());
        }
    }
    names_by_batch
        .into_values()
        .map(|mut names| {
            names.sort_unstable();
            names.dedup();
            names.len()
        })
        .max()
        .unwrap_or(0)
}

/// What a group of settings without the check's setting says.
fn decide_without(group: &Group<'_>, name: &str) -> Decision {
    let count = |wanted: Extent| {
        group
            .settings
            .iter()
            .filter(|(_, e, _)| *e == wanted)
            .count()
    };
    let complete = count(Extent::Complete);
    let listed = widest_listing(group);
    let related: Vec<&str> = group
        .settings
        .iter()
        .filter_map(|(s, _, _)| setting_name(s))
        .filter(|other| {
            other.len() > name.len()
                && other
                    .get(..=name.len())
                    .is_some_and(|head| head.eq_ignore_ascii_case(&format!("{name}_")))
        })
        .collect();
    let related = match related.as_slice() {
        [] => String::new(),
        [one] => format!(" ({} is a different setting)", excerpt(one, EXCERPT_CHARS)),
        many => format!(" ({} are different settings)", name_list(many)),
    };
    if let Some(decision) = cut_rows(group, name) {
        return decision;
    }
    if complete > 0 {
        return (
            Outcome::Absent,
            None,
            None,
            format!(
                "a complete settings list ({}) without {name}{related}",
                settings(complete)
            ),
        );
    }
    if listed > 1 {
        return (
            Outcome::Absent,
            None,
            None,
            format!(
                "a list of {} without {name}{related}, read as the whole list \
                 (an export with more than one setting is a full listing)",
                settings(listed)
            ),
        );
    }
    if count(Extent::Page) > 0 {
        return (
            Outcome::CollectionError,
            None,
            None,
            format!(
                "one page of a paged list (nextLink set) without {name}{related}: \
                 {name} may be on a page that was not saved"
            ),
        );
    }
    let mut names: Vec<&str> = group
        .settings
        .iter()
        .filter_map(|(s, _, _)| setting_name(s))
        .collect();
    names.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
    if count(Extent::Filtered) > 0 {
        return (
            Outcome::Unrecognized,
            None,
            None,
            format!(
                "the output of a filtering command (Where-Object, Select-Object -First, a \
                 --query filter, ...) shows {} without {name}: a filtered view says \
                 nothing about {name}",
                name_list(&names)
            ),
        );
    }
    (
        Outcome::Unrecognized,
        None,
        None,
        format!(
            "a single setting ({}), not {name}: it says nothing about {name}",
            name_list(&names)
        ),
    )
}

/// Rows whose name the console cut short name no setting: the one checked may be among
/// them, so a listing with such rows cannot show that it is missing.
fn cut_rows(group: &Group<'_>, name: &str) -> Option<Decision> {
    let cut: Vec<&Setting> = group
        .settings
        .iter()
        .filter(|(s, e, _)| *e != Extent::Complete && setting_name(s).is_none())
        .filter(|(s, _, _)| s.recovered == Some(crate::formats::table::CUT_SHORT))
        .map(|(s, _, _)| *s)
        .collect();
    cut.first().map(|first| {
        (
            Outcome::Malformed,
            None,
            Some(first.location.clone()),
            format!(
                "{} of the listing {} no setting: the console cut {} Name and Id short \
                 ('…', '...', or '?' where an ASCII save replaced '…'), and {name} may be {}, \
                 so the listing cannot show whether {name} is set",
                match cut.len() {
                    1 => "a row".to_owned(),
                    n => format!("{n} rows"),
                },
                if cut.len() == 1 { "names" } else { "name" },
                if cut.len() == 1 { "its" } else { "their" },
                if cut.len() == 1 {
                    "that row"
                } else {
                    "one of them"
                }
            ),
        )
    })
}

/// Up to five names, each cut short if long, and how many more there are.
fn name_list(names: &[&str]) -> String {
    const SHOWN: usize = 5;
    let mut list: Vec<String> = names
        .iter()
        .take(SHOWN)
        .map(|n| excerpt(n, EXCERPT_CHARS).into_owned())
        .collect();
    if names.len() > SHOWN {
        list.push(format!("and {} more", names.len() - SHOWN));
    }
    list.join(", ")
}

/// "1 setting", "4 settings".
fn settings(n: usize) -> String {
    if n == 1 {
        "1 setting".to_owned()
    } else {
        format!("{n} settings")
    }
}

fn decide_values(
    values: &[(&Flag, &Location, Option<&'static str>)],
    what: &str,
    name: &str,
) -> Decision {
    let mut read = Vec::with_capacity(values.len());
    for (flag, location, _) in values {
        match read_flag(flag, name) {
            Ok(value) => read.push((value, *location)),
            Err(why) => {
                return (
                    Outcome::Malformed,
                    None,
                    Some((*location).clone()),
                    format!("{what}: {why}"),
                );
            }
        }
    }
    let Some(&(first, location)) = read.first() else {
        return (Outcome::Unrecognized, None, None, "no value".to_owned());
    };
    if let Some(&(_, other)) = read.iter().find(|(value, _)| *value != first) {
        return (
            Outcome::Malformed,
            None,
            Some(location.clone()),
            format!(
                "{} entries for {name} disagree: {first} at {location}, {} at {other}",
                read.len(),
                !first
            ),
        );
    }
    let mut detail = format!("{what} is {first}");
    if let Some((Flag::Text(text), _, _)) = values.first() {
        let _ = write!(
            detail,
            " (written as the text {:?})",
            excerpt(text.trim(), EXCERPT_CHARS)
        );
    }
    if let Some(note) = values.iter().find_map(|(_, _, note)| *note) {
        detail.push_str("; ");
        detail.push_str(note);
    }
    if read.len() > 1 {
        let _ = write!(detail, "; {} entries agree", read.len());
    }
    let outcome = if first {
        Outcome::Enabled
    } else {
        Outcome::Disabled
    };
    (outcome, Some(first), Some(location.clone()), detail)
}

/// Reads an `enabled` value: JSON booleans and the strings `true`/`false` in any case.
fn read_flag(flag: &Flag, name: &str) -> Result<bool, String> {
    match flag {
        Flag::Bool(value) => Ok(*value),
        Flag::Text(text) => {
            let text = text.trim();
            if text.eq_ignore_ascii_case("true") {
                Ok(true)
            } else if text.eq_ignore_ascii_case("false") {
                Ok(false)
            } else {
                Err(format!(
                    "the value is the text {:?}, neither true nor false",
                    excerpt(text, EXCERPT_CHARS)
                ))
            }
        }
        Flag::Null => Err("the value is null, neither true nor false".to_owned()),
        Flag::Missing => Err(format!("the {name} entry has no enabled value")),
        Flag::Other(kind) => Err(format!("the value is {kind}, neither true nor false")),
    }
}

enum Identity {
    Checked,
    Other,
    Inconsistent { name: String, id_name: String },
}

/// Whether the evidence behind a deciding `outcome` of a setting check carries no resource
/// id: the checked setting (or the bare value) for `enabled`/`disabled`, every setting of
/// the list for `absent`. Such evidence names its subscription by its path at best.
pub(super) fn carries_no_id(group: &Group<'_>, name: &str, outcome: Outcome) -> bool {
    match outcome {
        Outcome::Enabled | Outcome::Disabled => {
            let mut checked = group
                .settings
                .iter()
                .filter(|(s, _, _)| matches!(identity(s, name), Identity::Checked))
                .peekable();
            // No setting decided: a bare value (the CIS one-liner's output) did.
            checked.peek().is_none() || checked.any(|(s, _, _)| s.id.is_none())
        }
        Outcome::Absent => group.settings.iter().all(|(s, _, _)| s.id.is_none()),
        Outcome::CollectionError | Outcome::Malformed | Outcome::Unrecognized => false,
    }
}

/// Whether a setting is named `name` (by its `name`, else its id), exactly, in any case.
#[must_use]
pub fn is_named(setting: &Setting, name: &str) -> bool {
    setting_name(setting).is_some_and(|own| own.eq_ignore_ascii_case(name))
}

/// The setting's name: its `name`, else the last segment of its id.
fn setting_name(setting: &Setting) -> Option<&str> {
    setting
        .name
        .as_deref()
        .or_else(|| setting.id.as_deref().and_then(subscription::last_segment))
}

/// Whether a setting is the one named `checked`, matched case-insensitively and exactly,
/// with its name cross-checked against its id.
fn identity(setting: &Setting, checked: &str) -> Identity {
    let id_name = setting.id.as_deref().and_then(subscription::last_segment);
    let is_checked = |name: &str| name.eq_ignore_ascii_case(checked);
    match (setting.name.as_deref(), id_name) {
        (Some(name), Some(id_name)) if is_checked(name) != is_checked(id_name) => {
            Identity::Inconsistent {
                name: name.to_owned(),
                id_name: id_name.to_owned(),
            }
        }
        (Some(name), _) | (None, Some(name)) if is_checked(name) => Identity::Checked,
        _ => Identity::Other,
    }
}

/// A message on one line, cut to a length a report cell can hold.
fn brief(text: &str) -> String {
    const LIMIT: usize = 400;
    // Look at no more of the text than can be shown.
    let head = match text.char_indices().nth(LIMIT * 4) {
        Some((cut, _)) => text.get(..cut).unwrap_or_default(),
        None => text,
    };
    let line = head.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(LIMIT) {
        Some((cut, _)) => format!("{}…", line.get(..cut).unwrap_or_default()),
        None if head.len() < text.len() => format!("{line}…"),
        None => line,
    }
}

/// A group's decision with the records of failed collections it also holds (a failed
/// attempt and its retry, in a loop, a transcript or a HAR): evidence that decides still
/// decides, and its detail lists the failures; when nothing decides, the failure is the
/// outcome (never `unrecognized` for a group whose collection failed), and a malformed
/// entry stays malformed with the failures listed. Returns the decision and how many
/// failures sit beside deciding evidence (the roll-up's `collection_errors`).
pub(super) fn with_failures(group: &Group<'_>, decision: Decision) -> (Decision, u32) {
    let (outcome, enabled, location, detail) = decision;
    let Some((summary, at)) = group.errors.first() else {
        return ((outcome, enabled, location, detail), 0);
    };
    let count = group.errors.len();
    let failures = format!(
        "{count} failed attempt{} for this subscription, which do{} not decide (the first at \
         {at}: {})",
        if count == 1 { "" } else { "s" },
        if count == 1 { "es" } else { "" },
        brief(summary)
    );
    match outcome {
        Outcome::CollectionError => ((outcome, enabled, location, detail), 0),
        Outcome::Unrecognized => (
            (
                Outcome::CollectionError,
                None,
                Some((*at).clone()),
                format!(
                    "the collection failed: {}; the rest of the file says nothing more: {detail}",
                    brief(summary)
                ),
            ),
            0,
        ),
        Outcome::Malformed => (
            (
                outcome,
                enabled,
                location,
                format!("{detail}; the file also records {failures}"),
            ),
            0,
        ),
        Outcome::Enabled | Outcome::Disabled | Outcome::Absent => (
            (
                outcome,
                enabled,
                location,
                format!(
                    "{detail}; the file also records {failures}: the evidence beside it decides"
                ),
            ),
            u32::try_from(count).unwrap_or(u32::MAX),
        ),
    }
}
