//! Observations to one verdict per subscription.
//!
//! Pure. Every subscription that any observation (or the inventory) names gets exactly one
//! [`Verdict`], with a reason an auditor can read. Deciding outcomes are `enabled`,
//! `disabled` and `absent`; the rest are listed in the reason but never decide.

use std::fmt;

use rayon::prelude::*;

use std::sync::Arc;

use crate::checks::{Absent, Check, Rule};
use crate::formats::dates::{Collected, DateSource};
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

/// `--stale-after`: evidence collected before `cutoff` (the run time less the duration,
/// written `after`) is stale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staleness {
    /// The oldest time that is not stale.
    pub cutoff: jiff::Timestamp,
    /// The duration as given (`30d`).
    pub after: String,
}

/// The dates a roll-up judges evidence against: the run's time (`SOURCE_DATE_EPOCH` when
/// set) and `--stale-after`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dates {
    /// The run's time: deciding evidence dated later is `future_dated`.
    pub now: Option<jiff::Timestamp>,
    /// `--stale-after`, when given.
    pub staleness: Option<Staleness>,
}

/// Something about a verdict's evidence that a reviewer should look at; never changes the
/// verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Flag {
    /// No deciding evidence names the subscription in its content: only the path does.
    PathOnly,
    /// A deciding file's bytes (by SHA-256) also decide other subscriptions, whether a
    /// file names several or was copied: the first few of them, and how many in all.
    SharedEvidence {
        named: Vec<SubscriptionId>,
        total: usize,
    },
    /// A deciding setting or value carries no resource id (name and value only).
    NoResourceId,
    /// Records of failed collections sit beside the deciding evidence.
    CollectionErrors(usize),
    /// Deciding evidence was collected longer ago than `--stale-after`: the oldest, and the
    /// duration.
    Stale { collected: Collected, after: String },
    /// Deciding evidence states a collection date after the run's time (the clock, or
    /// `SOURCE_DATE_EPOCH`, is behind the evidence, or the date is wrong): the latest such
    /// date. A file's modification time never flags (a copy resets it).
    FutureDated(Collected),
    /// Files whose path names the subscription were not read (too large, unreadable, ...):
    /// any could hold a value that changes the verdict, so the run cannot pass. How many.
    UnreadEvidence(usize),
}

impl Flag {
    /// The short code reports show.
    #[must_use]
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::PathOnly => "path_only",
            Self::NoResourceId => "no_resource_id",
            Self::SharedEvidence { .. } => "shared_evidence",
            Self::CollectionErrors(_) => "collection_errors",
            Self::Stale { .. } => "stale",
            Self::FutureDated(_) => "future_dated",
            Self::UnreadEvidence(_) => "unread_evidence",
        }
    }
}

impl fmt::Display for Flag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::PathOnly => f.write_str(
                "path_only: no deciding file names this subscription in its content, only its path does",
            ),
            Self::SharedEvidence { named, total } => {
                let named: Vec<&str> = named.iter().map(SubscriptionId::as_str).collect();
                write!(
                    f,
                    "shared_evidence: the same bytes also decide {}",
                    named.join(", ")
                )?;
                if *total > named.len() {
                    write!(f, " and {} more", total - named.len())?;
                }
                Ok(())
            }
            Self::NoResourceId => f.write_str(
                "no_resource_id: a deciding setting carries no resource id, only a name and a value",
            ),
            Self::CollectionErrors(n) => write!(
                f,
                "collection_errors: {n} failed collection{} beside the deciding evidence",
                if *n == 1 { "" } else { "s" }
            ),
            Self::Stale { collected, after } => {
                let when = match collected.source {
                    DateSource::FileModified => "was last modified",
                    _ => "was collected",
                };
                write!(
                    f,
                    "stale: deciding evidence {when} {} ({}), more than {after} before the run",
                    collected.at,
                    collected.source.as_str()
                )
            }
            Self::FutureDated(collected) => write!(
                f,
                "future_dated: deciding evidence says it was collected {} ({}), after the run's \
                 time: the run's clock (or SOURCE_DATE_EPOCH) or the evidence's date is wrong",
                collected.at,
                collected.source.as_str()
            ),
            Self::UnreadEvidence(n) => write!(
                f,
                "unread_evidence: {} whose path names this subscription {} not read and could \
                 change this verdict; the run cannot pass until {} read",
                files(*n),
                if *n == 1 { "was" } else { "were" },
                if *n == 1 { "it is" } else { "they are" }
            ),
        }
    }
}

