//! Snapshots of what a person or a program reads: the JSON, CSV and HTML reports of the bundled
//! fixtures, and `explain` of a few of them. A change of wording or of a report's layout
//! shows here as a diff to review (`cargo insta review`, or `INSTA_UPDATE=always cargo test
//! --test snapshots` to accept), while the behaviour tests elsewhere check the substance.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failure is a panic with its message"
)]

mod common;

use common::{fixtures_copy, mdc};

/// The output of the tool run in a copy of the fixtures whose files all have the same
/// modification time (evidence that states no date is dated by it).
fn stdout(args: &[&str]) -> String {
    let copy = fixtures_copy();
    let output = mdc().current_dir(copy.path()).args(args).output().unwrap();
    String::from_utf8(output.stdout).unwrap()
}

#[test]
#[cfg_attr(
    windows,
    ignore = "Windows has no O_NOATIME: its report says reading may have changed access times, which the Linux snapshot does not"
)]
fn json_report_of_the_fixtures() {
    insta::assert_snapshot!(stdout(&["scan", "fixtures/", "--format", "json"]));
}

#[test]
fn csv_report_of_the_fixtures_one_row_per_subscription() {
    insta::assert_snapshot!(stdout(&["scan", "fixtures/"]));
}

#[test]
fn csv_report_of_the_fixtures_one_row_per_observation() {
    insta::assert_snapshot!(stdout(&["scan", "fixtures/", "--rows", "observations"]));
}

#[test]
#[cfg_attr(
    windows,
    ignore = "Windows has no O_NOATIME: its report says reading may have changed access times, which the Linux snapshot does not"
)]
fn html_report_of_the_fixtures() {
    insta::assert_snapshot!(stdout(&["scan", "fixtures/", "--format", "html"]));
}

#[test]
fn explain_of_a_rest_list_a_transcript_and_a_broken_file() {
    for (name, path) in [
        (
            "rest_list",
            "fixtures/rest-list/az-rest-sorted-keys-enabled.json",
        ),
        (
            "transcript",
            "fixtures/powershell-transcript/b27edbde-877f-441a-ad59-d391f97d42c0/PowerShell_transcript.AUDIT-WS01.Hc6Ty1Vb.20241108084406_set-azcontext-then-cis-table_utf8-bom-crlf.txt",
        ),
        (
            "truncated",
            "fixtures/malformed/truncated_586ed871-fd97-4168-8609-2d1fce9f5870.json",
        ),
    ] {
        insta::assert_snapshot!(format!("explain_{name}"), stdout(&["explain", path]));
    }
}
