//! The exceptions register (`scan --exceptions FILE`): accepted risks, each a subscription
//! and check whose failure someone approved until a date. A register never changes a
//! verdict: it annotates the row (`accepted` until the date, `expired` after it) and lets
//! the exit status pass over failures it covers, unless `--strict`.
//!
//! The register's rows and how it is read are in `register`. Here it is applied: a row
//! that is malformed, names a subscription and check the scan has no verdict for, repeats
//! another, or has expired is reported (a warning on standard error and in every report),
//! never silently applied.
//!
//! An exception holds through its `expires` date (UTC) and has expired from the next day
//! on; "now" is the run's time, `SOURCE_DATE_EPOCH` when set. Only a `fail` can be
//! excepted: a row for a `pass`, `conflict` or `no_evidence` is not applied, with a warning.
//! An exception that holds at the run's time but expired before the day its deciding
//! evidence is dated is warned about (the clock is behind the evidence).
use std::collections::BTreeMap;

use serde::Serialize;

use crate::register::{Applied, Exception, Note, Register, Status};
use crate::rollup::SubscriptionVerdict;
use crate::subscription::SubscriptionId;
use crate::vocabulary::verdict::Verdict;

/// What applying the register did, for the reports.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// The register file.
    pub register: String,
    /// Its SHA-256.
    pub sha256: String,
    /// Rows in the register (well-formed or not).
    pub rows: usize,
    /// Rows applied to a verdict, still holding.
    pub accepted: usize,
    /// Rows applied to a verdict, expired.
    pub expired: usize,
    /// Rows not applied, each with why, in register order.
    pub not_applied: Vec<String>,
    /// What the run warns about, in register order: the first [`WARNINGS_SHOWN`] of the
    /// rows not applied, expired, or applied against the evidence's date, each naming the
    /// register.
    #[serde(skip)]
    pub warnings: Vec<String>,
    /// How many more warnings there were than `warnings` holds.
    #[serde(skip)]
    pub warnings_left_out: usize,
}

/// The most warnings about the register's rows a run keeps (on standard error and in
/// `run.warnings`); the rest are counted. Every row not applied stays in
/// [`Outcome::not_applied`].
pub const WARNINGS_SHOWN: usize = 20;

/// Whether `exception` holds at `now`: through its `expires` day, UTC.
fn status_at(exception: &Exception, now: jiff::Timestamp) -> Status {
    let today = now.to_zoned(jiff::tz::TimeZone::UTC).date();
    if today > exception.expires {
        Status::Expired
    } else {
        Status::Accepted
    }
}

