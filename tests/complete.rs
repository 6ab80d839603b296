//! A run passes only on complete evidence (issue 22): every skip reason end to end, the
//! exceptions that apply only to a `fail`, and evidence dated after the run's time.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failure is a panic with its message"
)]

mod common;

use std::path::Path;

use common::{mdc, write};
use serde_json::Value;
use tempfile::TempDir;

const S: &str = "11111111-2222-4333-8444-555555555555";

/// The REST settings list of `S` with WDATP `enabled` (`true` or `false`).
fn rl(enabled: &str) -> String {
    format!(
        r#"{{"value":[{{"id":"/subscriptions/{S}/providers/Microsoft.Security/settings/WDATP","name":"WDATP","type":"Microsoft.Security/settings","properties":{{"enabled":{enabled}}}}}]}}"#
    )
}

/// `ev/good.json` holding `true`: the file every case sets a hidden `false` beside.
fn estate() -> TempDir {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "ev/good.json", &rl("true"));
    dir
}

/// `scan ev` in `dir` with `args`: the exit code, the JSON report and standard error.
fn scan(dir: &Path, args: &[&str]) -> (Option<i32>, Value, String) {
    let output = mdc()
        .current_dir(dir)
        .args(["scan", "ev", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    let report = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    (
        output.status.code(),
        report,
        String::from_utf8(output.stderr).unwrap(),
    )
}

fn file<'a>(report: &'a Value, suffix: &str) -> &'a Value {
    report["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with(suffix))
        .unwrap_or_else(|| panic!("{suffix} not in the manifest"))
}

/// The run exits 3 (evidence incomplete) and says why: the skipped file is counted, the
/// summary line and a warning say the run cannot pass.
fn assert_incomplete(dir: &Path, args: &[&str], skipped: &str, why: &str) {
    let (code, report, stderr) = scan(dir, args);
    assert_eq!(code, Some(3), "{stderr}");
    assert_eq!(report["subscriptions"][0]["verdict"], "pass");
    assert_eq!(report["summary"]["evidence_not_read"], 1, "{stderr}");
    let entry = file(&report, skipped);
    assert_eq!(entry["status"], "skipped");
    assert!(entry["reason"].as_str().unwrap().contains(why), "{entry}");
    assert!(
        stderr.contains("1 file that might be evidence not read: the run cannot pass"),
        "{stderr}"
    );
    assert!(
        stderr.contains("that might be evidence was not read, so the run cannot pass"),
        "{stderr}"
    );
}

/// The run exits 0: the skip was deliberate or cannot hide evidence.
fn assert_passes(dir: &Path, args: &[&str], skipped: &str) {
    let (code, report, stderr) = scan(dir, args);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(report["summary"]["evidence_not_read"], 0);
    assert_eq!(file(&report, skipped)["status"], "skipped");
    assert!(!stderr.contains("cannot pass"), "{stderr}");
}

#[test]
fn a_file_too_large_keeps_the_run_from_passing() {
    let dir = estate();
    write(
        dir.path(),
        "ev/big.json",
        &format!("{}{}", rl("false"), " ".repeat(1100)),
    );
    // Read, it is a conflict; not read, it could never have been a pass.
    assert_eq!(scan(dir.path(), &[]).0, Some(1));
    assert_incomplete(
        dir.path(),
        &["--max-file-size", "1KiB"],
        "ev/big.json",
        "larger than --max-file-size",
    );
}

#[test]
fn a_file_named_like_a_temporary_report_keeps_the_run_from_passing_and_flags_its_verdict() {
    let dir = estate();
    let name = format!("ev/{S}/.mdc-evidence-Ab12Cd.tmp");
    write(dir.path(), &name, &rl("false"));
    assert_incomplete(dir.path(), &[], ".mdc-evidence-Ab12Cd.tmp", "rename it");
    // The verdict of the subscription its path names cannot be a clean pass.
    let (_, report, _) = scan(dir.path(), &[]);
    let verdict = &report["subscriptions"][0];
    assert_eq!(
        verdict["flags"],
        serde_json::json!(["date_from_file_time", "unread_evidence"])
    );
    assert!(
        verdict["reason"].as_str().unwrap().contains(
            "unread_evidence: 1 file whose path names this subscription was not read and could \
             change this verdict; the run cannot pass until it is read"
        ),
        "{verdict}"
    );
    // Excluded on purpose, it no longer counts.
    assert_passes(
        dir.path(),
        &["--exclude", "**/.mdc-evidence-*.tmp"],
        ".mdc-evidence-Ab12Cd.tmp",
    );
}

#[test]
fn a_file_that_only_starts_like_a_report_is_read_as_evidence() {
    let dir = estate();
    let forged = format!(
        "{{\n  \"schema_version\": 2,\n  \"tool\": {{\n    \"name\": \"mdc-evidence\"}},{}",
        rl("false").strip_prefix('{').unwrap()
    );
    write(dir.path(), "ev/fake.json", &forged);
    let (code, report, stderr) = scan(dir.path(), &[]);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(report["subscriptions"][0]["verdict"], "conflict");
    assert_eq!(file(&report, "ev/fake.json")["status"], "evaluated");

    // Nor does the title of a diff's Markdown summary keep what follows it from being read.
    let dir = estate();
    write(
        dir.path(),
        "ev/changes.md",
        &format!(
            "# Changes between two mdc-evidence scans

{}
",
            rl("false")
        ),
    );
    let (_, report, _) = scan(dir.path(), &[]);
    assert_eq!(file(&report, "ev/changes.md")["status"], "evaluated");
}

#[test]
fn a_whole_earlier_report_and_this_runs_output_are_left_alone() {
    let dir = estate();
    let first = mdc()
        .current_dir(dir.path())
        .args(["scan", "ev", "-o", "ev/r.json", "-o", "ev/r.ocsf.json"])
        .args([
            "-o",
            "ev/r.oscal.json",
            "-o",
            "ev/r.html",
            "-o",
            "ev/r.jsonl",
        ])
        .args(["-o", "ev/r.csv", "-o", "ev/r.xlsx"])
        .output()
        .unwrap();
    assert_eq!(first.status.code(), Some(0));
    let table = mdc()
        .current_dir(dir.path())
        .args(["scan", "ev", "--format", "table"])
        .output()
        .unwrap();
    std::fs::write(dir.path().join("ev/r.txt"), table.stdout).unwrap();
    let (code, report, stderr) = scan(dir.path(), &["-o", "-", "-o", "ev/r.json"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(report["summary"]["files_read"], 1);
    assert_eq!(report["summary"]["evidence_not_read"], 0);
    assert!(
        file(&report, "ev/r.json")["reason"]
            .as_str()
            .unwrap()
            .contains("written by this run")
    );
    for name in [
        "r.ocsf.json",
        "r.oscal.json",
        "r.html",
        "r.jsonl",
        "r.csv",
        "r.xlsx",
        "r.txt",
    ] {
        assert!(
            file(&report, name)["reason"]
                .as_str()
                .unwrap()
                .contains("earlier report"),
            "{name}"
        );
    }
    // The same reports cut short are not reports: read as evidence (none decides here).
    for name in [
        "r.ocsf.json",
        "r.oscal.json",
        "r.html",
        "r.jsonl",
        "r.csv",
        "r.txt",
    ] {
        let path = dir.path().join("ev").join(name);
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 2]).unwrap();
    }
    let (_, report, _) = scan(dir.path(), &[]);
    for name in [
        "r.ocsf.json",
        "r.oscal.json",
        "r.html",
        "r.jsonl",
        "r.csv",
        "r.txt",
    ] {
        assert_eq!(file(&report, name)["status"], "evaluated", "{name}");
    }
}

#[test]
fn an_excluded_or_not_included_file_is_a_deliberate_skip() {
    let dir = estate();
    write(dir.path(), "ev/old.json", &rl("false"));
    assert_passes(dir.path(), &["--exclude", "old.json"], "ev/old.json");
    assert_passes(dir.path(), &["--include", "good.json"], "ev/old.json");
}

#[cfg(unix)]
#[test]
fn a_folder_deeper_than_path_max_keeps_the_run_from_passing() {
    let dir = estate();
    // 25 folders of 200 bytes, built one relative step at a time (by a shell, so that this
    // process's working folder stays where it is): past PATH_MAX (4096 bytes).
    let name = "d".repeat(200);
    let script = format!(
        "for i in $(seq 25); do mkdir {name} && cd -P {name} || exit 1; done; cat > false.json"
    );
    let mut shell = std::process::Command::new("sh")
        .args(["-c", &script])
        .current_dir(dir.path().join("ev"))
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut shell.stdin.take().unwrap(), rl("false").as_bytes()).unwrap();
    assert!(shell.wait().unwrap().success());
    let (code, report, stderr) = scan(dir.path(), &[]);
    assert_eq!(code, Some(3), "{stderr}");
    assert_eq!(report["summary"]["evidence_not_read"], 1);
    assert!(stderr.contains("so the run cannot pass"), "{stderr}");
    let unread = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["status"] == "skipped")
        .unwrap();
    assert!(
        unread["reason"].as_str().unwrap().starts_with("unreadable"),
        "{unread}"
    );
}

