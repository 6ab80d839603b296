//! Nothing forged may pass: `-o` never replaces an input of the run, `verify` re-derives a
//! report from its evidence and names every edited row, and `diff` never calls a
//! regression nothing.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failure is a panic with its message"
)]

mod common;

use common::{mdc, settings_list, write};
use predicates::prelude::*;
use serde_json::Value;
use tempfile::TempDir;

const A: &str = "11111111-2222-4333-8444-555555555555";
const B: &str = "21111111-2222-4333-8444-555555555555";

/// `ev/` with a passing and a failing subscription, and the run's other inputs beside it.
fn evidence() -> TempDir {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "ev/a.json", &settings_list(A, "true"));
    write(dir.path(), "ev/b.json", &settings_list(B, "false"));
    write(
        dir.path(),
        "exc.csv",
        &format!(
            "subscription_id,check,justification,approved_by,expires\n{B},wdatp,accepted,ciso,2099-01-01\n"
        ),
    );
    write(dir.path(), "subs.csv", &format!("{A}\n{B}\n"));
    write(
        dir.path(),
        "acct.json",
        &format!(r#"[{{"id":"{A}","name":"one"}},{{"id":"{B}","name":"two"}}]"#),
    );
    // TOML whatever its name: a name `-o` accepts, to show it is refused as an input.
    write(
        dir.path(),
        "checks.json",
        "[[check]]\nid = \"apps\"\ntitle = \"MCAS\"\nsetting = \"MCAS\"\nabsent = \"fail\"\n",
    );
    dir
}

fn read(dir: &TempDir, name: &str) -> Vec<u8> {
    std::fs::read(dir.path().join(name)).unwrap()
}

#[test]
fn an_output_onto_any_input_of_the_run_is_refused_before_anything_is_written() {
    let dir = evidence();
    for (flag, input, named) in [
        (
            "--exceptions",
            "exc.csv",
            "the exceptions register of this run",
        ),
        ("--subscriptions", "subs.csv", "the inventory of this run"),
        ("--subscriptions", "acct.json", "the inventory of this run"),
        (
            "--checks-file",
            "checks.json",
            "the checks file of this run",
        ),
    ] {
        let before = read(&dir, input);
        // The same name, another spelling of it, and a second output beside it: refused
        // whole, with exit 2, and the input keeps its bytes.
        for output in [
            input.to_owned(),
            format!("./{input}"),
            format!("ev/../{input}"),
        ] {
            mdc()
                .current_dir(dir.path())
                .args(["scan", "ev", flag, input, "-o", "other.json", "-o", &output])
                .assert()
                .code(2)
                .stderr(
                    predicate::str::contains(format!("cannot write report {output}"))
                        .and(predicate::str::contains(named))
                        .and(predicate::str::contains("an input is never an output")),
                );
            assert_eq!(read(&dir, input), before, "{flag} {input} -o {output}");
            assert!(!dir.path().join("other.json").exists());
        }
    }
}

#[cfg(unix)]
#[test]
fn an_input_reached_by_a_link_is_still_an_input() {
    let dir = evidence();
    let before = read(&dir, "exc.csv");
    std::os::unix::fs::symlink("exc.csv", dir.path().join("link.csv")).unwrap();
    std::fs::hard_link(dir.path().join("exc.csv"), dir.path().join("hard.csv")).unwrap();
    for (input, output) in [
        ("link.csv", "exc.csv"),
        ("hard.csv", "exc.csv"),
        ("exc.csv", "hard.csv"),
    ] {
        mdc()
            .current_dir(dir.path())
            .args(["scan", "ev", "--exceptions", input, "-o", output])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("an input is never an output"));
        assert_eq!(read(&dir, "exc.csv"), before);
    }
}

#[test]
fn diff_never_writes_over_a_report_it_compares() {
    let dir = evidence();
    mdc()
        .current_dir(dir.path())
        .args(["scan", "ev", "-q", "-o", "old.json", "-o", "new.json"])
        .assert()
        .code(1);
    let before = read(&dir, "old.json");
    for output in ["old.json", "./old.json", "ev/../old.json"] {
        mdc()
            .current_dir(dir.path())
            .args(["diff", "old.json", "new.json", "-o", output])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(
                "one of the reports compared (OLD)",
            ));
        assert_eq!(read(&dir, "old.json"), before);
    }
}

fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap()
}