/// Applies `register` to the verdicts at `now`: each well-formed row annotates the `fail`
/// verdict of its subscription and check; a row for any other verdict is not applied (and
/// never shown as accepted), with a warning. An exception that holds at `now` but expired
/// before its verdict's deciding evidence is dated is applied, with a warning: the run's
/// clock is behind the evidence. Returns what was done, the problems included.
pub fn apply(
    register: &Register,
    verdicts: &mut [SubscriptionVerdict],
    now: jiff::Timestamp,
) -> Outcome {
    // The rows not applied, and the expired ones, each where it is in the register.
    let mut notes: Vec<Note> = register.problems.clone();
    // Check ids match whatever their case (`WDATP` names the check `wdatp`).
    let index: BTreeMap<(&SubscriptionId, String), usize> = verdicts
        .iter()
        .enumerate()
        .map(|(i, v)| ((&v.subscription, v.check.id.to_ascii_lowercase()), i))
        .collect();
    let mut chosen: BTreeMap<usize, &Exception> = BTreeMap::new();
    for exception in &register.exceptions {
        let key = (
            &exception.subscription,
            exception.check.to_ascii_lowercase(),
        );
        let Some(&i) = index.get(&key) else {
            notes.push((
                exception.at,
                format!(
                    "this scan has no verdict for subscription {} and check {}; not applied",
                    exception.subscription,
                    crate::escape::printable(&exception.check, &[])
                ),
            ));
            continue;
        };
        // Two rows for one verdict: the one that holds longer is shown, the other named.
        if let Some(other) = chosen.get(&i) {
            let (kept, dropped) = if exception.expires > other.expires {
                (exception, *other)
            } else {
                (*other, exception)
            };
            notes.push((
                dropped.at,
                format!(
                    "repeats the subscription and check of {}; {} (expiring {}) is shown",
                    kept.at, kept.at, kept.expires
                ),
            ));
            chosen.insert(i, kept);
            continue;
        }
        chosen.insert(i, exception);
    }
    let mut expired: Vec<Note> = Vec::new();
    // Exceptions that hold at the run's time but expired before their evidence was dated.
    let mut clock: Vec<Note> = Vec::new();
    let mut accepted = 0;
    for (i, exception) in chosen {
        let Some(verdict) = verdicts.get_mut(i) else {
            continue;
        };
        // Only a setting known to be off is a risk someone can accept: a conflict or a
        // verdict without evidence is unclear evidence, and a pass needs no exception.
        if verdict.verdict != Verdict::Fail {
            notes.push((exception.at, not_a_fail(verdict)));
            continue;
        }
        let status = status_at(exception, now);
        if status == Status::Accepted
            && let Some(why) = expired_before_evidence(exception, verdict)
        {
            clock.push((exception.at, why));
        }
        match status {
            Status::Accepted => accepted += 1,
            Status::Expired => expired.push((
                exception.at,
                format!(
                    "the exception for subscription {} and check {} expired on {}; its \
                     verdict ({}) counts",
                    verdict.subscription, verdict.check.id, exception.expires, verdict.verdict
                ),
            )),
        }
        verdict.exception = Some(Box::new(Applied {
            status,
            exception: exception.clone(),
        }));
    }
    let shown = |(at, text): &Note| format!("{at}: {text}");
    // Every list in register order (a stable sort keeps a row's notes as they came); the
    // warnings are the first of them all, referred to, not copied.
    notes.sort_by_key(|(at, _)| *at);
    let mut all: Vec<&Note> = notes.iter().chain(&expired).chain(&clock).collect();
    all.sort_by_key(|(at, _)| *at);
    let warnings = all
        .iter()
        .take(WARNINGS_SHOWN)
        .map(|note| format!("exceptions {}, {}", register.path, shown(note)))
        .collect();
    let warnings_left_out = all.len().saturating_sub(WARNINGS_SHOWN);
    drop(all);
    let expired = expired.len();
    Outcome {
        register: register.path.clone(),
        sha256: register.sha256.clone(),
        rows: register.exceptions.len() + register.problems.len(),
        accepted,
        expired,
        // Each note's text is moved into its line as the line is made.
        not_applied: notes
            .into_iter()
            .map(|(at, text)| format!("{at}: {text}"))
            .collect(),
        warnings,
        warnings_left_out,
    }
}

/// Why an exception for a verdict other than `fail` is not applied.
fn not_a_fail(verdict: &SubscriptionVerdict) -> String {
    format!(
        "the exception for subscription {} and check {} is not applied: the verdict is {}; \
         an exception covers only a fail",
        verdict.subscription, verdict.check.id, verdict.verdict
    )
}

/// When an exception that holds at the run's time expired before the date its verdict's
/// deciding evidence states (not a file's modification time): why that is suspect.
fn expired_before_evidence(exception: &Exception, verdict: &SubscriptionVerdict) -> Option<String> {
    let collected = verdict.deciding.as_ref()?.collected.as_ref()?;
    // The first moment after the exception's last day, UTC.
    let expired_at = exception
        .expires
        .tomorrow()
        .ok()?
        .to_zoned(jiff::tz::TimeZone::UTC)
        .ok()?
        .timestamp();
    // Collected at that moment or later: after the second before it (dates are to the second).
    let one_second_before = expired_at
        .checked_sub(jiff::SignedDuration::from_secs(1))
        .ok()?;
    crate::rollup::stated_after(collected, one_second_before).then(|| {
        format!(
            "the exception for subscription {} and check {} holds at the run's time but \
             expired on {}, before its deciding evidence says it was collected ({}, {}): the run's clock \
             (or SOURCE_DATE_EPOCH) is behind the evidence, or the evidence's date is wrong",
            verdict.subscription,
            verdict.check.id,
            exception.expires,
            collected.at,
            collected.source.as_str()
        )
    })
}

/// Whether a verdict's failure is set aside for the exit status by an exception that
/// holds: only `fail` (a setting known to be off); a `conflict` or `no_evidence` is not
/// an accepted risk but unclear evidence.
#[must_use]
pub fn covers(verdict: &SubscriptionVerdict) -> bool {
    verdict.verdict == Verdict::Fail
        && verdict
            .exception
            .as_ref()
            .is_some_and(|e| e.status == Status::Accepted)
}
