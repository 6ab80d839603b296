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

mod setting;

use std::sync::Arc;

pub use crate::attribute::Source;
use crate::attribute::{self, Group, attribute_by_path, join_note};
use crate::checks::{Check, Checks, Rule};
use crate::formats::{Body, Location, Parsed};
use crate::query;
use crate::subscription::SubscriptionId;
use crate::vocabulary::outcome::Outcome;
pub use setting::is_named;
use setting::{carries_no_id, decide, with_failures};

/// The setting the default check decides on.
pub const WDATP: &str = "WDATP";

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
    /// Whether a deciding outcome rests on a setting or value without a resource id.
    pub id_less: bool,
    /// How many records of failed collections for the same subscription the file holds
    /// beside the deciding evidence (a failed attempt and its retry); listed in `detail`.
    pub failed_attempts: u32,
}

/// Why a file is not evidence, when it is not: it is in no evidence shape at all and names
/// no subscription, in its content or its path (see [`crate::formats::Reason::is_foreign`]),
/// so that none of its observations has a subscription. Such a file is counted in reports
/// as not evidence and gives no observation; any other file, a README under a folder named
/// by a subscription included, stays among the observations.
#[must_use]
pub fn not_evidence<'a>(
    parsed: &'a Parsed,
    observations: &[Observation],
) -> Option<&'a crate::formats::Reason> {
    match &parsed.body {
        Body::Unrecognized(reason)
            if reason.is_foreign() && observations.iter().all(|o| o.subscription.is_none()) =>
        {
            Some(reason)
        }
        _ => None,
    }
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
        Body::Malformed(why) | Body::Unrecognized(why) if why.names_subscriptions() => {
            // The content names subscriptions, only not with settings that can be read: the
            // path is still all that can place the file, and the note says so.
            let outcome = if matches!(parsed.body, Body::Malformed(_)) {
                Outcome::Malformed
            } else {
                Outcome::Unrecognized
            };
            let (subscription, source, note) = attribute::attribute_by_path_when_content_names(
                path,
                outcome == Outcome::Malformed,
            );
            for check in &checks.checks {
                observations.push(Observation {
                    check: Arc::clone(check),
                    subscription,
                    source,
                    outcome,
                    enabled: None,
                    location: None,
                    detail: join_note(note.clone(), why.to_string()),
                    id_less: false,
                    failed_attempts: 0,
                });
            }
        }
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
    if let Some(note) = parsed.note {
        for o in &mut observations {
            // A deciding setting's detail already carries it.
            if !o.detail.contains(note) {
                o.detail.push_str("; ");
                o.detail.push_str(note);
            }
        }
    }
    observations.sort_by_key(|a| a.subscription);
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
    // One observation per group and check (a query may add one more): kept for the whole
    // run, so sized once rather than grown.
    observations.reserve_exact(placed.len() * checks.checks.len());
    for check in &checks.checks {
        // A query's matches, each given to a group (or to none).
        // A query that would cost more than its budget decides nothing: `malformed`.
        let (matches, refused) = match &check.rule {
            Rule::Query { compiled, .. } => match query::find(documents, compiled) {
                Ok(matches) => (matches, None),
                Err(why) => (Vec::new(), Some(why)),
            },
            Rule::Setting(_) => (Vec::new(), None),
        };
        let owners: Vec<Option<usize>> = query::assign(&matches, &placed)
            .into_iter()
            .map(|owner| owner.or(unattributed))
            .collect();
        for (index, group) in placed.iter().enumerate() {
            let decision = match &check.rule {
                Rule::Query { .. } if let Some(why) = &refused => {
                    (Outcome::Malformed, None, None, why.clone())
                }
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
            let ((outcome, enabled, location, detail), failed_attempts) =
                with_failures(&group.group, decision);
            let id_less = match &check.rule {
                Rule::Setting(name) => carries_no_id(&group.group, name, outcome),
                Rule::Query { .. } => false,
            };
            observations.push(Observation {
                check: Arc::clone(check),
                subscription: group.subscription,
                source: group.source,
                outcome,
                enabled,
                location,
                detail: join_note(group.note.clone(), detail),
                id_less,
                failed_attempts,
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
                id_less: false,
                failed_attempts: 0,
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
            subscription,
            source,
            outcome,
            enabled: None,
            location: None,
            detail: join_note(note.clone(), why.to_owned()),
            id_less: false,
            failed_attempts: 0,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::parse;

    const A: &str = "aaaaaaaa-1111-4222-8333-444444444444";

    /// The WDATP observation of `text` (the first check of the defaults).
    fn wdatp(text: &str) -> Observation {
        let observations = evaluate(&parse(text), "f.txt", &Checks::default());
        observations
            .into_iter()
            .find(|o| o.check.id == "wdatp")
            .unwrap()
    }

    fn denied() -> String {
        format!("ERROR: (AuthorizationFailed) denied over scope '/subscriptions/{A}'\n")
    }

    #[test]
    fn a_failed_attempt_before_a_retry_that_decides_is_listed() {
        let text = format!(
            "{}[{{\"enabled\": false, \"id\": \"/subscriptions/{A}/providers/Microsoft.Security/settings/WDATP\", \"name\": \"WDATP\"}}]\n",
            denied()
        );
        let o = wdatp(&text);
        assert_eq!(o.outcome, Outcome::Disabled);
        assert_eq!(o.failed_attempts, 1);
        assert!(
            o.detail.contains("1 failed attempt")
                && o.detail.contains("line 1: (AuthorizationFailed)"),
            "{}",
            o.detail
        );
    }

    #[test]
    fn a_failed_attempt_whose_retry_decides_nothing_is_the_outcome() {
        let text = format!(
            "{}[{{\"enabled\": true, \"id\": \"/subscriptions/{A}/providers/Microsoft.Security/settings/MCAS\", \"name\": \"MCAS\"}}]\n",
            denied()
        );
        let o = wdatp(&text);
        assert_eq!(o.outcome, Outcome::CollectionError);
        assert_eq!(o.location, Some(Location::Line(1)));
        assert_eq!(o.failed_attempts, 0);
        assert!(
            o.detail
                .starts_with("the collection failed: (AuthorizationFailed)"),
            "{}",
            o.detail
        );
    }

    #[test]
    fn a_failure_alone_is_still_a_collection_error() {
        let o = wdatp(&denied());
        assert_eq!(o.outcome, Outcome::CollectionError);
        assert_eq!(o.failed_attempts, 0);
    }

    #[test]
    fn every_observation_of_json_with_comments_says_so() {
        let setting = |name: &str, enabled: &str| {
            format!(
                "{{\"enabled\": {enabled}, \"id\": \"/subscriptions/{A}/providers/Microsoft.Security/settings/{name}\", \"name\": \"{name}\"}}"
            )
        };
        for (body, outcome) in [
            (setting("WDATP", "true"), Outcome::Enabled),
            (
                format!(
                    "{}, {}",
                    setting("MCAS", "true"),
                    setting("Sentinel", "false")
                ),
                Outcome::Absent,
            ),
            (setting("MCAS", "true"), Outcome::Unrecognized),
            (setting("WDATP", "null"), Outcome::Malformed),
        ] {
            let text = format!("// az security setting list -o json\n[{body}]\n");
            let observations = evaluate(&parse(&text), "f.jsonc", &Checks::default());
            assert!(!observations.is_empty());
            for o in &observations {
                assert_eq!(
                    o.detail
                        .matches(crate::formats::json::comments::NOTE)
                        .count(),
                    1,
                    "{}",
                    o.detail
                );
            }
            assert_eq!(wdatp(&text).outcome, outcome, "{text}");
        }
    }

    #[test]
    fn entries_the_path_cannot_place_join_those_after_a_switch_by_name() {
        let text = "Get-Az: \n> Connect-AzAccount s\nName Enabled\n-  ---\nMC \n";
        let observations = evaluate(&parse(text), "f.txt", &Checks::default());
        let unattributed: Vec<&Observation> = observations
            .iter()
            .filter(|o| o.check.id == "wdatp" && o.subscription.is_none())
            .collect();
        assert_eq!(unattributed.len(), 1, "{observations:?}");
        assert_eq!(unattributed[0].outcome, Outcome::CollectionError);
        assert_eq!(unattributed[0].location, Some(Location::Line(1)));
        // A path naming a subscription still places the entries before the switch.
        let observations = evaluate(&parse(text), &format!("{A}/f.txt"), &Checks::default());
        let wdatp: Vec<(Option<SubscriptionId>, Outcome)> = observations
            .iter()
            .filter(|o| o.check.id == "wdatp")
            .map(|o| (o.subscription, o.outcome))
            .collect();
        assert_eq!(
            wdatp,
            vec![
                (None, Outcome::Unrecognized),
                (SubscriptionId::parse(A), Outcome::CollectionError)
            ]
        );
    }
}
