//! Observations to one verdict per subscription.
//!
//! Pure. Every subscription that any observation (or the inventory) names gets exactly one
//! [`Verdict`], with a reason an auditor can read. Deciding outcomes are `enabled`,
//! `disabled` and `absent`; the rest are listed in the reason but never decide.
//!
//! Here: the evidence of each subscription and check grouped, and each group's verdict
//! built. The rule that judges a group and words its reason is in `reason`; what a
//! reviewer should look at besides (the flags) is in `flags`.

mod flags;
mod reason;
#[cfg(test)]
mod tests;

use flags::{DecidedBy, flags_of};
pub use flags::{Flag, stated_after};
use reason::judge;

use rayon::prelude::*;

use std::sync::Arc;

use crate::checks::Check;
use crate::formats::dates::Collected;
use crate::subscription::SubscriptionId;
use crate::vocabulary::entry::Skip;
use crate::vocabulary::outcome::Outcome;
use crate::vocabulary::verdict::Verdict;

/// What one file gives a subscription.
#[derive(Debug, Clone, Copy)]
pub enum Found<'a> {
    /// The file was read; what it says.
    Outcome(Outcome),
    /// The file's path names the subscription, but the file was not read: why.
    NotRead(&'a Skip),
}

/// One observation as the roll-up sees it.
#[derive(Debug, Clone, Copy)]
pub struct Evidence<'a> {
    /// The subscription it is about.
    pub subscription: &'a SubscriptionId,
    /// The check it answers: its place among the run's checks.
    pub check: usize,
    /// The file's path as reported.
    pub path: &'a str,
    /// What the file gives.
    pub found: Found<'a>,
    /// Where the subscription came from, for a file that was read.
    pub source: Option<crate::attribute::Source>,
    /// The file's SHA-256, for a file that was read.
    pub sha256: Option<&'a str>,
    /// The value read, for `enabled` and `disabled`.
    pub enabled: Option<bool>,
    /// Where the deciding value is, when known.
    pub location: Option<&'a crate::formats::Location>,
    /// What the file says, in one sentence (empty for a file that was not read).
    pub detail: &'a str,
    /// Whether the deciding setting or value carries no resource id.
    pub id_less: bool,
    /// Records of failed collections the file holds beside its deciding evidence.
    pub failed_attempts: u32,
    /// When the file's evidence was collected, for a file that was read.
    pub collected: Option<&'a Collected>,
}

/// `--stale-after`: evidence collected before `cutoff` is stale; `rule` says why, for the
/// reason (`more than 30d before the run`, `before 2026-07-01`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staleness {
    /// The oldest time that is not stale.
    pub cutoff: jiff::Timestamp,
    /// The limit in words, as the user gave it.
    pub rule: String,
}

/// `--period`: the audit period, from `start` (included) to `end` (excluded), and its
/// first and last days as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    /// The first day's midnight, UTC.
    pub start: jiff::Timestamp,
    /// The midnight after the last day, UTC.
    pub end: jiff::Timestamp,
    /// The first day (`2026-07-01`).
    pub first_day: String,
    /// The last day (`2026-09-30`).
    pub last_day: String,
}

/// The dates a roll-up judges evidence against: the run's time (`SOURCE_DATE_EPOCH` when
/// set), `--stale-after` and `--period`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dates {
    /// The run's time: deciding evidence dated later is `future_dated`.
    pub now: Option<jiff::Timestamp>,
    /// `--stale-after`, when given.
    pub staleness: Option<Staleness>,
    /// `--period`, when given: deciding evidence dated after it is `after_period`, before
    /// it `before_period`.
    pub period: Option<Period>,
}

impl<'a> Evidence<'a> {
    /// Evidence with only what every item has: what a file gives which subscription for
    /// which check; the details a read file adds (source, digest, value, ...) left empty.
    #[must_use]
    pub fn bare(
        subscription: &'a SubscriptionId,
        check: usize,
        path: &'a str,
        found: Found<'a>,
    ) -> Self {
        Self {
            subscription,
            check,
            path,
            found,
            source: None,
            sha256: None,
            enabled: None,
            location: None,
            detail: "",
            id_less: false,
            failed_attempts: 0,
            collected: None,
        }
    }
}