/// `old/` where A passes and `new/` where it fails, each scanned to a report with the
/// extra arguments given.
fn two_collections(old_args: &[&str], new_args: &[&str]) -> TempDir {
    let dir = evidence();
    write(dir.path(), "old/a.json", &settings_list(A, "true"));
    write(dir.path(), "new/a.json", &settings_list(A, "false"));
    write(
        dir.path(),
        "edr.toml",
        "[[check]]\nid = \"edr\"\ntitle = \"EDR\"\nsetting = \"WDATP\"\nabsent = \"fail\"\n\
         controls = { \"cis-azure-6.0.0\" = \"8.1.3.3\" }\n\
         [[check]]\nid = \"edr-too\"\ntitle = \"EDR again\"\nsetting = \"wdatp\"\nabsent = \"fail\"\n\
         controls = { \"cis-azure-6.0.0\" = \"8.1.3.3\" }\n",
    );
    for (folder, args) in [("old", old_args), ("new", new_args)] {
        mdc()
            .current_dir(dir.path())
            .args(["scan", folder, "-q", "--exit-zero", "-o"])
            .arg(format!("{folder}.json"))
            .args(args)
            .assert()
            .code(0);
    }
    dir
}

#[test]
fn a_check_renamed_in_a_checks_file_is_compared_and_its_regression_counts() {
    // Old ran the built-in wdatp; new the same setting and control as `edr`.
    let dir = two_collections(&[], &["--checks-file", "edr.toml", "--check", "edr"]);
    let output = mdc()
        .current_dir(dir.path())
        .args(["diff", "old.json", "new.json", "--format", "json"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "check edr of new.json is check wdatp of old.json under another id (the same \
             setting wdatp (passes when true) and control 8.1.3.3): their rows are compared",
        ))
        .stderr(predicate::str::contains("1 regressed"))
        .get_output()
        .stdout
        .clone();
    let diff = json(&output);
    let rows = diff["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{diff:#}");
    assert_eq!(rows[0]["change"], "regressed");
    assert_eq!(rows[0]["check"], "edr");
    assert_eq!(rows[0]["renamed_from"], "wdatp");
    assert_eq!(rows[0]["compared"], true);
    assert_eq!(diff["needs_action"], true);
    mdc()
        .current_dir(dir.path())
        .args(["diff", "old.json", "new.json", "--format", "markdown"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("**Needs action**"))
        .stdout(predicate::str::contains(format!(
            "| {A} | edr (was wdatp) | pass | fail |"
        )));
}

#[test]
fn an_appeared_failing_row_needs_action_whatever_the_check_ids() {
    // Two new checks read the same setting with the same control: which one is the old
    // check is ambiguous, so nothing is paired; the failing rows still count.
    let dir = two_collections(
        &[],
        &[
            "--checks-file",
            "edr.toml",
            "--check",
            "edr",
            "--check",
            "edr-too",
        ],
    );
    mdc()
        .current_dir(dir.path())
        .args(["diff", "old.json", "new.json", "--format", "markdown"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("**Needs action**"))
        .stdout(predicate::str::contains("Nothing regressed").not())
        .stderr(predicate::str::contains("2 appeared (2 failing)"))
        .stderr(predicate::str::contains("under another id").not());
}

/// `ev/` scanned with its exceptions register and inventory to `ev/report.json`.
fn scanned() -> TempDir {
    let dir = evidence();
    mdc()
        .current_dir(dir.path())
        .args([
            "scan",
            "ev",
            "-q",
            "--exceptions",
            "exc.csv",
            "--subscriptions",
            "subs.csv",
            "-o",
            "ev/report.json",
        ])
        .assert()
        .code(0);
    dir
}

fn report(dir: &TempDir) -> Value {
    json(&read(dir, "ev/report.json"))
}

/// Writes `report` as `name` and verifies it.
fn verify_edited(dir: &TempDir, name: &str, report: &Value) -> assert_cmd::assert::Assert {
    write(
        dir.path(),
        name,
        &serde_json::to_string_pretty(report).unwrap(),
    );
    mdc()
        .current_dir(dir.path())
        .args(["verify", name])
        .assert()
}

fn rows_of<'a>(report: &'a mut Value, key: &str) -> &'a mut Vec<Value> {
    report[key].as_array_mut().unwrap()
}