#[cfg(unix)]
#[test]
fn a_link_not_followed_or_to_nothing_keeps_the_run_from_passing_but_a_loop_does_not() {
    let dir = estate();
    write(dir.path(), "elsewhere/off.json", &rl("false"));
    std::os::unix::fs::symlink("../elsewhere/off.json", dir.path().join("ev/off.json")).unwrap();
    assert_incomplete(dir.path(), &[], "ev/off.json", "symbolic link not followed");
    assert_eq!(scan(dir.path(), &["--follow-symlinks"]).0, Some(1));

    let dir = estate();
    std::os::unix::fs::symlink("nowhere.json", dir.path().join("ev/gone.json")).unwrap();
    assert_incomplete(
        dir.path(),
        &["--follow-symlinks"],
        "ev/gone.json",
        "symbolic link to nothing readable",
    );

    let dir = estate();
    std::os::unix::fs::symlink(".", dir.path().join("ev/again")).unwrap();
    assert_passes(dir.path(), &["--follow-symlinks"], "ev/again");
}

#[cfg(unix)]
#[test]
fn a_fifo_holds_no_saved_evidence() {
    let dir = estate();
    let made = std::process::Command::new("mkfifo")
        .arg(dir.path().join("ev/pipe"))
        .status()
        .unwrap();
    assert!(made.success());
    assert_passes(dir.path(), &[], "ev/pipe");
}

