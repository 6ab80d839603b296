//! The domain model: what a scan finds, shared by every stage after discovery, by every
//! report writer and by `explain`. Plain data: no I/O, no pipeline, no wording of reports
//! beyond the `Display` of its reasons (in one place, here).

use crate::checks::Checks;
use crate::decode::Encoding;
use crate::evaluate::Observation;
use crate::formats::Format;
use crate::formats::dates::Collected;
use crate::rollup::SubscriptionVerdict;
use crate::vocabulary::entry::{EntryKind, Skip};
use crate::vocabulary::verdict::Verdict;

/// What became of one entry under the roots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRecord {
    /// The path as reached from its root argument.
    pub path: String,
    /// The entry's type.
    pub kind: EntryKind,
    /// Read and evaluated, or skipped with a reason.
    pub status: FileStatus,
}

impl FileRecord {
    /// What the file gave, when it was read and evaluated.
    #[must_use]
    pub fn evaluated(&self) -> Option<&Evaluated> {
        match &self.status {
            FileStatus::Evaluated(e) => Some(e),
            FileStatus::Skipped(_) => None,
        }
    }
}

/// Whether a file was evaluated, and what it gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileStatus {
    /// Not read as evidence; the reason says why.
    Skipped(Skip),
    /// Read and evaluated.
    Evaluated(Evaluated),
}

/// A file that was read, and its observations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluated {
    /// Size in bytes.
    pub size: u64,
    /// Hex SHA-256 of the bytes.
    pub sha256: crate::vocabulary::digest::Sha256Hex,
    /// The encoding it was decoded in (`None` when it could not be decoded).
    pub encoding: Option<Encoding>,
    /// The detected shape.
    pub format: Format,
    /// One per subscription (or one unattributed), sorted by subscription.
    pub observations: Vec<Observation>,
    /// The first file in the report with the same SHA-256, if this one is a copy.
    pub duplicate_of: Option<String>,
    /// When (and by whom) the evidence says it was collected, else the file's
    /// modification time, marked as such.
    pub collected: Option<Collected>,
    /// Why the file is not evidence, when it is not (a README, an image): it then gives no
    /// observation, and reports count it apart (see [`crate::evaluate::not_evidence`]).
    pub not_evidence: Option<String>,
}

/// Metadata of the run, recorded in the JSON report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunInfo {
    /// The command line (without `--threads`, which cannot change a report).
    pub command_line: Vec<String>,
    /// The roots as given.
    pub roots: Vec<String>,
    /// RFC 3339 UTC time of the run, or of `SOURCE_DATE_EPOCH`.
    pub generated_at: String,
    /// When the access times of some evidence could not be kept (the kernel refused
    /// `O_NOATIME` on folders or files of another owner), how many; else `None`.
    pub access_times: Option<String>,
    /// What the user should know about how the run went (a pattern that matched nothing).
    pub warnings: Vec<String>,
}

/// Everything a run found: the input of every report writer.
#[derive(Debug, Clone)]
pub struct Report {
    /// Run metadata.
    pub run: RunInfo,
    /// The checks run, and the benchmark whose control ids the report shows.
    pub checks: Checks,
    /// Every entry under the roots, sorted by path.
    pub files: Vec<FileRecord>,
    /// One verdict per subscription and check, sorted by subscription, then check order.
    pub subscriptions: Vec<SubscriptionVerdict>,
    /// What the exceptions register did, when one was given.
    pub exceptions: Option<crate::exceptions::Outcome>,
}

/// The process exit status a report calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Every subscription passes, and every file that might be evidence was read.
    Pass = 0,
    /// Some subscription fails or has conflicting evidence.
    Fail = 1,
    /// Usage or fatal error; no report was written.
    Error = 2,
    /// Evidence incomplete: no fail or conflict, but some subscription has no evidence,
    /// none was found, or a file that might be evidence was not read.
    Incomplete = 3,
}

/// A `--fail-on` rule: what else makes a run exit 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    /// `flagged`: a verdict in scope carries any flag.
    Flagged,
    /// A flag's code (`path_only`, `stale`, ...): a verdict in scope carries that flag.
    Flag(&'static str),
    /// `unattributed-value`: an observation without a subscription holds a value (an
    /// outcome that would decide a subscription if one were known).
    UnattributedValue,
    /// `out-of-scope`: a subscription outside the inventory fails or conflicts.
    OutOfScope,
}

impl FailOn {
    /// The rule as the command line names it.
    #[must_use]
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Flagged => "flagged",
            Self::Flag(code) => code,
            Self::UnattributedValue => "unattributed-value",
            Self::OutOfScope => "out-of-scope",
        }
    }
}

