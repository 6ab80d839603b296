//! The audit period end to end: `--period` judges evidence against its end (dates after it
//! or before it flagged, staleness counted back from it), `--stale-after` takes a date or
//! a duration whose units cannot be misread, a verdict dated only by a file's modification
//! time is flagged, `--fail-on` rules make a run exit 1, and `verify` re-derives a report
//! made with a period.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failure is a panic with its message"
)]

mod common;

use std::path::Path;
use std::time::{Duration, SystemTime};

use common::{mdc, settings_list, write};
use serde_json::Value;

/// The run's time: 2026-12-08T00:00:00Z, after the period.
const RUN: &str = "1796688000";
/// Collected after the period's end (2026-09-30), before the run.
const AFTER: &str = "a1a1a1a1-1111-4111-8111-111111111111";
/// Collected before the period and long before its end.
const OLD: &str = "b2b2b2b2-2222-4222-8222-222222222222";
/// Collected within the period.
const INSIDE: &str = "c3c3c3c3-3333-4333-8333-333333333333";
/// States no date: dated by its file's modification time (within the period).
const UNDATED: &str = "d4d4d4d4-4444-4444-8444-444444444444";

/// An HTTP capture of `sub`'s settings list, its `Date` header `date`.
fn capture(sub: &str, date: &str) -> String {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\nDate: {date} \
         10:00:00 GMT\r\n\r\n{}",
        settings_list(sub, "true")
    )
}

/// The collection: one subscription per case, every one passing.
fn collection() -> tempfile::TempDir {
    let dir = tempfile::TempDir::new().unwrap();
    write(dir.path(), "after.txt", &capture(AFTER, "Tue, 13 Oct 2026"));
    write(dir.path(), "old.txt", &capture(OLD, "Mon, 01 Jun 2026"));
    write(
        dir.path(),
        "inside.txt",
        &capture(INSIDE, "Tue, 15 Sep 2026"),
    );
    write(dir.path(), "undated.json", &settings_list(UNDATED, "true"));
    // 2026-09-15T00:00:00Z, within the period and the staleness window.
    let modified = SystemTime::UNIX_EPOCH + Duration::from_secs(1_789_430_400);
    for name in ["after.txt", "old.txt", "inside.txt", "undated.json"] {
        std::fs::File::options()
            .write(true)
            .open(dir.path().join(name))
            .unwrap()
            .set_modified(modified)
            .unwrap();
    }
    dir
}

