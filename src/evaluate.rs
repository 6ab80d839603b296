//! The decision rule: what one parsed file says about each subscription it covers.
//!
//! Pure: takes a [`Parsed`] file, its path and the checks of the run, returns one
//! [`Observation`] per subscription and check (or unattributed). No I/O, no printing.
//! Attribution runs once per file (`attribute`); the rule then reads each group of entries
//! for each check. The rule is the one in docs/evidence-formats.md, for the check's setting
//! (WDATP by default): only the setting named exactly so decides; `true` is enabled,
//! `false` disabled, anything else malformed; a complete list without it is absent; a
//! record of a failed collection proves nothing. What a value or an absence means for the
//! verdict (the value that passes, absent as fail, pass or unknown) is the roll-up's.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::sync::Arc;

use serde::Serialize;

pub use crate::attribute::Source;
use crate::attribute::{self, Group, attribute_by_path, join_note};
use crate::checks::{Check, Checks, Rule};
use crate::escape::{EXCERPT_CHARS, excerpt};
use crate::formats::{Body, Extent, Flag, Location, Parsed, Setting};
use crate::query;
use crate::subscription::{self, SubscriptionId};

/// The setting the default check decides on.
pub const WDATP: &str = "WDATP";

/// What one file says about one subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The check's setting is present and `true` (a query: its value is the one expected).
    Enabled,
    /// The check's setting is present and `false` (a query: another value).
    Disabled,
    /// A complete settings list without the check's setting.
    Absent,
    /// The file records a failed or incomplete collection: it proves nothing.
    CollectionError,
    /// The file is evidence but cannot be read to a value.
    Malformed,
    /// The file holds no evidence for the check in any known shape.
    Unrecognized,
}

impl Outcome {
    /// Every outcome, in report order.
    pub const ALL: [Self; 6] = [
        Self::Enabled,
        Self::Disabled,
        Self::Absent,
        Self::CollectionError,
        Self::Malformed,
        Self::Unrecognized,
    ];

    /// The name used in reports.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Enabled => "enabled",
            Self::Disabled => "disabled",
            Self::Absent => "absent",
            Self::CollectionError => "collection_error",
            Self::Malformed => "malformed",
            Self::Unrecognized => "unrecognized",
        }
    }

    /// Whether this outcome decides a subscription's verdict.
    #[must_use]
    pub fn is_deciding(self) -> bool {
        matches!(self, Self::Enabled | Self::Disabled | Self::Absent)
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One (file, subscription, check) and what the file says about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    /// The check it answers.
    pub check: Arc<Check>,
    /// The subscription, or `None` when nothing attributes the file.
    pub subscription: Option<SubscriptionId>,
    /// Where the subscription came from (`None` when unattributed).
    pub source: Option<Source>,
    /// What the file says.
    pub outcome: Outcome,
    /// The setting's value, when the outcome is enabled or disabled.
    pub enabled: Option<bool>,
    /// Where the deciding value is.
    pub location: Option<Location>,
    /// Why, in one sentence.
    pub detail: String,
}

/// Evaluates one parsed file found at `path` (as reported), for every check of the run:
/// one observation per subscription and check, sorted by subscription then check order.
/// Query checks find nothing to read here (see [`evaluate_with`]).
#[must_use]
pub fn evaluate(parsed: &Parsed, path: &str, checks: &Checks) -> Vec<Observation> {
    evaluate_with(parsed, path, checks, &[])
}

/// [`evaluate`], with the file's JSON documents for the query checks.
#[must_use]
pub fn evaluate_with(
    parsed: &Parsed,
    path: &str,
    checks: &Checks,
    documents: &[query::Document],
) -> Vec<Observation> {
    let mut observations = Vec::new();
    match &parsed.body {
        Body::Items(items) => observe_items(items, path, checks, documents, &mut observations),
        Body::Malformed(why) => {
            whole_file(
                path,
                Outcome::Malformed,
                &why.to_string(),
                checks,
                &mut observations,
            );
        }
        Body::Unrecognized(why) => {
            whole_file(
                path,
                Outcome::Unrecognized,
                &why.to_string(),
                checks,
                &mut observations,
            );
        }
        Body::Empty => {
            for check in &checks.checks {
                // The CIS one-liner prints nothing when its call failed or its setting was
                // missing; for any other check an empty file is no evidence at all.
                let (outcome, why) = if check.bare_values {
                    (
                        Outcome::CollectionError,
                        format!(
                            "empty file: the CIS audit one-liner prints nothing when its call \
                             failed or {} was missing",
                            check.subject()
                        ),
                    )
                } else {
                    (
                        Outcome::Unrecognized,
                        "an empty file holds no settings".to_owned(),
                    )
                };
                whole_file(
                    path,
                    outcome,
                    &why,
                    &Checks {
                        checks: vec![Arc::clone(check)],
                        benchmark: None,
                    },
                    &mut observations,
                );
            }
        }
    }
    observations.sort_by(|a, b| a.subscription.cmp(&b.subscription));
    observations
}