#[test]
fn an_exception_is_applied_only_to_a_fail() {
    for (files, verdict, code) in [
        (vec![("ev/good.json", "true")], "pass", 0),
        (
            vec![("ev/good.json", "true"), ("ev/bad.json", "false")],
            "conflict",
            1,
        ),
    ] {
        let dir = TempDir::new().unwrap();
        for (name, value) in files {
            write(dir.path(), name, &rl(value));
        }
        write(
            dir.path(),
            "x.csv",
            &format!(
                "subscription_id,check,justification,approved_by,expires\n\
                 {S},wdatp,legacy,CISO,2099-12-31\n"
            ),
        );
        let (got, report, stderr) = scan(
            dir.path(),
            &["--exceptions", "x.csv", "-o", "-", "-o", "r.csv"],
        );
        assert_eq!(got, Some(code), "{stderr}");
        assert!(
            stderr.contains(&format!(
                "the exception for subscription {S} and check wdatp is not applied: the verdict \
                 is {verdict}; an exception covers only a fail"
            )),
            "{stderr}"
        );
        assert_eq!(report["exceptions"]["accepted"], 0);
        assert!(report["subscriptions"][0].get("exception").is_none());
        let csv = std::fs::read_to_string(dir.path().join("r.csv")).unwrap();
        assert!(!csv.contains("accepted"), "{csv}");
    }
}

/// An HTTP capture of `S` with WDATP `false`, whose `Date` header is `date`.
fn capture(date: &str) -> String {
    format!(
        "HTTP/1.1 200 OK\r\nDate: {date}\r\nContent-Type: application/json; charset=utf-8\r\n\r\n{}\r\n",
        rl("false")
    )
}

#[test]
fn evidence_dated_after_the_run_is_flagged_and_an_exception_it_outlives_is_warned_about() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "ev/capture.txt",
        &capture("Mon, 05 Jan 2026 09:42:11 GMT"),
    );
    write(
        dir.path(),
        "x.csv",
        &format!(
            "subscription_id,check,justification,approved_by,expires\n\
             {S},wdatp,legacy,CISO,2024-06-30\n"
        ),
    );
    // The run's clock at 2024-01-01, as CI sets SOURCE_DATE_EPOCH to an old commit's time.
    let output = mdc()
        .current_dir(dir.path())
        .env("SOURCE_DATE_EPOCH", "1704067200")
        .args(["scan", "ev", "--format", "json", "--exceptions", "x.csv"])
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let verdict = &report["subscriptions"][0];
    assert_eq!(verdict["flags"], serde_json::json!(["future_dated"]));
    assert!(
        verdict["reason"].as_str().unwrap().contains(
            "future_dated: deciding evidence says it was collected 2026-01-05T09:42:11Z \
             (http_date_header), after the run's time"
        ),
        "{verdict}"
    );
    for expected in [
        "1 verdict rests on evidence that says it was collected after the run's time \
         2024-01-01T00:00:00Z (the latest 2026-01-05T09:42:11Z, http_date_header)",
        "the exception for subscription 11111111-2222-4333-8444-555555555555 and check wdatp \
         holds at the run's time but expired on 2024-06-30, before its deciding evidence says \
         it was collected (2026-01-05T09:42:11Z, http_date_header)",
    ] {
        assert!(stderr.contains(expected), "{expected}\nnot in\n{stderr}");
    }

    // At a run time after the evidence, neither.
    let output = mdc()
        .current_dir(dir.path())
        .env("SOURCE_DATE_EPOCH", "1790726400")
        .args(["scan", "ev", "--format", "json"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["subscriptions"][0]["flags"], serde_json::json!([]));
    assert!(
        !String::from_utf8(output.stderr)
            .unwrap()
            .contains("after the run's time")
    );
}