#[test]
fn an_untouched_report_re_derives_exactly_whatever_the_clock_says_now() {
    let dir = scanned();
    // The register's exception expires after the report's time (2025-11-28) and before
    // the machine's clock: judged at the report's time, as the scan judged it.
    let register = std::fs::read_to_string(dir.path().join("exc.csv"))
        .unwrap()
        .replace("2099-01-01", "2026-01-01");
    write(dir.path(), "exc.csv", &register);
    mdc()
        .current_dir(dir.path())
        .args([
            "scan",
            "ev",
            "-q",
            "--exceptions",
            "exc.csv",
            "--stale-after",
            "30d",
        ])
        .args(["-o", "ev/report.json"])
        .assert()
        .code(0);
    assert_eq!(
        report(&dir)["exceptions"]["accepted"],
        1,
        "{:#}",
        report(&dir)
    );
    mdc()
        .current_dir(dir.path())
        .env_remove("SOURCE_DATE_EPOCH")
        .args(["verify", "ev/report.json"])
        .assert()
        .code(0)
        // The report file the earlier scan wrote, listed by this one.
        .stdout("unverified ev/report.json: the scan did not read it (skipped): a report file written by this run\n")
        .stderr(predicate::str::ends_with(
            "; 0 new; re-derived: 0 differences\n",
        ));
}

