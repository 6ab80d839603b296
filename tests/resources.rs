//! Bounded cost whatever the inputs: `verify` never reads a new file past the scan's
//! limit, `-j` is capped, warnings are capped.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failure is a panic with its message"
)]

mod common;

use std::fmt::Write as _;

use common::{mdc, settings_list, write};
use predicates::prelude::*;

const A: &str = "11111111-2222-4333-8444-555555555555";

/// A report of `ev/` (scanned with `--max-file-size 1KiB`) that cannot be re-derived
/// (another version wrote it), and a new file of 3 KiB beside the evidence.
fn unrederivable() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "ev/a.json", &settings_list(A, "true"));
    mdc()
        .current_dir(dir.path())
        .args(["scan", "ev", "--max-file-size", "1KiB", "-o", "report.json"])
        .assert()
        .code(0);
    let text = std::fs::read_to_string(dir.path().join("report.json")).unwrap();
    let mut report: serde_json::Value = serde_json::from_str(&text).unwrap();
    report["tool"]["version"] = "0.0.1".into();
    std::fs::write(
        dir.path().join("report.json"),
        serde_json::to_string_pretty(&report).unwrap(),
    )
    .unwrap();
    write(dir.path(), "ev/big.json", &" ".repeat(3 * 1024));
    dir
}

#[test]
fn verify_names_a_new_file_past_the_scans_limit_without_reading_it() {
    let dir = unrederivable();
    mdc()
        .current_dir(dir.path())
        .args(["verify", "report.json"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "new        ev/big.json: larger than --max-file-size (3072 bytes > 1024 bytes); \
             not read\n",
        ))
        .stdout(predicate::str::contains("could not be re-derived"));
    let out = mdc()
        .current_dir(dir.path())
        .args(["verify", "report.json", "--format", "json"])
        .output()
        .unwrap();
    let detail: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let big = detail["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "ev/big.json")
        .unwrap();
    assert_eq!(big["state"], "new");
    assert_eq!(big["size"], 3072);
    assert!(big["sha256"].is_null(), "{big}");
}

#[test]
fn verify_hashes_a_listed_file_whatever_its_size() {
    let dir = unrederivable();
    std::fs::remove_file(dir.path().join("ev/big.json")).unwrap();
    // Listed, larger than the scan's limit now: hashed anyway (through a fixed buffer), so
    // named changed with its digest, not unreadable.
    write(dir.path(), "ev/a.json", &" ".repeat(200_000));
    mdc()
        .current_dir(dir.path())
        .args(["verify", "report.json"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("changed    ev/a.json: sha256 "))
        .stdout(predicate::str::contains(" -> 200000\n"));
}

#[test]
fn threads_past_the_cap_are_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "ev/a.json", &settings_list(A, "true"));
    mdc()
        .current_dir(dir.path())
        .args(["scan", "ev", "-j", "20000", "--format", "none"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("at most 256"));
    mdc()
        .current_dir(dir.path())
        .args(["scan", "ev", "-j", "256", "--format", "none"])
        .assert()
        .code(0);
}

#[test]
fn max_in_flight_changes_nothing_in_a_report_and_is_not_recorded() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..6 {
        // Past the small-file size, so that each asks the budget; a budget smaller than
        // one file reads each alone.
        let padding = " ".repeat(100 * 1024);
        let list = settings_list(&format!("1111111{i}-2222-4333-8444-555555555555"), "true");
        write(
            dir.path(),
            &format!("ev/{i}.json"),
            &format!("{list}{padding}"),
        );
    }
    let run = |extra: &[&str]| {
        let out = mdc()
            .current_dir(dir.path())
            .env("SOURCE_DATE_EPOCH", "1700000000")
            .args(["scan", "ev", "--format", "json", "-j", "4"])
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        out.stdout
    };
    let default = run(&[]);
    assert_eq!(run(&["--max-in-flight", "1KiB"]), default);
    assert!(!String::from_utf8_lossy(&default).contains("max-in-flight"));
}

#[test]
fn warnings_are_capped_and_every_row_not_applied_stays_in_the_report() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "ev/a.json", &settings_list(A, "true"));
    let mut register = String::from("subscription_id,check,justification,approved_by,expires\n");
    for i in 0..50 {
        writeln!(
            register,
            "{i:08x}-2222-4333-8444-555555555555,wdatp,why,ciso,2099-01-01"
        )
        .unwrap();
    }
    write(dir.path(), "exc.csv", &register);
    let out = mdc()
        .current_dir(dir.path())
        .args(["scan", "ev", "--exceptions", "exc.csv", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.matches("exceptions exc.csv, line ").count(),
        20,
        "{stderr}"
    );
    assert!(stderr.contains("30 more warnings not shown"), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let warnings = report["run"]["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 21);
    assert!(
        warnings[20]
            .as_str()
            .unwrap()
            .starts_with("30 more warnings not shown")
    );
    assert_eq!(
        report["exceptions"]["not_applied"]
            .as_array()
            .unwrap()
            .len(),
        50
    );
}