fn scan_json(dir: &Path, extra: &[&str]) -> Value {
    let output = mdc()
        .env("SOURCE_DATE_EPOCH", RUN)
        .current_dir(dir)
        .args(["scan", ".", "--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// The flags and the reason of `sub`'s verdict.
fn flags_and_reason(report: &Value, sub: &str) -> (Vec<String>, String) {
    let row = report["subscriptions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["subscription_id"] == sub)
        .unwrap();
    assert_eq!(row["verdict"], "pass", "{row}");
    let flags = row["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_owned())
        .collect();
    (flags, row["reason"].as_str().unwrap().to_owned())
}

#[test]
fn a_period_flags_evidence_after_it_before_it_and_stale_from_its_end() {
    let dir = collection();
    let report = scan_json(
        dir.path(),
        &["--period", "2026-07-01..2026-09-30", "--stale-after", "90d"],
    );
    let (flags, reason) = flags_and_reason(&report, AFTER);
    assert_eq!(flags, ["after_period"]);
    assert!(
        reason.ends_with(
            "after_period: deciding evidence says it was collected 2026-10-13T10:00:00Z \
             (http_date_header), after the period's last day 2026-09-30: it shows the setting \
             after the period"
        ),
        "{reason}"
    );
    let (flags, reason) = flags_and_reason(&report, OLD);
    assert_eq!(flags, ["stale", "before_period"]);
    assert!(
        reason.contains(
            "stale: deciding evidence was collected 2026-06-01T10:00:00Z (http_date_header), \
             more than 90d before the period's end (2026-09-30)"
        ),
        "{reason}"
    );
    assert!(
        reason.ends_with("before the period's first day 2026-07-01"),
        "{reason}"
    );
    assert_eq!(flags_and_reason(&report, INSIDE).0, Vec::<String>::new());
    let (flags, reason) = flags_and_reason(&report, UNDATED);
    assert_eq!(flags, ["date_from_file_time"]);
    assert!(
        reason.ends_with(
            "date_from_file_time: dated only by the file's modification time, which may be \
             a copy's"
        ),
        "{reason}"
    );
    // Without a period, 60 days before the run (2026-12-08): the capture of September is
    // stale too, and nothing is after a period.
    let report = scan_json(dir.path(), &["--stale-after", "60d"]);
    assert_eq!(flags_and_reason(&report, AFTER).0, Vec::<String>::new());
    let (flags, reason) = flags_and_reason(&report, INSIDE);
    assert_eq!(flags, ["stale"]);
    assert!(reason.ends_with("more than 60d before the run"), "{reason}");
}

#[test]
fn stale_after_takes_a_date_and_months_but_never_reads_m_as_minutes() {
    let dir = collection();
    for ambiguous in ["3m", "3M"] {
        let output = mdc()
            .current_dir(dir.path())
            .args(["scan", ".", "--stale-after", ambiguous])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("write `min` for minutes or `mo` for months"),
            "{stderr}"
        );
    }
    // Three months back from the period's end (2026-10-01T00:00:00Z): only June is stale.
    let report = scan_json(
        dir.path(),
        &["--period", "2026-07-01..2026-09-30", "--stale-after", "3mo"],
    );
    assert_eq!(flags_and_reason(&report, INSIDE).0, Vec::<String>::new());
    assert_eq!(flags_and_reason(&report, OLD).0, ["stale", "before_period"]);
    // A date: stale when collected before it, whatever the run's time.
    let report = scan_json(dir.path(), &["--stale-after", "2026-09-16"]);
    let (flags, reason) = flags_and_reason(&report, INSIDE);
    assert_eq!(flags, ["stale"]);
    assert!(
        reason.ends_with(
            "stale: deciding evidence was collected 2026-09-15T10:00:00Z (http_date_header), \
             before 2026-09-16"
        ),
        "{reason}"
    );
    assert_eq!(flags_and_reason(&report, AFTER).0, Vec::<String>::new());
    for wrong in ["2026-09-31", "2026-07-01..2026-09-30"] {
        mdc()
            .current_dir(dir.path())
            .args(["scan", ".", "--stale-after", wrong])
            .assert()
            .code(2);
    }
    for wrong in ["2026-09-30..2026-07-01", "2026-Q3", "2026-07-01.."] {
        mdc()
            .current_dir(dir.path())
            .args(["scan", ".", "--period", wrong])
            .assert()
            .code(2);
    }
}

#[test]
fn verify_passes_on_a_report_made_with_a_period() {
    let dir = collection();
    mdc()
        .env("SOURCE_DATE_EPOCH", RUN)
        .current_dir(dir.path())
        .args([
            "scan",
            ".",
            "--period",
            "2026-07-01..2026-09-30",
            "--stale-after",
            "3mo",
            "--fail-on",
            "stale",
            "-o",
            "../report.json",
        ])
        .assert()
        .code(1);
    let report = dir.path().parent().unwrap().join("report.json");
    let recorded: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let line = recorded["run"]["command_line"].to_string();
    assert!(
        line.contains("\"--period\",\"2026-07-01..2026-09-30\""),
        "{line}"
    );
    let output = mdc()
        .current_dir(dir.path())
        .arg("verify")
        .arg(&report)
        .output()
        .unwrap();
    std::fs::remove_file(&report).unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A bare `true` known only by its folder, copied into two subscriptions' folders; an
/// inventory of the first; a `false` outside the inventory; a `false` no path names.
fn copied_true() -> tempfile::TempDir {
    let dir = tempfile::TempDir::new().unwrap();
    for sub in [AFTER, OLD] {
        write(dir.path(), &format!("ev/{sub}/wdatp.txt"), "true\n");
    }
    write(dir.path(), "inventory.txt", &format!("{AFTER}\n"));
    dir
}

fn exit_and_summary(dir: &Path, extra: &[&str]) -> (i32, String) {
    let output = mdc()
        .current_dir(dir)
        .args([
            "scan",
            "ev",
            "--subscriptions",
            "inventory.txt",
            "--format",
            "none",
        ])
        .args(extra)
        .output()
        .unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn fail_on_flagged_refuses_a_pass_resting_on_a_copied_true() {
    let dir = copied_true();
    let (code, summary) = exit_and_summary(dir.path(), &[]);
    assert_eq!(code, 0, "{summary}");
    assert!(!summary.contains("--fail-on"), "{summary}");
    let (code, summary) = exit_and_summary(dir.path(), &["--fail-on", "flagged"]);
    assert_eq!(code, 1, "{summary}");
    assert!(
        summary.contains("; 1 flagged for review; exit 1 by --fail-on flagged (1)"),
        "{summary}"
    );
    // A flag's code is a rule of its own; rules are repeatable or comma-separated.
    let (code, summary) = exit_and_summary(
        dir.path(),
        &["--fail-on", "stale", "--fail-on", "path_only"],
    );
    assert_eq!(code, 1, "{summary}");
    assert!(
        summary.ends_with("exit 1 by --fail-on path_only (1)\n"),
        "{summary}"
    );
    let (code, _) = exit_and_summary(dir.path(), &["--fail-on", "stale,after-period"]);
    assert_eq!(code, 0);
    let (code, summary) = exit_and_summary(dir.path(), &["--fail-on", "flagged", "--exit-zero"]);
    assert_eq!(code, 0, "{summary}");
    assert!(!summary.contains("--fail-on"), "{summary}");
    let output = mdc()
        .current_dir(dir.path())
        .args(["scan", "ev", "--fail-on", "weak"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("unknown --fail-on rule"));
}

#[test]
fn fail_on_sees_unattributed_values_and_failures_out_of_scope() {
    let dir = copied_true();
    write(dir.path(), "ev/loose/wdatp.txt", "false\n");
    let (code, _) = exit_and_summary(dir.path(), &[]);
    assert_eq!(code, 0);
    let (code, summary) = exit_and_summary(dir.path(), &["--fail-on", "unattributed-value"]);
    assert_eq!(code, 1, "{summary}");
    assert!(
        summary.ends_with("exit 1 by --fail-on unattributed-value (1)\n"),
        "{summary}"
    );
    let (code, _) = exit_and_summary(dir.path(), &["--fail-on", "out-of-scope"]);
    assert_eq!(code, 0);
    write(dir.path(), &format!("ev/{OLD}/wdatp.txt"), "false\n");
    let (code, summary) = exit_and_summary(dir.path(), &[]);
    assert_eq!(code, 0, "{summary}");
    let (code, summary) = exit_and_summary(dir.path(), &["--fail-on", "out-of-scope"]);
    assert_eq!(code, 1, "{summary}");
    assert!(
        summary.ends_with("exit 1 by --fail-on out-of-scope (1)\n"),
        "{summary}"
    );
}
