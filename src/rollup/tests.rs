use super::*;
use crate::formats::dates::DateSource;

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
        period: None,
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
    // A modification time is reset by a copy: never future_dated, but flagged as the
    // verdict's only date.
    assert_eq!(
        flags(&at("2026-01-05T09:42:11Z", DateSource::FileModified)),
        [Flag::DateFromFileTime]
    );
    // A transcript's local time, read as UTC: within 14 hours is not later.
    assert!(flags(&at("2024-01-01T13:00:00Z", DateSource::Transcript)).is_empty());
    assert!(!flags(&at("2024-01-01T15:00:00Z", DateSource::Transcript)).is_empty());
    assert!(flags(&at("2023-12-31T23:59:59Z", DateSource::Har)).is_empty());
}

#[test]
fn every_flag_code_is_listed_once_in_order() {
    let collected = Collected {
        at: jiff::Timestamp::UNIX_EPOCH,
        by: None,
        source: DateSource::Har,
    };
    let every = [
        Flag::PathOnly,
        Flag::NoResourceId,
        Flag::SharedEvidence {
            named: Vec::new(),
            total: 1,
        },
        Flag::CollectionErrors(1),
        Flag::DateFromFileTime,
        Flag::Stale {
            collected: collected.clone(),
            rule: String::new(),
        },
        Flag::BeforePeriod {
            collected: collected.clone(),
            first_day: String::new(),
        },
        Flag::FutureDated(collected.clone()),
        Flag::AfterPeriod {
            collected,
            last_day: String::new(),
        },
        Flag::UnreadEvidence(1),
    ];
    let codes: Vec<&str> = every.iter().map(Flag::as_str).collect();
    assert_eq!(codes, Flag::CODES);
    for flag in &every {
        assert!(
            flag.to_string()
                .starts_with(&format!("{}: ", flag.as_str()))
        );
    }
}

#[test]
fn the_period_flags_dates_outside_it_and_staleness_counts_from_its_end() {
    let s = sub(4);
    let at = |text: &str, source| Collected {
        at: text.parse().unwrap(),
        by: None,
        source,
    };
    let dates = Dates {
        now: Some("2026-12-08T00:00:00Z".parse().unwrap()),
        staleness: Some(Staleness {
            cutoff: "2026-07-03T00:00:00Z".parse().unwrap(),
            rule: "more than 90d before the period's end (2026-09-30)".into(),
        }),
        period: Some(Period {
            start: "2026-07-01T00:00:00Z".parse().unwrap(),
            end: "2026-10-01T00:00:00Z".parse().unwrap(),
            first_day: "2026-07-01".into(),
            last_day: "2026-09-30".into(),
        }),
    };
    let flags = |items: &[&Collected]| {
        let evidence = items.iter().map(|c| Evidence {
            collected: Some(*c),
            ..Evidence::bare(&s, 0, "a.txt", Found::Outcome(Outcome::Enabled))
        });
        let codes: Vec<&str> = roll_up(evidence, None, &wdatp(), &dates)
            .remove(0)
            .flags
            .iter()
            .map(Flag::as_str)
            .collect();
        codes
    };
    let inside = at("2026-09-30T23:59:59Z", DateSource::HttpDate);
    assert!(flags(&[&inside]).is_empty());
    let after = at("2026-10-01T00:00:00Z", DateSource::HttpDate);
    assert_eq!(flags(&[&after]), ["after_period"]);
    // A modification time after the period is a copy's, likely: not after_period.
    let copied = at("2026-11-01T00:00:00Z", DateSource::FileModified);
    assert_eq!(flags(&[&copied]), ["date_from_file_time"]);
    // Stated after the run too: future_dated only.
    let future = at("2027-01-01T00:00:00Z", DateSource::Har);
    assert_eq!(flags(&[&future]), ["future_dated"]);
    let old = at("2026-06-01T00:00:00Z", DateSource::Har);
    assert_eq!(flags(&[&old]), ["stale", "before_period"]);
    // A date from content beside a file time: no date_from_file_time.
    let early = at("2026-07-02T00:00:00Z", DateSource::FileModified);
    assert_eq!(flags(&[&inside, &early]), ["stale"]);
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
