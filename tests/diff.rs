//! `mdc-evidence diff`: two collections compared, each kind of change named, the exit
//! status, reports of both schema versions, and inputs it refuses.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failure is a panic with its message"
)]

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{mdc, root, settings_list, write};
use predicates::prelude::*;
use serde_json::Value;
use tempfile::TempDir;

const A: &str = "7a7a7a7a-7777-4777-8777-777777777777";
const B: &str = "8b8b8b8b-8888-4888-8888-888888888888";
const C: &str = "9c9c9c9c-9999-4999-8999-999999999999";

/// Scans `folder` (relative to `cwd`) into `out`, a JSON report, with `extra` arguments.
fn scan_to(cwd: &Path, folder: &str, out: impl AsRef<std::ffi::OsStr>, extra: &[&str]) {
    mdc()
        .current_dir(cwd)
        .args(["scan", folder, "-q", "--exit-zero", "-o"])
        .arg(out)
        .args(extra)
        .assert()
        .code(0);
}

/// The `change` of every row of a JSON diff, by subscription.
fn changes(json: &Value) -> BTreeMap<String, String> {
    json["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["subscription_id"].as_str().unwrap().to_owned(),
                r["change"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// What `tests/over-time/README.md` promises, by subscription.
fn quarter_changes() -> BTreeMap<String, String> {
    [
        ("0a1e0001-7c2b-4d1e-9f3a-5b6c7d8e9f01", "remediated"),
        ("0a1e0002-7c2b-4d1e-9f3a-5b6c7d8e9f02", "regressed"),
        ("0a1e0003-7c2b-4d1e-9f3a-5b6c7d8e9f03", "newly_failing"),
        ("0a1e0004-7c2b-4d1e-9f3a-5b6c7d8e9f04", "evidence_lost"),
        ("0a1e0005-7c2b-4d1e-9f3a-5b6c7d8e9f05", "appeared"),
        ("0a1e0006-7c2b-4d1e-9f3a-5b6c7d8e9f06", "gone"),
        ("0a1e0007-7c2b-4d1e-9f3a-5b6c7d8e9f07", "unchanged"),
    ]
    .into_iter()
    .map(|(s, c)| (s.to_owned(), c.to_owned()))
    .collect()
}

#[test]
fn a_quarter_over_quarter_pair_gives_each_kind_of_change() {
    let out = TempDir::new().unwrap();
    let (q1, q2) = (out.path().join("q1.json"), out.path().join("q2.json"));
    scan_to(&root(), "tests/over-time/2026-q1", &q1, &[]);
    scan_to(&root(), "tests/over-time/2026-q2", &q2, &[]);
    mdc()
        .current_dir(out.path())
        .args(["diff", "q1.json", "q2.json"])
        .args([
            "-o",
            "changes.csv",
            "-o",
            "changes.json",
            "-o",
            "changes.md",
        ])
        .assert()
        .code(1)
        .stdout("")
        .stderr(
            "mdc-evidence: diff: 7 (subscription, check) pairs: 1 regressed, 1 newly failing, \
             1 evidence lost, 1 gone, 1 appeared, 1 remediated, 1 unchanged\n",
        );
    let json: Value =
        serde_json::from_slice(&std::fs::read(out.path().join("changes.json")).unwrap()).unwrap();
    assert_eq!(changes(&json), quarter_changes());
    assert_eq!(json["kind"], "diff");
    assert_eq!(json["needs_action"], true);
    // Both sides carry their evidence with its digest.
    let regressed = &json["rows"][1];
    assert_eq!(regressed["old"]["verdict"], "pass");
    assert_eq!(regressed["new"]["verdict"], "fail");
    assert_eq!(
        regressed["new"]["evidence"][0]["path"],
        "tests/over-time/2026-q2/regressed.json"
    );
    let digest = regressed["new"]["evidence"][0]["sha256"].as_str().unwrap();
    let bytes = std::fs::read(root().join("tests/over-time/2026-q2/regressed.json")).unwrap();
    assert_eq!(digest, sha256_hex(&bytes));
    assert_eq!(
        regressed["old"]["deciding_file"],
        "tests/over-time/2026-q1/regressed.json"
    );

    let csv = std::fs::read_to_string(out.path().join("changes.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "subscription_id,subscription_name,in_inventory,out_of_scope,check,change,old_verdict,\
         new_verdict,old_reason,new_reason,old_deciding_file,new_deciding_file,old_evidence,new_evidence"
    );
    assert_eq!(lines.count(), 7);
    assert!(csv.contains(&format!(
        "tests/over-time/2026-q2/regressed.json (sha256 {digest})"
    )));

    let markdown = std::fs::read_to_string(out.path().join("changes.md")).unwrap();
    for heading in [
        "## Regressed (1)",
        "## Newly failing (1)",
        "## Evidence lost (1)",
        "## Gone (1)",
        "## Appeared (1)",
        "## Remediated (1)",
    ] {
        assert!(markdown.contains(heading), "{heading} in\n{markdown}");
    }
    assert!(markdown.contains("**Needs action**"));
    assert!(!markdown.contains("## Unchanged"));

    // A diff is never read as evidence by a later scan of its folder.
    mdc()
        .current_dir(out.path())
        .args(["scan", ".", "--format", "none"])
        .assert()
        .stderr(predicate::str::contains("0 files read"));
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    use std::fmt::Write as _;
    sha2::Sha256::digest(bytes)
        .iter()
        .fold(String::new(), |mut hex, b| {
            let _ = write!(hex, "{b:02x}");
            hex
        })
}

/// Two folders: `old` where A fails, B passes, C passes; `new` where A passes, B fails.
fn two_collections() -> TempDir {
    let dir = TempDir::new().unwrap();
    for (folder, a, b) in [("old", "false", "true"), ("new", "true", "false")] {
        write(
            dir.path(),
            &format!("{folder}/a.json"),
            &settings_list(A, a),
        );
        write(
            dir.path(),
            &format!("{folder}/b.json"),
            &settings_list(B, b),
        );
        write(
            dir.path(),
            &format!("{folder}/c.json"),
            &settings_list(C, "true"),
        );
        scan_to(dir.path(), folder, format!("{folder}.json"), &[]);
    }
    dir
}

#[test]
fn one_remediated_and_one_regressed_subscription_are_named_and_exit_1() {
    let dir = two_collections();
    let output = mdc()
        .current_dir(dir.path())
        .args(["diff", "old.json", "new.json"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let csv = String::from_utf8(output).unwrap();
    assert!(
        csv.contains(&format!("{A},,,false,wdatp,remediated,fail,pass,")),
        "{csv}"
    );
    assert!(
        csv.contains(&format!("{B},,,false,wdatp,regressed,pass,fail,")),
        "{csv}"
    );
    assert!(
        csv.contains(&format!("{C},,,false,wdatp,unchanged,pass,pass,")),
        "{csv}"
    );
    // The other way round: A regressed, B remediated.
    mdc()
        .current_dir(dir.path())
        .args(["diff", "new.json", "old.json", "--format", "markdown"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(format!(
            "| {A} | wdatp | pass | fail |"
        )));
    // --exit-zero: the comparison is written, the status is 0.
    mdc()
        .current_dir(dir.path())
        .args([
            "diff",
            "old.json",
            "new.json",
            "--exit-zero",
            "--format",
            "json",
        ])
        .assert()
        .code(0);
}

#[test]
fn only_remediation_or_nothing_changed_exits_0() {
    let dir = two_collections();
    mdc()
        .current_dir(dir.path())
        .args(["diff", "old.json", "old.json", "--format", "markdown"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("Nothing regressed"))
        .stderr(predicate::str::contains("0 remediated, 3 unchanged"));
    // Only remediation: B passes again.
    write(dir.path(), "newer/a.json", &settings_list(A, "true"));
    write(dir.path(), "newer/b.json", &settings_list(B, "true"));
    write(dir.path(), "newer/c.json", &settings_list(C, "true"));
    mdc()
        .current_dir(dir.path())
        .args(["scan", "newer", "-q", "-o", "newer.json"])
        .assert()
        .code(0);
    mdc()
        .current_dir(dir.path())
        .args(["diff", "new.json", "newer.json", "-q"])
        .assert()
        .code(0)
        .stderr("");
}

#[test]
fn a_schema_version_1_report_compares_with_a_version_2_one() {
    let out = TempDir::new().unwrap();
    let q2 = out.path().join("q2.json");
    scan_to(&root(), "tests/over-time/2026-q2", &q2, &[]);
    // Written by mdc-evidence before checks were data (schema_version 1: no `check`).
    let q1 = root().join("tests/over-time/2026-q1.schema1.json");
    let output = mdc()
        .args(["diff", "--format", "json"])
        .arg(&q1)
        .arg(&q2)
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let json: Value = serde_json::from_slice(&output).unwrap();
    assert_eq!(json["old"]["schema_version"], 1);
    assert_eq!(json["new"]["schema_version"], 2);
    assert_eq!(changes(&json), quarter_changes());
    assert!(json.get("warnings").is_none());
}

#[test]
fn a_check_only_one_report_ran_is_not_counted_as_a_change() {
    let dir = two_collections();
    scan_to(
        dir.path(),
        "old",
        "old-all.json",
        &["--check", "wdatp", "--check", "mcas"],
    );
    // Old ran wdatp and mcas, new.json wdatp only: the mcas rows are `gone` but do not
    // make the run fail; old-all to old (same evidence) exits 0.
    mdc()
        .current_dir(dir.path())
        .args(["diff", "old-all.json", "old.json", "--format", "json"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains(
            "warning: check mcas was run only for old-all.json: its rows show as gone and do \
             not count for the exit status",
        ))
        .stdout(predicate::str::contains("\"compared\": false"));
}

#[test]
fn inputs_and_outputs_it_refuses() {
    let dir = two_collections();
    let refuse = |args: &[&str], message: &str| {
        mdc()
            .current_dir(dir.path())
            .arg("diff")
            .args(args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(message));
    };
    // A diff that is written: its exit status alone matters here.
    let write_diff = |output: &str| {
        mdc()
            .current_dir(dir.path())
            .args([
                "diff",
                "old.json",
                "new.json",
                "-q",
                "--exit-zero",
                "-o",
                output,
            ])
            .assert()
            .code(0);
    };
    write(dir.path(), "evidence.json", &settings_list(A, "true"));
    refuse(
        &["evidence.json", "new.json"],
        "evidence.json is not a JSON report of mdc-evidence (diff reads",
    );
    let mut newer: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("new.json")).unwrap()).unwrap();
    newer["schema_version"] = 99.into();
    write(
        dir.path(),
        "v99.json",
        &serde_json::to_string_pretty(&newer).unwrap(),
    );
    refuse(&["old.json", "v99.json"], "has schema_version 99");
    write_diff("d.json");
    refuse(
        &["d.json", "new.json"],
        "is the output of mdc-evidence diff",
    );
    refuse(
        &["old.json", "new.json", "-o", "new.json"],
        "cannot write report new.json: it is one of the reports compared (NEW)",
    );
    refuse(
        &["old.json", "new.json", "-o", "d.txt"],
        "cannot tell the format from its extension",
    );
    refuse(
        &["old.json", "new.json", "-o", "missing/d.csv"],
        "its folder does not exist",
    );
    // An existing file that is not an output of this tool may be evidence: never replaced.
    refuse(
        &["old.json", "new.json", "-o", "old/a.json"],
        "cannot write old/a.json: it exists and is not an output of mdc-evidence",
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("old/a.json")).unwrap(),
        settings_list(A, "false")
    );
    // An earlier diff output is replaced.
    for output in ["d.csv", "d.md", "d.json"] {
        for _ in 0..2 {
            write_diff(output);
        }
    }
    // Nothing was written by the refused runs.
    assert!(!dir.path().join("d.txt").exists());
}

// Unix only: the names hold characters Windows forbids in a file name (control
// characters, `|`, `<`, `>`, `"`); tests/windows.rs has the names Windows allows.
#[cfg(unix)]
#[test]
fn markdown_cannot_be_given_markup_by_a_file_name() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "old/a.json", &settings_list(A, "true"));
    write(
        dir.path(),
        "new/<img src=x onerror=alert(1)>|[x](y).json",
        &settings_list(A, "false"),
    );
    for folder in ["old", "new"] {
        scan_to(dir.path(), folder, format!("{folder}.json"), &[]);
    }
    mdc()
        .current_dir(dir.path())
        .args(["diff", "old.json", "new.json", "--format", "markdown"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "new/\\<img src=x onerror=alert(1)\\>\\|\\[x\\](y).json",
        ));
}
