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

use calamine::Reader as _;
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
    assert_skipped_as_earlier_report(&report, "old.jsonl");
}

/// Every sheet of a workbook: its name and its cells.
fn sheets(path: &Path) -> Vec<(String, calamine::Range<calamine::Data>)> {
    let mut workbook: calamine::Xlsx<_> = calamine::open_workbook(path).unwrap();
    workbook
        .sheet_names()
        .into_iter()
        .map(|name| {
            let range = workbook.worksheet_range(&name).unwrap();
            (name, range)
        })
        .collect()
}

#[test]
fn the_workbook_has_a_row_for_every_entry_of_the_json_reports_arrays() {
    let out = TempDir::new().unwrap();
    let (report, xlsx) = scan_fixtures("r.xlsx", out.path());
    let sheets = sheets(&xlsx);
    let names: Vec<&str> = sheets.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["Subscriptions", "Observations", "Files", "Run"]);
    for ((name, range), array) in sheets
        .iter()
        .zip(["subscriptions", "observations", "files"])
    {
        let expected = report[array].as_array().unwrap();
        assert_eq!(range.height(), expected.len() + 1, "{name}");
        let header: Vec<String> = range
            .rows()
            .next()
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect();
        let key = if array == "subscriptions" {
            "subscription_id"
        } else {
            "path"
        };
        assert_eq!(header[0], key);
        for (row, entry) in range.rows().skip(1).zip(expected) {
            assert_eq!(
                row[0],
                calamine::Data::String(entry[key].as_str().unwrap().to_owned())
            );
        }
    }
    // Verdicts are plain text, and counts are numbers.
    let (_, subscriptions) = &sheets[0];
    for (row, entry) in subscriptions
        .rows()
        .skip(1)
        .zip(report["subscriptions"].as_array().unwrap())
    {
        assert_eq!(
            row[4],
            calamine::Data::String(entry["verdict"].as_str().unwrap().to_owned())
        );
        assert_eq!(
            row[13],
            calamine::Data::Float(f64::from(
                u32::try_from(entry["observations"].as_array().unwrap().len()).unwrap()
            ))
        );
    }
    let (_, run) = &sheets[3];
    let summary = run
        .rows()
        .find(|row| row[0] == calamine::Data::String("summary".into()))
        .unwrap();
    assert!(
        summary[1]
            .to_string()
            .starts_with(&format!("{} files read", report["summary"]["files_read"])),
        "{summary:?}"
    );
}

#[test]
fn two_runs_give_byte_identical_workbooks() {
    let fixtures = fixtures_copy();
    let run = || {
        mdc()
            .current_dir(fixtures.path())
            .args(["scan", "fixtures", "--quiet", "--exit-zero", "-o", "r.xlsx"])
            .assert()
            .code(0);
        std::fs::read(fixtures.path().join("r.xlsx")).unwrap()
    };
    let first = run();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let second = run();
    assert!(first.starts_with(b"PK\x03\x04"));
    assert!(first == second, "two runs gave different workbooks");
}

// Unix only: the names hold characters Windows forbids in a file name (control
// characters, `|`, `<`, `>`, `"`); tests/windows.rs has the names Windows allows.
#[cfg(unix)]
#[test]
fn a_file_name_like_a_formula_stays_text_in_the_workbook() {
    let dir = TempDir::new().unwrap();
    let names = [
        "=HYPERLINK(\"x\").json",
        "+1+2.json",
        "a_x0041_b.json",
        "@SUM(A1).json",
    ];
    for (i, name) in names.iter().enumerate() {
        common::write(
            &dir.path().join("e"),
            name,
            &common::settings_list(&format!("3a0c1f52-7d4e-4b8a-9c6f-2e1d0b9a8c7{i}"), "true"),
        );
    }
    let xlsx = dir.path().join("r.xlsx");
    mdc()
        .current_dir(dir.path())
        .args(["scan", "e", "--quiet", "-o"])
        .arg(&xlsx)
        .assert()
        .code(0);
    let mut workbook: calamine::Xlsx<_> = calamine::open_workbook(&xlsx).unwrap();
    for sheet in ["Subscriptions", "Observations", "Files"] {
        let formulas = workbook.worksheet_formula(sheet).unwrap();
        assert!(
            formulas.used_cells().all(|(_, _, f)| f.is_empty()),
            "{sheet} holds a formula"
        );
    }
    let files = workbook.worksheet_range("Files").unwrap();
    let paths: Vec<&calamine::Data> = files.rows().skip(1).map(|row| &row[0]).collect();
    let mut expected: Vec<String> = names.iter().map(|n| format!("e/{n}")).collect();
    expected.sort();
    assert_eq!(
        paths,
        expected
            .into_iter()
            .map(calamine::Data::String)
            .collect::<Vec<_>>()
            .iter()
            .collect::<Vec<_>>()
    );
}