/// Whether evidence states (in its content: not a file's modification time, which a copy
/// resets) that it was collected after `time`. A transcript's start time is the collecting
/// machine's local time read as UTC: it counts only when later by more than any time zone
/// (14 hours).
#[must_use]
pub fn stated_after(collected: &Collected, time: jiff::Timestamp) -> bool {
    let slack = match collected.source {
        DateSource::FileModified => return false,
        DateSource::Transcript => jiff::SignedDuration::from_hours(14),
        DateSource::HttpDate | DateSource::Har => jiff::SignedDuration::ZERO,
    };
    collected
        .at
        .checked_sub(slack)
        .is_ok_and(|earliest| earliest > time)
}

/// How many other subscriptions a `shared_evidence` reason names.
const SHARED_NAMED: usize = 3;

/// Which subscriptions each shared file's bytes (by SHA-256) decide, per check: every
/// (digest, check, subscription) of a deciding item whose bytes decide more than one
/// subscription for that check, sorted and without repeats. Bytes that decide a single
/// subscription (nearly every file) are left out: they share nothing, and a small table
/// keeps the lookups cheap. Only looked up, by binary search: one sorted vector instead of
/// a map holding a list per digest.
struct DecidedBy<'a>(Vec<(&'a str, usize, &'a SubscriptionId)>);

