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

/// The formats named in the first column of the table of supported evidence (the page the
/// README links for it): a row `| `rest-list` | ...`, or `| `text`, `binary` | ...`.
fn formats_in_the_supported_evidence_table() -> std::collections::BTreeSet<String> {
    let page = std::fs::read_to_string(root().join("docs/supported-evidence.md")).unwrap();
    page.lines()
        .filter_map(|line| line.strip_prefix("| "))
        .filter_map(|row| row.split(" | ").next())
        .flat_map(|cell| {
            cell.split(", ")
                .filter_map(|name| name.strip_prefix('`')?.strip_suffix('`'))
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn every_format_a_parser_reports_is_documented_in_the_supported_evidence_table() {
    let documented = formats_in_the_supported_evidence_table();
    assert!(
        documented.len() > 20,
        "docs/supported-evidence.md: the table of formats was not found: {documented:?}"
    );
    let mut missing = Vec::new();
    for parser in mdc_evidence::formats::PARSERS {
        for format in parser.formats {
            if !documented.contains(format.as_str()) {
                missing.push(format!("{} ({})", format, parser.family));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "formats missing from the table in docs/supported-evidence.md: {missing:?}"
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