#[test]
fn an_earlier_workbook_under_the_root_is_not_evidence() {
    let dir = TempDir::new().unwrap();
    common::write(
        dir.path(),
        "e/3a0c1f52-7d4e-4b8a-9c6f-2e1d0b9a8c7f.json",
        &common::settings_list("3a0c1f52-7d4e-4b8a-9c6f-2e1d0b9a8c7f", "true"),
    );
    // Named by a subscription, so that read as evidence it would count for it.
    let old = dir
        .path()
        .join("e/9e4d0a76-3b1f-4c85-a2e9-5d7c1b8f04a3.xlsx");
    mdc()
        .arg("scan")
        .arg(dir.path().join("e"))
        .arg("-o")
        .arg(&old)
        .assert()
        .code(0);
    let again = mdc()
        .arg("scan")
        .arg(dir.path().join("e"))
        .args(["--format", "json"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(report["summary"]["subscriptions"], 1, "{report}");
    assert_skipped_as_earlier_report(&report, "8f04a3.xlsx");
}

/// Whether `soffice` can run; without it, the test is skipped with a note unless
/// `MDC_REQUIRE_LIBREOFFICE=1` (as in CI).
fn has_libreoffice(what: &str) -> bool {
    if std::process::Command::new("soffice")
        .arg("--version")
        .output()
        .is_ok()
    {
        return true;
    }
    let note = format!(
        "soffice (Debian package libreoffice-calc-nogui) is not installed: {what} is skipped"
    );
    assert!(
        std::env::var_os("MDC_REQUIRE_LIBREOFFICE").is_none_or(|v| v != "1"),
        "MDC_REQUIRE_LIBREOFFICE=1 but {note}"
    );
    eprintln!("note: {note}");
    false
}

#[test]
#[cfg_attr(
    windows,
    ignore = "needs LibreOffice Calc from Debian's packages, a Linux program: run by the Linux suite"
)]
fn libreoffice_opens_the_workbook_and_its_subscriptions_sheet_lists_every_subscription() {
    if !has_libreoffice("the workbook check in LibreOffice Calc") {
        return;
    }
    let out = TempDir::new().unwrap();
    let (report, xlsx) = scan_fixtures("r.xlsx", out.path());
    let converted = out.path().join("csv");
    let profile = tempfile::Builder::new()
        .prefix("lo-profile-")
        .tempdir_in("/tmp")
        .unwrap();
    // Tokens: `,`, `"`, UTF-8 (76), from line 1, ..., sheet -1: every sheet to a file of
    // its own, named `<name>-<sheet>.csv`.
    let output = assert_cmd::Command::new("soffice")
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.path().display()
        ))
        .args(["--headless", "--norestore", "--convert-to"])
        .arg("csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1")
        .arg("--outdir")
        .arg(&converted)
        .arg(&xlsx)
        .timeout(std::time::Duration::from_secs(300))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "soffice failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let sheet = converted.join("r-Subscriptions.csv");
    let text = std::fs::read_to_string(&sheet).unwrap_or_else(|e| {
        panic!(
            "soffice made no {}: {e}; stdout {}",
            sheet.display(),
            String::from_utf8_lossy(&output.stdout)
        )
    });
    let mut lines = text.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("subscription_id,subscription_name,check,control,verdict")
    );
    let ids: Vec<&str> = lines.map(|l| l.split(',').next().unwrap()).collect();
    let expected: Vec<&str> = report["subscriptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["subscription_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, expected);
    for sheet in ["Observations", "Files", "Run"] {
        assert!(
            converted.join(format!("r-{sheet}.csv")).is_file(),
            "{sheet}"
        );
    }
}

/// Asserts that the manifest lists the file ending with `suffix` as skipped, an earlier
/// report of this tool.
fn assert_skipped_as_earlier_report(report: &Value, suffix: &str) {
    let entry = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with(suffix))
        .unwrap();
    assert_eq!(entry["status"], "skipped");
    assert!(
        entry["reason"]
            .as_str()
            .unwrap()
            .contains("earlier report of mdc-evidence"),
        "{entry}"
    );
}