/// The observations of a file's items: attribution once, then every check of every group.
fn observe_items(
    items: &[crate::formats::Item],
    path: &str,
    checks: &Checks,
    documents: &[query::Document],
    observations: &mut Vec<Observation>,
) {
    let placed = attribute::attribute(items, path);
    let unattributed = placed.iter().position(|p| p.subscription.is_none());
    for check in &checks.checks {
        // A query's matches, each given to a group (or to none).
        let matches = match &check.rule {
            Rule::Query { compiled, .. } => query::find(documents, compiled),
            Rule::Setting(_) => Vec::new(),
        };
        let owners: Vec<Option<usize>> = query::assign(&matches, &placed)
            .into_iter()
            .map(|owner| owner.or(unattributed))
            .collect();
        for (index, group) in placed.iter().enumerate() {
            let (outcome, enabled, location, detail) = match &check.rule {
                Rule::Query { expect, .. } if !documents.is_empty() => {
                    let mine: Vec<&query::Match> = matches
                        .iter()
                        .zip(&owners)
                        .filter(|(_, owner)| **owner == Some(index))
                        .map(|(m, _)| m)
                        .collect();
                    query::decide(&group.group, &mine, expect)
                }
                _ => decide(&group.group, check),
            };
            observations.push(Observation {
                check: Arc::clone(check),
                subscription: group.subscription.clone(),
                source: group.source,
                outcome,
                enabled,
                location,
                detail: join_note(group.note.clone(), detail),
            });
        }
        // Matches no group of the file can hold: one unattributed observation.
        let homeless: Vec<&query::Match> = matches
            .iter()
            .zip(&owners)
            .filter(|(_, owner)| owner.is_none())
            .map(|(m, _)| m)
            .collect();
        if let (Rule::Query { expect, .. }, false) = (&check.rule, homeless.is_empty()) {
            let (outcome, enabled, location, detail) =
                query::decide(&Group::default(), &homeless, expect);
            observations.push(Observation {
                check: Arc::clone(check),
                subscription: None,
                source: None,
                outcome,
                enabled,
                location,
                detail: join_note(
                    Some(
                        "unattributed: the query matched outside the settings the \
                         file attributes, and the file names several subscriptions"
                            .to_owned(),
                    ),
                    detail,
                ),
            });
        }
    }
    if placed.is_empty() {
        whole_file(
            path,
            Outcome::Unrecognized,
            "the file holds no settings",
            checks,
            observations,
        );
    }
}

/// The observations of a file that says nothing per subscription: attributed by path only,
/// one per check.
fn whole_file(
    path: &str,
    outcome: Outcome,
    why: &str,
    checks: &Checks,
    out: &mut Vec<Observation>,
) {
    let (subscription, source, note) = attribute_by_path(path, None);
    for check in &checks.checks {
        out.push(Observation {
            check: Arc::clone(check),
            subscription: subscription.clone(),
            source,
            outcome,
            enabled: None,
            location: None,
            detail: join_note(note.clone(), why.to_owned()),
        });
    }
}

type Decision = (Outcome, Option<bool>, Option<Location>, String);

/// What a group of entries says for one check.
fn decide(group: &Group<'_>, check: &Check) -> Decision {
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
    // A listing is a whole list when one document shows several different settings of the
    // subscription; the same setting shown twice is still a filtered result.
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
    let listed = names_by_batch
        .into_values()
        .map(|mut names| {
            names.sort_unstable();
            names.dedup();
            names.len()
        })
        .max()
        .unwrap_or(0);
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