impl<'a> DecidedBy<'a> {
    fn of(items: &[Evidence<'a>]) -> Self {
        let mut decided: Vec<(&str, usize, &SubscriptionId)> = items
            .iter()
            .filter(|e| e.is_deciding())
            .filter_map(|e| e.sha256.map(|sha| (sha, e.check, e.subscription)))
            .collect();
        // Equal entries are identical, so an unstable sort cannot change the result.
        decided.par_sort_unstable();
        decided.dedup();
        Self(
            decided
                .chunk_by(|a, b| (a.0, a.1) == (b.0, b.1))
                .filter(|run| run.len() > 1)
                .flatten()
                .copied()
                .collect(),
        )
    }

    /// The entries of the subscriptions the bytes `sha` decide for `check`, in
    /// subscription order.
    fn of_file(&self, sha: &str, check: usize) -> &[(&'a str, usize, &'a SubscriptionId)] {
        let start = self.0.partition_point(|e| (e.0, e.1) < (sha, check));
        let end = self.0.partition_point(|e| (e.0, e.1) <= (sha, check));
        self.0.get(start..end).unwrap_or_default()
    }
}

/// The flags of one verdict's evidence; `decided_by` names the subscriptions a file's bytes
/// (by SHA-256) decide.
fn flags_of(
    items: &[Evidence<'_>],
    subscription: &SubscriptionId,
    decided_by: &DecidedBy<'_>,
    check: usize,
    dates: &Dates,
) -> Vec<Flag> {
    let mut flags = Vec::new();
    let unread = items
        .iter()
        .filter(|e| matches!(e.found, Found::NotRead(_)))
        .count();
    let deciding: Vec<&Evidence<'_>> = items.iter().filter(|e| e.is_deciding()).collect();
    if deciding.is_empty() {
        if unread > 0 {
            flags.push(Flag::UnreadEvidence(unread));
        }
        return flags;
    }
    if deciding
        .iter()
        .all(|e| e.source == Some(crate::attribute::Source::Path))
    {
        flags.push(Flag::PathOnly);
    }
    if deciding.iter().any(|e| e.id_less) {
        flags.push(Flag::NoResourceId);
    }
    let mut shas: Vec<&str> = deciding.iter().filter_map(|e| e.sha256).collect();
    shas.sort_unstable();
    shas.dedup();
    let lists: Vec<_> = shas
        .iter()
        .map(|sha| decided_by.of_file(sha, check))
        .filter(|list| !list.is_empty())
        .collect();
    // One shared file (the usual case) is counted without building a set or walking its
    // list: a consolidated export naming N subscriptions stays linear in N over all of
    // them. Each list is sorted by subscription and without repeats.
    let (named, total) = match lists.as_slice() {
        [] => (Vec::new(), 0),
        [one] => {
            let listed = usize::from(one.binary_search_by(|e| e.2.cmp(subscription)).is_ok());
            (
                one.iter()
                    .map(|e| e.2)
                    .filter(|other| *other != subscription)
                    .take(SHARED_NAMED)
                    .copied()
                    .collect(),
                one.len() - listed,
            )
        }
        many => {
            let others: std::collections::BTreeSet<&SubscriptionId> = many
                .iter()
                .flat_map(|list| list.iter().map(|e| e.2))
                .filter(|other| *other != subscription)
                .collect();
            (
                others.iter().take(SHARED_NAMED).map(|s| **s).collect(),
                others.len(),
            )
        }
    };
    if total > 0 {
        flags.push(Flag::SharedEvidence { named, total });
    }
    let errors = items
        .iter()
        .filter(|e| e.outcome() == Some(Outcome::CollectionError))
        .count()
        + deciding
            .iter()
            .map(|e| usize::try_from(e.failed_attempts).unwrap_or(usize::MAX))
            .fold(0, usize::saturating_add);
    if errors > 0 {
        flags.push(Flag::CollectionErrors(errors));
    }
    if let Some(staleness) = &dates.staleness
        && let Some(oldest) = deciding
            .iter()
            .filter_map(|e| e.collected)
            .filter(|c| c.at < staleness.cutoff)
            .min_by_key(|c| c.at)
    {
        flags.push(Flag::Stale {
            collected: oldest.clone(),
            after: staleness.after.clone(),
        });
    }
    if let Some(now) = dates.now
        && let Some(latest) = deciding
            .iter()
            .filter_map(|e| e.collected)
            .filter(|c| stated_after(c, now))
            .max_by_key(|c| c.at)
    {
        flags.push(Flag::FutureDated(latest.clone()));
    }
    if unread > 0 {
        flags.push(Flag::UnreadEvidence(unread));
    }
    flags
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

fn judge(items: &[Evidence<'_>], check: &Check) -> (Verdict, String) {
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

fn files(n: usize) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn wdatp() -> Vec<Arc<Check>> {
        crate::checks::Checks::default().checks
    }

    fn sub(n: u8) -> SubscriptionId {
        SubscriptionId::parse(&format!("{n:08x}-1111-4111-8111-111111111111")).unwrap()
    }

    fn verdict_of(outcomes: &[Outcome]) -> SubscriptionVerdict {
        let s = sub(1);
        let paths: Vec<String> = (0..outcomes.len()).map(|i| format!("f{i}.json")).collect();
        let evidence = outcomes
            .iter()
            .zip(&paths)
            .map(|(&outcome, path)| Evidence::bare(&s, 0, path, Found::Outcome(outcome)));
        roll_up(evidence, None, &wdatp(), &Dates::default()).remove(0)
    }

    #[test]
    fn all_enabled_passes_and_non_deciding_files_are_named() {
        let v = verdict_of(&[Outcome::Enabled, Outcome::CollectionError, Outcome::Enabled]);
        assert_eq!(v.verdict, Verdict::Pass);
        assert_eq!(
            v.reason,
            "WDATP is enabled in 2 files; other files decide nothing (1 collection_error)"
        );
        assert_eq!(v.flags, [Flag::CollectionErrors(1)]);
    }

    #[test]
    fn disabled_or_absent_fails() {
        assert_eq!(verdict_of(&[Outcome::Disabled]).verdict, Verdict::Fail);
        let v = verdict_of(&[Outcome::Absent, Outcome::Disabled]);
        assert_eq!(v.verdict, Verdict::Fail);
        assert!(
            v.reason.contains("disabled in 1 file and absent"),
            "{}",
            v.reason
        );
    }

    #[test]
    fn enabled_against_disabled_is_a_conflict_naming_both_files() {
        let v = verdict_of(&[Outcome::Enabled, Outcome::Absent]);
        assert_eq!(v.verdict, Verdict::Conflict);
        assert!(
            v.reason.contains("f0.json") && v.reason.contains("f1.json"),
            "{}",
            v.reason
        );
    }

    #[test]
    fn nothing_deciding_is_no_evidence() {
        let v = verdict_of(&[Outcome::Malformed, Outcome::Unrecognized]);
        assert_eq!(v.verdict, Verdict::NoEvidence);
        assert_eq!(
            v.reason,
            "no file decides WDATP: 1 malformed, 1 unrecognized"
        );
    }

    #[test]
    fn a_file_that_was_not_read_leaves_its_subscription_without_evidence() {
        let s = sub(3);
        let skip = Skip::TooLarge { size: 9, limit: 1 };
        let v = roll_up(
            [Evidence::bare(&s, 0, "h/big.txt", Found::NotRead(&skip))],
            None,
            &wdatp(),
            &Dates::default(),
        )
        .remove(0);
        assert_eq!(v.verdict, Verdict::NoEvidence);
        assert!(
            v.reason
                .contains("1 file not read: h/big.txt (larger than --max-file-size"),
            "{}",
            v.reason
        );
    }

    #[test]
    fn a_pass_beside_a_file_not_read_is_flagged_unread_evidence() {
        let s = sub(3);
        let skip = Skip::TooLarge { size: 9, limit: 1 };
        let v = roll_up(
            [
                Evidence::bare(&s, 0, "h/good.json", Found::Outcome(Outcome::Enabled)),
                Evidence::bare(&s, 0, "h/big.json", Found::NotRead(&skip)),
            ],
            None,
            &wdatp(),
            &Dates::default(),
        )
        .remove(0);
        assert_eq!(v.verdict, Verdict::Pass);
        assert_eq!(v.flags, [Flag::UnreadEvidence(1)]);
        assert!(
            v.reason.ends_with(
                "unread_evidence: 1 file whose path names this subscription was not read and \
                 could change this verdict; the run cannot pass until it is read"
            ),
            "{}",
            v.reason
        );
    }

    #[test]
    fn only_a_stated_date_after_the_run_flags_future_dated() {
        let s = sub(4);
        let at = |text: &str, source| Collected {
            at: text.parse().unwrap(),
            by: None,
            source,
        };
        let now: jiff::Timestamp = "2024-01-01T00:00:00Z".parse().unwrap();
        let dates = Dates {
            now: Some(now),
            staleness: None,
        };
        let flags = |collected: &Collected| {
            roll_up(
                [Evidence {
                    collected: Some(collected),
                    ..Evidence::bare(&s, 0, "a.txt", Found::Outcome(Outcome::Enabled))
                }],
                None,
                &wdatp(),
                &dates,
            )
            .remove(0)
            .flags
        };
        let later = at("2026-01-05T09:42:11Z", DateSource::HttpDate);
        assert_eq!(flags(&later), [Flag::FutureDated(later.clone())]);
        // A modification time is reset by a copy: never flagged.
        assert!(flags(&at("2026-01-05T09:42:11Z", DateSource::FileModified)).is_empty());
        // A transcript's local time, read as UTC: within 14 hours is not later.
        assert!(flags(&at("2024-01-01T13:00:00Z", DateSource::Transcript)).is_empty());
        assert!(!flags(&at("2024-01-01T15:00:00Z", DateSource::Transcript)).is_empty());
        assert!(flags(&at("2023-12-31T23:59:59Z", DateSource::Har)).is_empty());
    }

    #[test]
    fn the_deciding_file_comes_first_with_its_value_and_location() {
        let s = sub(4);
        let location = crate::formats::Location::Pointer("/value/1/properties/enabled".into());
        let item = |path, outcome, enabled, location| Evidence {
            enabled,
            location,
            ..Evidence::bare(&s, 0, path, Found::Outcome(outcome))
        };
        let v = roll_up(
            [
                item("a/error.json", Outcome::CollectionError, None, None),
                item("b/list.json", Outcome::Enabled, Some(true), Some(&location)),
            ],
            None,
            &wdatp(),
            &Dates::default(),
        )
        .remove(0);
        assert_eq!(v.verdict, Verdict::Pass);
        assert_eq!(
            v.deciding,
            Some(Deciding {
                value: "true",
                location: Some("/value/1/properties/enabled".into()),
                collected: None,
            })
        );
        assert_eq!(v.paths, ["b/list.json", "a/error.json"]);
        assert_eq!(v.deciding_file(), Some("b/list.json"));
    }

    #[test]
    fn no_evidence_says_what_a_known_error_code_means() {
        let s = sub(5);
        let error = |path, detail| Evidence {
            detail,
            ..Evidence::bare(&s, 0, path, Found::Outcome(Outcome::CollectionError))
        };
        let v = roll_up(
            [
                error(
                    "a.txt",
                    "the collection failed: (AuthorizationFailed) The client x",
                ),
                error("b.txt", "the collection failed: AuthorizationFailed: again"),
                error(
                    "c.txt",
                    "the collection failed: ERROR: Please run 'az login' to setup account.",
                ),
            ],
            None,
            &wdatp(),
            &Dates::default(),
        )
        .remove(0);
        assert_eq!(v.verdict, Verdict::NoEvidence);
        assert_eq!(v.deciding, None);
        assert_eq!(
            v.reason,
            "no file decides WDATP: 3 collection_error; AuthorizationFailed: the identity that \
             collected it lacks read access to Microsoft.Security/settings on the subscription \
             (Security Reader or Reader is enough); az login: the az CLI was not signed in when \
             it was collected"
        );
    }

    #[test]
    fn an_id_less_deciding_setting_is_flagged() {
        let s = sub(6);
        let v = roll_up(
            [Evidence {
                source: Some(crate::attribute::Source::Content),
                enabled: Some(true),
                id_less: true,
                ..Evidence::bare(&s, 0, "x.json", Found::Outcome(Outcome::Enabled))
            }],
            None,
            &wdatp(),
            &Dates::default(),
        )
        .remove(0);
        assert_eq!(v.flags, [Flag::NoResourceId]);
    }

    #[test]
    fn inventory_adds_subscriptions_without_files() {
        let inventory = [sub(1), sub(2)];
        let s = sub(2);
        let verdicts = roll_up(
            [Evidence::bare(
                &s,
                0,
                "a.json",
                Found::Outcome(Outcome::Enabled),
            )],
            Some(&inventory),
            &wdatp(),
            &Dates::default(),
        );
        assert_eq!(verdicts.len(), 2);
        assert_eq!(verdicts[0].verdict, Verdict::NoEvidence);
        assert_eq!(verdicts[0].reason, "no evidence file");
        assert_eq!(verdicts[1].verdict, Verdict::Pass);
        assert_eq!(verdicts[1].in_inventory, Some(true));
    }

    #[test]
    fn an_unsorted_inventory_with_repeats_lists_each_subscription_once() {
        // The inventory is searched through a sorted copy: its own order and repeats must
        // not matter.
        let inventory = [sub(3), sub(1), sub(3), sub(2)];
        let (one, four) = (sub(1), sub(4));
        let verdicts = roll_up(
            [
                Evidence::bare(&four, 0, "d.json", Found::Outcome(Outcome::Enabled)),
                Evidence::bare(&one, 0, "a.json", Found::Outcome(Outcome::Disabled)),
            ],
            Some(&inventory),
            &wdatp(),
            &Dates::default(),
        );
        let listed: Vec<(SubscriptionId, Verdict, Option<bool>)> = verdicts
            .into_iter()
            .map(|v| (v.subscription, v.verdict, v.in_inventory))
            .collect();
        assert_eq!(
            listed,
            [
                (sub(1), Verdict::Fail, Some(true)),
                (sub(2), Verdict::NoEvidence, Some(true)),
                (sub(3), Verdict::NoEvidence, Some(true)),
                (sub(4), Verdict::Pass, Some(false)),
            ]
        );
    }

    #[test]
    fn shared_evidence_counts_only_the_bytes_other_subscriptions_share() {
        // `a` is decided by its own file and by a file whose bytes also decide `b`; `c` by
        // its own file only. Only the shared bytes flag, and they name `b` once.
        let (a, b, c) = (sub(1), sub(2), sub(3));
        let item = |s, path, sha| Evidence {
            sha256: Some(sha),
            ..Evidence::bare(s, 0, path, Found::Outcome(Outcome::Enabled))
        };
        let verdicts = roll_up(
            [
                item(&a, "a/own.json", "1111"),
                item(&a, "a/copy.json", "2222"),
                item(&b, "b/copy.json", "2222"),
                item(&c, "c/own.json", "3333"),
            ],
            None,
            &wdatp(),
            &Dates::default(),
        );
        let shared: Vec<Vec<Flag>> = verdicts
            .iter()
            .map(|v| {
                v.flags
                    .iter()
                    .filter(|f| matches!(f, Flag::SharedEvidence { .. }))
                    .cloned()
                    .collect()
            })
            .collect();
        assert_eq!(
            shared,
            [
                vec![Flag::SharedEvidence {
                    named: vec![b],
                    total: 1
                }],
                vec![Flag::SharedEvidence {
                    named: vec![a],
                    total: 1
                }],
                vec![],
            ]
        );
    }

    #[test]
    fn subscriptions_outside_the_inventory_come_after_those_it_lists() {
        let inventory = [sub(3), sub(2)];
        let (one, three, five) = (sub(1), sub(3), sub(5));
        let verdicts = roll_up(
            [
                Evidence::bare(&five, 0, "e.json", Found::Outcome(Outcome::Enabled)),
                Evidence::bare(&three, 0, "c.json", Found::Outcome(Outcome::Enabled)),
                Evidence::bare(&one, 0, "a.json", Found::Outcome(Outcome::Enabled)),
            ],
            Some(&inventory),
            &wdatp(),
            &Dates::default(),
        );
        let order: Vec<(SubscriptionId, Option<bool>)> = verdicts
            .iter()
            .map(|v| (v.subscription, v.in_inventory))
            .collect();
        assert_eq!(
            order,
            [
                (sub(2), Some(true)),
                (sub(3), Some(true)),
                (sub(1), Some(false)),
                (sub(5), Some(false)),
            ]
        );
    }
}
