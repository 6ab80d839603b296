//! The report formats for tools and spreadsheets: JSON Lines and the Excel workbook, each
//! checked against the JSON report of the same run.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failure is a panic with its message"
)]

mod common;

use std::path::{Path, PathBuf};

use common::{fixtures_copy, mdc};
use serde_json::Value;
use tempfile::TempDir;

/// Scans the fixtures once, writing the JSON report and the report named `name` into
/// `out`; returns the JSON report and the other report's path.
fn scan_fixtures(name: &str, out: &Path) -> (Value, PathBuf) {
    let fixtures = fixtures_copy();
    let json = out.join("r.json");
    let other = out.join(name);
    mdc()
        .current_dir(fixtures.path())
        .args(["scan", "fixtures", "--quiet", "--exit-zero", "-o"])
        .arg(&json)
        .arg("-o")
        .arg(&other)
        .assert()
        .code(0)
        .stdout("")
        .stderr("");
    let report = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    (report, other)
}

#[test]
fn json_lines_hold_one_observation_a_line_with_its_subscriptions_verdict() {
    let out = TempDir::new().unwrap();
    let (report, jsonl) = scan_fixtures("r.jsonl", out.path());
    let text = std::fs::read_to_string(&jsonl).unwrap();
    assert!(text.ends_with('\n'));
    let lines: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let observations = report["observations"].as_array().unwrap();
    assert_eq!(lines.len(), observations.len());
    assert_eq!(
        lines.len(),
        usize::try_from(report["summary"]["observations"].as_u64().unwrap()).unwrap()
    );
    let subscriptions = report["subscriptions"].as_array().unwrap();
    let mut unattributed = 0;
    for (line, observation) in lines.iter().zip(observations) {
        let line = line.as_object().unwrap();
        // The observation's fields, in the JSON report's order, then the verdict.
        let mut keys: Vec<&str> = observation
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.extend(["verdict", "flags"]);
        let mut line_keys: Vec<&str> = line.keys().map(String::as_str).collect();
        line_keys.sort_unstable();
        keys.sort_unstable();
        assert_eq!(line_keys, keys);
        for (key, value) in observation.as_object().unwrap() {
            assert_eq!(&line[key], value, "{key}");
        }
        if observation["subscription_id"].is_null() {
            unattributed += 1;
            assert!(line["verdict"].is_null() && line["flags"].is_null());
        } else {
            let subscription = subscriptions
                .iter()
                .find(|s| {
                    s["subscription_id"] == observation["subscription_id"]
                        && s["check"] == observation["check"]
                })
                .unwrap();
            assert_eq!(line["verdict"], subscription["verdict"]);
            assert_eq!(line["flags"], subscription["flags"]);
        }
    }
    assert_eq!(
        unattributed,
        report["summary"]["unattributed"].as_u64().unwrap()
    );
    // The same order as the JSON report, field for field (not just by key).
    assert!(text.starts_with(&format!("{{\"path\":{}", observations[0]["path"])));
}

#[test]
fn an_earlier_json_lines_report_under_the_root_is_not_evidence() {
    let dir = TempDir::new().unwrap();
    common::write(
        dir.path(),
        "e/3a0c1f52-7d4e-4b8a-9c6f-2e1d0b9a8c7f.json",
        &common::settings_list("3a0c1f52-7d4e-4b8a-9c6f-2e1d0b9a8c7f", "true"),
    );
    let first = mdc()
        .arg("scan")
        .arg(dir.path().join("e"))
        .args(["--format", "jsonl"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(first.stdout.clone())
            .unwrap()
            .lines()
            .count(),
        1
    );
    std::fs::write(dir.path().join("e/old.jsonl"), &first.stdout).unwrap();
    let again = mdc()
        .arg("scan")
        .arg(dir.path().join("e"))
        .args(["--format", "json"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(report["summary"]["observations"], 1);
    let old = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with("old.jsonl"))
        .unwrap();
    assert_eq!(old["status"], "skipped");
    assert!(
        old["reason"]
            .as_str()
            .unwrap()
            .contains("earlier report of mdc-evidence"),
        "{old}"
    );
}