impl Evidence<'_> {
    fn is_deciding(&self) -> bool {
        self.outcome().is_some_and(Outcome::is_deciding)
    }

    fn outcome(&self) -> Option<Outcome> {
        match self.found {
            Found::Outcome(outcome) => Some(outcome),
            Found::NotRead(_) => None,
        }
    }
}

/// A subscription's verdict on one check and the files behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionVerdict {
    /// The subscription.
    pub subscription: SubscriptionId,
    /// The check.
    pub check: Arc<Check>,
    /// The verdict.
    pub verdict: Verdict,
    /// Why, in one sentence.
    pub reason: String,
    /// The paths of the files with an observation of this subscription, in report order.
    pub paths: Vec<String>,
    /// Whether the inventory lists it (`None` when no inventory was given).
    pub in_inventory: Option<bool>,
    /// The subscription's name, when the inventory gives it.
    pub name: Option<String>,
    /// What a reviewer should look at in the evidence behind the verdict.
    pub flags: Vec<Flag>,
    /// The file that decides a `pass` or `fail` (the first in report order with the
    /// verdict's value), and what it holds; `None` for `conflict` and `no_evidence`.
    pub deciding: Option<Deciding>,
    /// The exceptions register's row for it, if any (set after the roll-up).
    pub exception: Option<Box<crate::register::Applied>>,
}

/// What the file behind a verdict holds, and where (the file is the verdict's first path:
/// [`SubscriptionVerdict::deciding_file`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deciding {
    /// `true` or `false` as the file holds it, or `absent` (a complete list without it).
    pub value: &'static str,
    /// Where the value is (a JSON pointer or line), when known.
    pub location: Option<String>,
    /// When it was collected, as the file states or else its modification time.
    pub collected: Option<Collected>,
}

impl SubscriptionVerdict {
    /// The path of the file that decides a `pass` or `fail`: the first of its paths.
    #[must_use]
    pub fn deciding_file(&self) -> Option<&str> {
        self.deciding
            .as_ref()
            .and(self.paths.first())
            .map(String::as_str)
    }

    /// Whether the verdict counts towards the exit status and the headline counts: every
    /// subscription without an inventory, only those it lists with one.
    #[must_use]
    pub fn in_scope(&self) -> bool {
        self.in_inventory != Some(false)
    }
}

/// Rolls observations up into one verdict per subscription and check, sorted by
/// subscription, then in the order the checks were named. Subscriptions in `inventory`
/// without any observation get `no_evidence` for every check.
#[must_use]
pub fn roll_up<'a>(
    evidence: impl IntoIterator<Item = Evidence<'a>>,
    inventory: Option<&[SubscriptionId]>,
    checks: &[Arc<Check>],
    dates: &Dates,
) -> Vec<SubscriptionVerdict> {
    // Every item in report order: by subscription and check, then by path, the order given
    // breaking ties (a stable sort). One vector, sorted in parallel and read as runs: no
    // map and no vector per subscription.
    let mut items: Vec<Evidence<'a>> = evidence.into_iter().collect();
    items.par_sort_by(|a, b| {
        (a.subscription, a.check, a.path.as_bytes()).cmp(&(
            b.subscription,
            b.check,
            b.path.as_bytes(),
        ))
    });
    let mut groups: Vec<Group<'_, 'a>> = items
        .chunk_by(|a, b| a.subscription == b.subscription && a.check == b.check)
        .filter_map(|run| {
            let first = run.first()?;
            Some(Group {
                subscription: first.subscription,
                check_index: first.check,
                check: checks.get(first.check)?,
                items: run,
                listed: None,
            })
        })
        .collect();
    // The inventory, sorted once: whether it lists a subscription is a binary search.
    if let Some(inventory) = inventory {
        let mut listed: Vec<&SubscriptionId> = inventory.iter().collect();
        listed.sort_unstable();
        listed.dedup();
        let found = |sub: &SubscriptionId, check: usize| {
            groups
                .binary_search_by(|g| (g.subscription, g.check_index).cmp(&(sub, check)))
                .is_ok()
        };
        let without_evidence: Vec<Group<'_, 'a>> = listed
            .iter()
            .flat_map(|sub| checks.iter().enumerate().map(move |check| (*sub, check)))
            .filter(|(sub, (index, _))| !found(sub, *index))
            .map(|(subscription, (check_index, check))| Group {
                subscription,
                check_index,
                check,
                items: &[],
                listed: None,
            })
            .collect();
        groups.extend(without_evidence);
        for group in &mut groups {
            group.listed = Some(listed.binary_search(&group.subscription).is_ok());
        }
        // The subscriptions the inventory lists come first, those outside it after.
        groups.sort_unstable_by(|a, b| {
            (a.listed == Some(false), a.subscription, a.check_index).cmp(&(
                b.listed == Some(false),
                b.subscription,
                b.check_index,
            ))
        });
    }
    let decided_by = DecidedBy::of(&items);
    // Each verdict depends only on its own group and the digests: built in parallel and
    // collected in place, in the groups' order.
    groups
        .par_iter()
        .map(|group| verdict_of(group, &decided_by, dates))
        .collect()
}

