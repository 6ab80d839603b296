//! What a reviewer should look at in a verdict's evidence, besides the verdict: evidence
//! only a path names, bytes shared with other subscriptions, settings without resource ids,
//! failed collections beside it, dates that are only a file's modification time, stale,
//! future or outside the audit period, files not read. Flags never change
//! a verdict.

use std::fmt;

use rayon::prelude::*;

use super::reason::files;
use super::{Dates, Evidence, Found};
use crate::formats::dates::{Collected, DateSource};
use crate::subscription::SubscriptionId;
use crate::vocabulary::outcome::Outcome;

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
    /// No deciding evidence states when it was collected: the verdict's dates are only
    /// files' modification times, which a copy resets.
    DateFromFileTime,
    /// Deciding evidence was collected before `--stale-after` allows: the oldest, and the
    /// limit in words (`more than 30d before the run`).
    Stale { collected: Collected, rule: String },
    /// Deciding evidence is dated before the `--period`'s first day: the oldest, and that
    /// day.
    BeforePeriod {
        collected: Collected,
        first_day: String,
    },
    /// Deciding evidence states a collection date after the run's time (the clock, or
    /// `SOURCE_DATE_EPOCH`, is behind the evidence, or the date is wrong): the latest such
    /// date. A file's modification time never flags (a copy resets it).
    FutureDated(Collected),
    /// Deciding evidence states a collection date after the `--period`'s last day (and not
    /// after the run's time, which is `future_dated`): the latest, and that day. A file's
    /// modification time never flags.
    AfterPeriod {
        collected: Collected,
        last_day: String,
    },
    /// Files whose path names the subscription were not read (too large, unreadable, ...):
    /// any could hold a value that changes the verdict, so the run cannot pass. How many.
    UnreadEvidence(usize),
}

impl Flag {
    /// Every flag's code, in the order a verdict lists them.
    pub const CODES: &[&str] = &[
        "path_only",
        "no_resource_id",
        "shared_evidence",
        "collection_errors",
        "date_from_file_time",
        "stale",
        "before_period",
        "future_dated",
        "after_period",
        "unread_evidence",
    ];

    /// The short code reports show.
    #[must_use]
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::PathOnly => "path_only",
            Self::NoResourceId => "no_resource_id",
            Self::SharedEvidence { .. } => "shared_evidence",
            Self::CollectionErrors(_) => "collection_errors",
            Self::DateFromFileTime => "date_from_file_time",
            Self::Stale { .. } => "stale",
            Self::BeforePeriod { .. } => "before_period",
            Self::FutureDated(_) => "future_dated",
            Self::AfterPeriod { .. } => "after_period",
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
            Self::DateFromFileTime => f.write_str(
                "date_from_file_time: dated only by the file's modification time, which may be \
                 a copy's",
            ),
            Self::Stale { collected, rule } => write!(
                f,
                "stale: deciding evidence {} {} ({}), {rule}",
                dated(collected),
                collected.at,
                collected.source.as_str()
            ),
            Self::BeforePeriod {
                collected,
                first_day,
            } => write!(
                f,
                "before_period: deciding evidence {} {} ({}), before the period's first day \
                 {first_day}",
                dated(collected),
                collected.at,
                collected.source.as_str()
            ),
            Self::AfterPeriod {
                collected,
                last_day,
            } => write!(
                f,
                "after_period: deciding evidence says it was collected {} ({}), after the \
                 period's last day {last_day}: it shows the setting after the period",
                collected.at,
                collected.source.as_str()
            ),
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

/// How a reason says when evidence is dated: a modification time is not a collection.
fn dated(collected: &Collected) -> &'static str {
    match collected.source {
        DateSource::FileModified => "was last modified",
        _ => "was collected",
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

/// The flags of the deciding evidence's dates, in [`Flag::CODES`] order, added to `flags`.
fn date_flags(deciding: &[&Evidence<'_>], dates: &Dates, flags: &mut Vec<Flag>) {
    let collected = || deciding.iter().filter_map(|e| e.collected);
    // Dates the evidence states outrank files' modification times: a verdict is flagged
    // only when it has no such date at all.
    if collected().next().is_some() && collected().all(|c| c.source == DateSource::FileModified) {
        flags.push(Flag::DateFromFileTime);
    }
    let oldest_before = |cutoff: jiff::Timestamp| {
        collected()
            .filter(|c| c.at < cutoff)
            .min_by_key(|c| c.at)
            .cloned()
    };
    if let Some(staleness) = &dates.staleness
        && let Some(oldest) = oldest_before(staleness.cutoff)
    {
        flags.push(Flag::Stale {
            collected: oldest,
            rule: staleness.rule.clone(),
        });
    }
    if let Some(period) = &dates.period
        && let Some(oldest) = oldest_before(period.start)
    {
        flags.push(Flag::BeforePeriod {
            collected: oldest,
            first_day: period.first_day.clone(),
        });
    }
    let future = |c: &&Collected| dates.now.is_some_and(|now| stated_after(c, now));
    if let Some(latest) = collected().filter(future).max_by_key(|c| c.at) {
        flags.push(Flag::FutureDated(latest.clone()));
    }
    if let Some(period) = &dates.period
        && let Ok(last_second) = period.end.checked_sub(jiff::SignedDuration::from_secs(1))
        && let Some(latest) = collected()
            .filter(|c| !future(c))
            .filter(|c| stated_after(c, last_second))
            .max_by_key(|c| c.at)
    {
        flags.push(Flag::AfterPeriod {
            collected: latest.clone(),
            last_day: period.last_day.clone(),
        });
    }
}

/// How many other subscriptions a `shared_evidence` reason names.
const SHARED_NAMED: usize = 3;

/// Which subscriptions each shared file's bytes (by SHA-256) decide, per check: every
/// (digest, check, subscription) of a deciding item whose bytes decide more than one
/// subscription for that check, sorted and without repeats. Bytes that decide a single
/// subscription (nearly every file) are left out: they share nothing, and a small table
/// keeps the lookups cheap. Only looked up, by binary search: one sorted vector instead of
/// a map holding a list per digest.
pub(super) struct DecidedBy<'a>(Vec<(&'a str, usize, &'a SubscriptionId)>);

impl<'a> DecidedBy<'a> {
    pub(super) fn of(items: &[Evidence<'a>]) -> Self {
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
pub(super) fn flags_of(
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
    date_flags(&deciding, dates, &mut flags);
    if unread > 0 {
        flags.push(Flag::UnreadEvidence(unread));
    }
    flags
}