impl Report {
    /// The exit status this report calls for (see the README's exit codes), decided here
    /// only. A `fail` or `conflict` in scope exits 1, except a `fail` covered by an
    /// exception that holds, unless `strict`; so does any `fail_on` rule that holds
    /// ([`Report::fired`]). Otherwise the run passes only on complete evidence: a
    /// subscription in scope without evidence, no subscription at all, or any skipped file
    /// that might be evidence ([`Skip::might_be_evidence`]) exits 3. A file not read could
    /// hold anything for any subscription, whatever its path says, so no verdict is
    /// trusted to stand without it.
    #[must_use]
    pub fn exit_status(&self, strict: bool, fail_on: &[FailOn]) -> ExitStatus {
        if !self.fired(fail_on).is_empty() {
            return ExitStatus::Fail;
        }
        // With an inventory, only the subscriptions it lists decide the status.
        let in_scope = || self.subscriptions.iter().filter(|s| s.in_scope());
        let has = |v: Verdict| {
            in_scope().any(|s| s.verdict == v && (strict || !crate::exceptions::covers(s)))
        };
        if has(Verdict::Fail) || has(Verdict::Conflict) {
            ExitStatus::Fail
        } else if has(Verdict::NoEvidence)
            || in_scope().next().is_none()
            || self.unread_evidence() > 0
        {
            ExitStatus::Incomplete
        } else {
            ExitStatus::Pass
        }
    }

    /// The `fail_on` rules that hold, each with how many verdicts (observations, for
    /// `unattributed-value`) make it hold, in the order given, without repeats.
    #[must_use]
    pub fn fired(&self, fail_on: &[FailOn]) -> Vec<(FailOn, usize)> {
        let mut fired: Vec<(FailOn, usize)> = Vec::new();
        for rule in fail_on {
            if fired.iter().any(|(r, _)| r == rule) {
                continue;
            }
            let in_scope = || self.subscriptions.iter().filter(|s| s.in_scope());
            let count = match rule {
                FailOn::Flagged => in_scope().filter(|s| !s.flags.is_empty()).count(),
                FailOn::Flag(code) => in_scope()
                    .filter(|s| s.flags.iter().any(|f| f.as_str() == *code))
                    .count(),
                FailOn::UnattributedValue => self
                    .observations()
                    .filter(|(_, _, o)| o.subscription.is_none() && o.outcome.is_deciding())
                    .count(),
                FailOn::OutOfScope => self
                    .subscriptions
                    .iter()
                    .filter(|s| {
                        !s.in_scope() && matches!(s.verdict, Verdict::Fail | Verdict::Conflict)
                    })
                    .count(),
            };
            if count > 0 {
                fired.push((*rule, count));
            }
        }
        fired
    }

    /// How many skipped entries might be evidence ([`Skip::might_be_evidence`]): while any
    /// is, the run cannot pass.
    #[must_use]
    pub fn unread_evidence(&self) -> usize {
        self.files
            .iter()
            .filter(|f| matches!(&f.status, FileStatus::Skipped(skip) if skip.might_be_evidence()))
            .count()
    }

    /// The failures in scope that exceptions which hold set aside for the exit status.
    #[must_use]
    pub fn accepted_failures(&self) -> usize {
        self.subscriptions
            .iter()
            .filter(|s| s.in_scope() && crate::exceptions::covers(s))
            .count()
    }

    /// Every observation with its file, in report order (by path, then subscription).
    pub fn observations(&self) -> impl Iterator<Item = (&FileRecord, &Evaluated, &Observation)> {
        self.files.iter().flat_map(|file| {
            file.evaluated()
                .into_iter()
                .flat_map(move |e| e.observations.iter().map(move |o| (file, e, o)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rollup::{Dates, Evidence, Found};
    use crate::subscription::SubscriptionId;
    use crate::vocabulary::outcome::Outcome;

    /// A report whose one subscription passes, beside one entry skipped for `skip`.
    fn passing_beside(skip: Skip) -> Report {
        let checks = Checks::default();
        let s = SubscriptionId::parse("11111111-2222-4333-8444-555555555555").unwrap();
        let subscriptions = crate::rollup::roll_up(
            [Evidence::bare(
                &s,
                0,
                "good.json",
                Found::Outcome(Outcome::Enabled),
            )],
            None,
            &checks.checks,
            &Dates::default(),
        );
        Report {
            run: RunInfo {
                command_line: Vec::new(),
                roots: Vec::new(),
                generated_at: String::new(),
                access_times: None,
                warnings: Vec::new(),
            },
            checks,
            files: vec![FileRecord {
                path: "x".into(),
                kind: EntryKind::File,
                status: FileStatus::Skipped(skip),
            }],
            subscriptions,
            exceptions: None,
        }
    }

    #[test]
    fn every_skip_that_might_be_evidence_keeps_a_pass_from_exiting_0() {
        let unread = [
            Skip::TooLarge { size: 2, limit: 1 },
            Skip::Unreadable("x".into()),
            Skip::ChangedDuringRead,
            Skip::SymlinkNotFollowed,
            Skip::TemporaryFile,
            Skip::NotRegular(EntryKind::Other),
        ];
        for skip in unread {
            let report = passing_beside(skip.clone());
            assert_eq!(report.unread_evidence(), 1, "{skip}");
            assert_eq!(
                report.exit_status(false, &[]),
                ExitStatus::Incomplete,
                "{skip}"
            );
        }
        let deliberate = [
            Skip::Excluded("*.log".into()),
            Skip::NotIncluded,
            Skip::ReportOutput,
            Skip::EarlierReport,
            Skip::SymlinkLoop,
            Skip::NotRegular(EntryKind::Fifo),
        ];
        for skip in deliberate {
            let report = passing_beside(skip.clone());
            assert_eq!(report.unread_evidence(), 0, "{skip}");
            assert_eq!(report.exit_status(false, &[]), ExitStatus::Pass, "{skip}");
        }
    }
}