/// The evidence of one subscription on one check, as the roll-up judges it.
struct Group<'e, 'a> {
    subscription: &'e SubscriptionId,
    /// The check's position in the run's checks.
    check_index: usize,
    check: &'e Arc<Check>,
    /// Its evidence, in report order (empty for an inventory's subscription without any).
    items: &'e [Evidence<'a>],
    /// Whether the inventory lists the subscription (`None` without an inventory).
    listed: Option<bool>,
}

/// One group's verdict, its reason, flags and deciding evidence.
fn verdict_of(
    group: &Group<'_, '_>,
    decided_by: &DecidedBy<'_>,
    dates: &Dates,
) -> SubscriptionVerdict {
    let Group {
        subscription,
        check_index,
        check,
        items,
        listed,
    } = *group;
    let (verdict, reason) = judge(items, check);
    let flags = flags_of(items, subscription, decided_by, check_index, dates);
    let decider = deciding_of(items, check, verdict);
    // The reason already counts the failed collections of other files, but not the failed
    // attempts a deciding file holds beside its evidence (a retry decides): those are named.
    let retried = items
        .iter()
        .any(|e| e.is_deciding() && e.failed_attempts > 0);
    let sentences: Vec<String> = flags
        .iter()
        .filter(|f| retried || !matches!(f, Flag::CollectionErrors(_)))
        .map(ToString::to_string)
        .collect();
    let reason = if sentences.is_empty() {
        reason
    } else {
        format!("{reason}; {}", sentences.join("; "))
    };
    SubscriptionVerdict {
        subscription: *subscription,
        check: Arc::clone(check),
        verdict,
        reason,
        // The deciding file first, then the rest in report order.
        paths: decider
            .into_iter()
            .chain(
                items
                    .iter()
                    .filter(|e| decider.is_none_or(|d| !std::ptr::eq(*e, d))),
            )
            .map(|e| e.path.to_owned())
            .collect(),
        in_inventory: listed,
        name: None,
        exception: None,
        flags,
        deciding: decider.map(|e| Deciding {
            value: match (e.enabled, e.outcome()) {
                (Some(true), _) => "true",
                (Some(false), _) => "false",
                (None, Some(outcome)) => outcome.as_str(),
                (None, None) => "",
            },
            location: e.location.map(ToString::to_string),
            collected: e.collected.cloned(),
        }),
    }
}

/// The evidence that decides a `pass` or `fail`: the first file (in report order) with the
/// value that gives the verdict, else the first complete list without the setting.
fn deciding_of<'e, 'a>(
    items: &'e [Evidence<'a>],
    check: &Check,
    verdict: Verdict,
) -> Option<&'e Evidence<'a>> {
    let wanted = match verdict {
        Verdict::Pass if check.passes_when => Outcome::Enabled,
        Verdict::Pass => Outcome::Disabled,
        Verdict::Fail if check.passes_when => Outcome::Disabled,
        Verdict::Fail => Outcome::Enabled,
        Verdict::Conflict | Verdict::NoEvidence => return None,
    };
    items
        .iter()
        .find(|e| e.outcome() == Some(wanted))
        .or_else(|| items.iter().find(|e| e.outcome() == Some(Outcome::Absent)))
}
