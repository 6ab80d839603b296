//! Walks `fixtures/` (the sample evidence) and checks every observation and verdict against
//! the tables in `tests/expected/`. A new fixture needs one new table row, no new code.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failure is a panic with its message"
)]

mod common;

use common::{difference, expected, observation_rows, root, scan, skipped, verdict_rows};

#[test]
fn every_fixture_gives_its_expected_observations() {
    let folder = root().join("fixtures");
    let report = scan(&folder, 0);
    assert_eq!(skipped(&report), Vec::new(), "fixtures must all be read");
    let actual = observation_rows(&report, &folder);
    if let Some(diff) = difference(&expected("fixtures", 6), &actual) {
        panic!("fixture observations differ from tests/expected/fixtures-*.tsv\n{diff}");
    }
}

#[test]
fn every_fixture_subscription_gets_its_expected_verdict() {
    let report = scan(&root().join("fixtures"), 0);
    if let Some(diff) = difference(&expected("verdicts", 2), &verdict_rows(&report)) {
        panic!("verdicts differ from tests/expected/verdicts-*.tsv\n{diff}");
    }
}

#[test]
fn every_format_a_parser_reports_is_documented_in_the_readme_table() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let mut missing = Vec::new();
    for parser in mdc_evidence::formats::PARSERS {
        for format in parser.formats {
            if !readme.contains(&format!("| `{format}` |"))
                && !readme.contains(&format!("`{format}`,"))
            {
                missing.push(format!("{} ({})", format, parser.family));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "formats missing from the README's table: {missing:?}"
    );
}

/// Scans `fixtures/checks/` (every shape that lists settings, for two subscriptions with
/// opposite MCAS and Linux settings) with the checks `mcas` and `wdatp-linux`.
fn scan_with_mcas_and_linux() -> mdc_evidence::Report {
    let folder = root().join("fixtures/checks");
    let mut config = mdc_evidence::Config::new(vec![folder]);
    config.checks = mdc_evidence::checks::select(
        &["mcas".to_owned(), "wdatp-linux".to_owned()],
        &[],
        None,
        None,
    )
    .unwrap();
    mdc_evidence::run(&config).unwrap()
}

#[test]
fn every_shape_that_lists_settings_serves_every_check() {
    let report = scan_with_mcas_and_linux();
    let prefix = format!(
        "{}/",
        mdc_evidence::escape::display(&root().join("fixtures"))
    );
    let actual: std::collections::BTreeSet<Vec<String>> = report
        .observations()
        .map(|(file, _, o)| {
            vec![
                file.path
                    .strip_prefix(&prefix)
                    .unwrap_or(&file.path)
                    .to_owned(),
                o.check.id.clone(),
                o.subscription
                    .as_ref()
                    .map_or("-", |s| s.as_str())
                    .to_owned(),
                o.outcome.as_str().to_owned(),
                o.location
                    .as_ref()
                    .map_or("-".to_owned(), ToString::to_string),
            ]
        })
        .collect();
    if let Some(diff) = difference(&expected("checkrows", 5), &actual) {
        panic!("observations differ from tests/expected/checkrows-*.tsv\n{diff}");
    }
    let verdicts: std::collections::BTreeSet<Vec<String>> = report
        .subscriptions
        .iter()
        .map(|s| {
            vec![
                s.subscription.as_str().to_owned(),
                s.check.id.clone(),
                s.verdict.as_str().to_owned(),
            ]
        })
        .collect();
    if let Some(diff) = difference(&expected("checkverdicts", 3), &verdicts) {
        panic!("verdicts differ from tests/expected/checkverdicts-*.tsv\n{diff}");
    }
}