#[test]
fn an_edited_verdict_fails_verify_with_the_row_named() {
    let dir = scanned();
    let mut forged = report(&dir);
    for row in rows_of(&mut forged, "subscriptions") {
        if row["verdict"] == "fail" {
            row["verdict"] = "pass".into();
        }
    }
    verify_edited(&dir, "forged.json", &forged)
        .code(1)
        .stdout(predicate::str::contains(format!(
            "differs    subscription {B} check wdatp: /verdict: the report says \"pass\", \
             the evidence gives \"fail\"\n"
        )))
        .stderr(predicate::str::contains(
            "2 unchanged, 0 changed, 0 missing; 0 new; re-derived: 1 difference\n",
        ));
    // The JSON detail names it too, and says it is not intact.
    let output = mdc()
        .current_dir(dir.path())
        .args(["verify", "forged.json", "--format", "json"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let detail = json(&output);
    assert_eq!(detail["intact"], false);
    assert_eq!(
        detail["differences"],
        serde_json::json!([{
            "at": format!("subscription {B} check wdatp"),
            "field": "/verdict",
            "report": "\"pass\"",
            "evidence": "\"fail\"",
        }])
    );
}

/// An edit of a report.
type Edit = fn(&mut Value);

#[test]
fn an_edited_observation_flag_reason_or_count_fails_verify() {
    let dir = scanned();
    let edits: [(&str, Edit); 4] = [
        ("/location", |r| {
            rows_of(r, "observations")[0]["location"] = "/value/9/properties/enabled".into();
        }),
        ("/flags", |r| {
            rows_of(r, "subscriptions")[0]["flags"] = serde_json::json!([]);
            rows_of(r, "subscriptions")[1]["flags"] = serde_json::json!(["path_only"]);
        }),
        ("/reason", |r| {
            rows_of(r, "subscriptions")[1]["reason"] = "WDATP is enabled in 1 file".into();
        }),
        ("/verdicts/pass", |r| {
            r["summary"]["verdicts"]["pass"] = 2.into();
        }),
    ];
    for (field, edit) in edits {
        let mut forged = report(&dir);
        edit(&mut forged);
        verify_edited(&dir, "forged.json", &forged)
            .code(1)
            .stdout(predicate::str::contains(format!(
                "{field}: the report says "
            )));
    }
}

#[test]
fn a_deciding_file_marked_skipped_and_edited_fails_verify() {
    let dir = scanned();
    let mut forged = report(&dir);
    for file in rows_of(&mut forged, "files") {
        if file["path"] == "ev/b.json" {
            file["status"] = "skipped".into();
            file["reason"] = "matched no --include pattern".into();
            file["sha256"] = Value::Null;
        }
    }
    // Without editing the file: a skipped entry that still has observations is forged.
    verify_edited(&dir, "forged.json", &forged)
        .code(1)
        .stdout(predicate::str::contains(
            "differs    file ev/b.json: /status: the report says skipped with 1 observation, \
             the evidence gives a file not evaluated has no observation\n",
        ))
        .stdout(predicate::str::contains(
            "differs    file ev/b.json: /status: the report says \"skipped\", the evidence \
             gives \"evaluated\"\n",
        ));
    // And with the file edited to pass, the verdict it gives now is named as well.
    write(dir.path(), "ev/b.json", &settings_list(B, "true"));
    let mut passing = forged.clone();
    for row in rows_of(&mut passing, "subscriptions") {
        if row["subscription_id"] == B {
            row["verdict"] = "pass".into();
        }
    }
    verify_edited(&dir, "forged.json", &passing)
        .code(1)
        .stdout(predicate::str::contains(
            "differs    file ev/b.json: /status: the report says \"skipped\"",
        ));
}

#[test]
fn a_missing_or_changed_input_of_the_run_fails_verify_with_its_reason() {
    let dir = scanned();
    let register = read(&dir, "exc.csv");
    std::fs::remove_file(dir.path().join("exc.csv")).unwrap();
    mdc()
        .current_dir(dir.path())
        .args(["verify", "ev/report.json"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "unconfirmed the report could not be re-derived: ",
        ))
        .stdout(predicate::str::contains("exc.csv"))
        .stderr(predicate::str::contains(
            "2 unchanged, 0 changed, 0 missing; 0 new; the report could not be re-derived: \
             --exceptions exc.csv: cannot open",
        ));
    // The register edited: its digest, and what it now accepts, differ.
    let mut edited = register.clone();
    edited.extend_from_slice(format!("{A},wdatp,also,ciso,2099-01-01\n").as_bytes());
    std::fs::write(dir.path().join("exc.csv"), edited).unwrap();
    mdc()
        .current_dir(dir.path())
        .args(["verify", "ev/report.json"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("differs    exceptions: /sha256: "));
}

#[test]
fn a_report_of_another_version_is_checked_file_by_file_and_does_not_verify() {
    let dir = scanned();
    let mut other = report(&dir);
    other["tool"]["version"] = "0.0.1".into();
    verify_edited(&dir, "other.json", &other)
        .code(1)
        .stdout(predicate::str::contains(
            "it was written by mdc-evidence 0.0.1 (schema_version 2)",
        ))
        .stderr(predicate::str::contains("2 unchanged"));
}

#[test]
fn a_moved_folder_re_derives_with_its_paths_as_recorded() {
    let dir = evidence();
    // Two files disagree about A: the conflict's reason names both paths.
    write(dir.path(), "ev/c.json", &settings_list(A, "false"));
    mdc()
        .current_dir(dir.path())
        .args(["scan", "ev", "-q", "--exit-zero", "-o", "ev/report.json"])
        .args(["--exceptions", "ev/../exc.csv"])
        .assert()
        .code(0);
    assert!(
        report(&dir)["subscriptions"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("ev/c.json")
    );
    std::fs::rename(dir.path().join("ev"), dir.path().join("moved")).unwrap();
    let moved = dir.path().join("moved");
    mdc()
        .current_dir(dir.path())
        .arg("verify")
        .arg(moved.join("report.json"))
        .arg("--root")
        .arg(&moved)
        .assert()
        .code(0)
        .stdout("")
        .stderr(predicate::str::ends_with("; re-derived: 0 differences\n"));
}

#[test]
fn diff_calls_another_verdict_on_the_same_bytes_a_forgery_not_a_remediation() {
    let dir = scanned();
    let mut forged = report(&dir);
    for row in rows_of(&mut forged, "subscriptions") {
        if row["verdict"] == "fail" {
            row["verdict"] = "pass".into();
        }
    }
    write(
        dir.path(),
        "forged.json",
        &serde_json::to_string_pretty(&forged).unwrap(),
    );
    let output = mdc()
        .current_dir(dir.path())
        .args(["diff", "ev/report.json", "forged.json", "--format", "json"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "1 (subscription, check) pair has the same evidence bytes and check definition \
             with another verdict in each report",
        ))
        .stderr(predicate::str::contains(
            "a report was edited; run verify on each",
        ))
        .get_output()
        .stdout
        .clone();
    let diff = json(&output);
    let row = diff["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["subscription_id"] == B)
        .unwrap();
    assert_eq!(row["change"], "remediated");
    assert_eq!(row["contradicts"], true);
    assert_eq!(diff["needs_action"], true);
    // The same report twice: nothing contradicts.
    mdc()
        .current_dir(dir.path())
        .args(["diff", "ev/report.json", "ev/report.json"])
        .assert()
        .code(0);
}

#[test]
fn a_checks_file_or_inventory_changed_since_the_scan_is_named() {
    let dir = evidence();
    mdc()
        .current_dir(dir.path())
        .args(["scan", "ev", "-q", "--exit-zero", "-o", "r.json"])
        .args([
            "--checks-file",
            "checks.json",
            "--subscriptions",
            "subs.csv",
        ])
        .assert()
        .code(0);
    let checks = std::fs::read_to_string(dir.path().join("checks.json")).unwrap();
    write(
        dir.path(),
        "checks.json",
        &checks.replace("title = \"MCAS\"", "title = \"Cloud Apps\""),
    );
    let late = "31111111-2222-4333-8444-555555555555";
    write(dir.path(), "subs.csv", &format!("{A}\n{B}\n{late}\n"));
    mdc()
        .current_dir(dir.path())
        .args(["verify", "r.json"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "differs    check apps: /title: the report says \"MCAS\", the evidence gives \
             \"Cloud Apps\"\n",
        ))
        .stdout(predicate::str::contains(format!(
            "differs    subscription {late} check apps: the entry: the report says nothing"
        )));
}
