//! The exceptions register (`scan --exceptions FILE`): verdicts unchanged, the approval
//! shown in every report, the exit status passing over accepted failures unless
//! `--strict`, and every row that is not applied reported.

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

const PASSING: &str = "7a7a7a7a-7777-4777-8777-777777777777";
const FAILING: &str = "8b8b8b8b-8888-4888-8888-888888888888";
const ALSO_FAILING: &str = "9c9c9c9c-9999-4999-8999-999999999999";

/// 2026-03-31T23:59:59Z, the last second of the exceptions' day, and the next second.
const LAST_SECOND: &str = "1775001599";
const DAY_AFTER: &str = "1775001600";

/// Evidence where one subscription passes and two fail, and a register accepting the
/// first failure until 2026-03-31.
fn estate(register: &str) -> TempDir {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "ev/a.json", &settings_list(PASSING, "true"));
    write(dir.path(), "ev/b.json", &settings_list(FAILING, "false"));
    write(dir.path(), "exceptions.csv", register);
    dir
}

/// The check as the setting is spelled (`WDATP`): ids match whatever their case.
const REGISTER: &str = "\
subscription_id,check,justification,approved_by,expires,ticket
8B8B8B8B-8888-4888-8888-888888888888,WDATP,Build agents run the vendor EDR until migration,CISO J. Doe,2026-03-31,RISK-1042
";

fn scan(dir: &TempDir, args: &[&str]) -> assert_cmd::assert::Assert {
    scan_at(dir, args, common::EPOCH.0)
}

/// `scan` with `SOURCE_DATE_EPOCH` at `epoch`.
fn scan_at(dir: &TempDir, args: &[&str], epoch: &str) -> assert_cmd::assert::Assert {
    mdc()
        .current_dir(dir.path())
        .env("SOURCE_DATE_EPOCH", epoch)
        .args(["scan", "ev", "--exceptions", "exceptions.csv"])
        .args(args)
        .assert()
}

fn report(dir: &TempDir) -> Value {
    serde_json::from_slice(&std::fs::read(dir.path().join("r.json")).unwrap()).unwrap()
}

fn row<'a>(report: &'a Value, subscription: &str) -> &'a Value {
    report["subscriptions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["subscription_id"] == subscription)
        .unwrap()
}

#[test]
fn an_accepted_failure_keeps_its_verdict_shows_the_approval_and_exits_0() {
    let dir = estate(REGISTER);
    scan(&dir, &["-o", "r.json", "-o", "r.csv"])
        .code(0)
        .stderr(predicate::str::contains(
            "mdc-evidence: 1 failure accepted by exceptions (not counted for the exit status; \
             --strict counts them)\n",
        ));
    let report = report(&dir);
    let failing = row(&report, FAILING);
    assert_eq!(failing["verdict"], "fail");
    assert_eq!(failing["exception"]["status"], "accepted");
    assert_eq!(failing["exception"]["approved_by"], "CISO J. Doe");
    assert_eq!(failing["exception"]["expires"], "2026-03-31");
    assert_eq!(failing["exception"]["ticket"], "RISK-1042");
    assert_eq!(failing["exception"]["at"], "line 2");
    assert!(row(&report, PASSING).get("exception").is_none());
    assert_eq!(report["exceptions"]["register"], "exceptions.csv");
    assert_eq!(report["exceptions"]["accepted"], 1);
    assert_eq!(report["exceptions"]["failures_accepted"], 1);
    assert_eq!(report["summary"]["verdicts"]["fail"], 1);
    let csv = std::fs::read_to_string(dir.path().join("r.csv")).unwrap();
    assert!(csv.lines().next().unwrap().ends_with(
        ",exception,exception_expires,exception_approved_by,exception_ticket,exception_justification"
    ));
    assert!(
        csv.contains(
            ",accepted,2026-03-31,CISO J. Doe,RISK-1042,Build agents run the vendor EDR until migration\r\n"
        ),
        "{csv}"
    );
}

#[test]
fn strict_counts_accepted_failures() {
    let dir = estate(REGISTER);
    scan(&dir, &["--strict", "--format", "none"])
        .code(1)
        .stderr(predicate::str::contains(
            "1 failure accepted by exceptions (--strict: counted for the exit status)",
        ));
}

#[test]
fn an_exception_holds_through_its_day_and_expires_after_it() {
    let dir = estate(REGISTER);
    scan_at(&dir, &["--format", "none"], LAST_SECOND).code(0);
    scan_at(&dir, &["-o", "r.json"], DAY_AFTER)
        .code(1)
        .stderr(predicate::str::contains(
            "warning: exceptions exceptions.csv, line 2: the exception for subscription \
             8b8b8b8b-8888-4888-8888-888888888888 and check wdatp expired on 2026-03-31; its \
             verdict (fail) counts",
        ))
        .stderr(predicate::str::contains("accepted by exceptions").not());
    let report = report(&dir);
    assert_eq!(row(&report, FAILING)["exception"]["status"], "expired");
    assert_eq!(row(&report, FAILING)["verdict"], "fail");
    assert_eq!(report["exceptions"]["expired"], 1);
    assert_eq!(report["exceptions"]["failures_accepted"], 0);
}

#[test]
fn rows_that_cannot_be_applied_are_reported_and_never_applied() {
    let register = format!(
        "subscription_id,check,justification,approved_by,expires,ticket\n\
         {FAILING},wdatp,Accepted,CISO,2026-03-31,\n\
         {FAILING},wdatp,The same again,CISO,2026-02-28,\n\
         not-a-guid,wdatp,Typo,CISO,2026-03-31,\n\
         {ALSO_FAILING},wdatp,Excel turned the date around,CISO,31/03/2026,\n\
         {ALSO_FAILING},wdatp,No approver,,2026-03-31,\n\
         0a0a0a0a-0000-4000-8000-000000000000,wdatp,Not in this scan,CISO,2026-03-31,\n\
         {FAILING},mcas,A check this scan did not run,CISO,2026-03-31,\n"
    );
    let dir = estate(&register);
    write(
        dir.path(),
        "ev/c.json",
        &settings_list(ALSO_FAILING, "false"),
    );
    let assert = scan(&dir, &["-o", "r.json"]).code(1);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    for expected in [
        "exceptions exceptions.csv, line 3: repeats the subscription and check of line 2; line 2 (expiring 2026-03-31) is shown",
        "exceptions exceptions.csv, line 4: subscription_id \"not-a-guid\" is not a subscription id; not applied",
        "exceptions exceptions.csv, line 5: expires \"31/03/2026\" is not a date (YYYY-MM-DD); not applied",
        "exceptions exceptions.csv, line 6: approved_by is empty; not applied",
        "exceptions exceptions.csv, line 7: this scan has no verdict for subscription 0a0a0a0a-0000-4000-8000-000000000000 and check wdatp; not applied",
        "exceptions exceptions.csv, line 8: this scan has no verdict for subscription 8b8b8b8b-8888-4888-8888-888888888888 and check mcas; not applied",
    ] {
        assert!(stderr.contains(expected), "{expected}\nnot in\n{stderr}");
    }
    let report = report(&dir);
    assert_eq!(report["exceptions"]["rows"], 7);
    assert_eq!(report["exceptions"]["accepted"], 1);
    assert_eq!(
        report["exceptions"]["not_applied"]
            .as_array()
            .unwrap()
            .len(),
        6
    );
    assert_eq!(row(&report, FAILING)["exception"]["at"], "line 2");
    assert!(row(&report, ALSO_FAILING).get("exception").is_none());
    // The unapplied rows are in the report too, among the run's warnings.
    assert_eq!(report["run"]["warnings"].as_array().unwrap().len(), 6);
}

#[test]
fn a_conflict_is_unclear_evidence_not_an_accepted_risk() {
    let dir = estate(REGISTER);
    write(
        dir.path(),
        "ev/b-again.json",
        &settings_list(FAILING, "true"),
    );
    // Never shown or counted as accepted: an exception covers only a fail.
    scan(&dir, &["-o", "r.json"])
        .code(1)
        .stderr(predicate::str::contains(format!(
            "exceptions exceptions.csv, line 2: the exception for subscription {FAILING} and check \
         wdatp is not applied: the verdict is conflict; an exception covers only a fail"
        )));
    let report = report(&dir);
    assert_eq!(row(&report, FAILING)["verdict"], "conflict");
    assert!(row(&report, FAILING).get("exception").is_none());
    assert_eq!(report["exceptions"]["accepted"], 0);
    assert_eq!(report["exceptions"]["failures_accepted"], 0);
}

#[test]
fn a_toml_register_reads_like_the_csv() {
    let dir = estate("");
    write(
        dir.path(),
        "exceptions.toml",
        &format!(
            "[[exception]]\nsubscription_id = \"{FAILING}\"\ncheck = \"wdatp\"\n\
             justification = \"Build agents run the vendor EDR until migration\"\n\
             approved_by = \"CISO J. Doe\"\nexpires = 2026-03-31\nticket = \"RISK-1042\"\n\n\
             [[exception]]\nsubscription_id = \"{PASSING}\"\ncheck = \"wdatp\"\n\
             justification = \"x\"\napproved_by = \"y\"\nexpires = 20260331\n"
        ),
    );
    mdc()
        .current_dir(dir.path())
        .args(["scan", "ev", "--exceptions", "exceptions.toml", "-o", "r.json"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains(
            "exceptions exceptions.toml, exception 2: expires is not text or a date (TOML integer); not applied",
        ));
    let report = report(&dir);
    assert_eq!(row(&report, FAILING)["exception"]["status"], "accepted");
    assert_eq!(row(&report, FAILING)["exception"]["at"], "exception 1");
    assert_eq!(row(&report, FAILING)["exception"]["expires"], "2026-03-31");
}

#[test]
fn a_register_that_cannot_be_read_stops_the_run_before_any_report() {
    let dir = estate("subscription_id,check,justification,expires\n");
    scan(&dir, &["-o", "r.json"])
        .code(2)
        .stderr(predicate::str::contains(
            "--exceptions exceptions.csv: the header lacks approved_by",
        ));
    assert!(!dir.path().join("r.json").exists());
    mdc()
        .current_dir(dir.path())
        .args(["scan", "ev", "--exceptions", "missing.csv"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--exceptions missing.csv: cannot open",
        ));
    write(dir.path(), "broken.toml", "[[exception]\n");
    mdc()
        .current_dir(dir.path())
        .args(["scan", "ev", "--exceptions", "broken.toml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--exceptions broken.toml: not TOML",
        ));
}

#[test]
fn every_report_shows_the_exception() {
    let dir = estate(REGISTER);
    scan(
        &dir,
        &[
            "-o",
            "r.html",
            "-o",
            "r.jsonl",
            "-o",
            "r.ocsf.json",
            "-o",
            "r.oscal.json",
            "-o",
            "r.xlsx",
            "-o",
            "-",
            "--format",
            "table",
        ],
    )
    .code(0)
    .stdout(predicate::str::contains(
        "exception accepted until 2026-03-31",
    ));
    let html = std::fs::read_to_string(dir.path().join("r.html")).unwrap();
    assert!(html.contains("<button type=\"button\">exception</button>"));
    assert!(html.contains("<span class=\"badge exception accepted\">accepted</span> until 2026-03-31<br>approved by CISO J. Doe"));
    let jsonl = std::fs::read_to_string(dir.path().join("r.jsonl")).unwrap();
    assert!(
        jsonl
            .lines()
            .any(|l| l.contains(FAILING) && l.contains("\"exception\":\"accepted\""))
    );
    let ocsf = std::fs::read_to_string(dir.path().join("r.ocsf.json")).unwrap();
    assert!(ocsf.contains(
        "\"comment\": \"exception accepted until 2026-03-31 (line 2 of the register), approved by CISO J. Doe, ticket RISK-1042: Build agents run the vendor EDR until migration\""
    ));
    let oscal = std::fs::read_to_string(dir.path().join("r.oscal.json")).unwrap();
    assert!(oscal.contains("\"name\": \"exception\""));
    assert!(oscal.contains("\"value\": \"2026-03-31\""));
    // The workbook's Subscriptions sheet has the exception columns.
    let mut workbook: calamine::Xlsx<_> =
        calamine::open_workbook(dir.path().join("r.xlsx")).unwrap();
    let sheet = calamine::Reader::worksheet_range(&mut workbook, "Subscriptions").unwrap();
    let rows: Vec<Vec<String>> = sheet
        .rows()
        .map(|r| r.iter().map(ToString::to_string).collect())
        .collect();
    assert_eq!(rows[0].last().unwrap(), "exception_justification");
    assert!(rows.iter().any(|r| r.contains(&"accepted".to_owned())));
}

#[test]
fn register_text_is_inert_in_every_report() {
    let register = format!(
        "subscription_id,check,justification,approved_by,expires,ticket\n\
         {FAILING},wdatp,\"=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",\"\u{1b}[31m<script>alert(1)</script>\",2026-03-31,@SUM(A1)\n"
    );
    let dir = estate(&register);
    scan(
        &dir,
        &[
            "-o", "r.csv", "-o", "r.html", "-o", "-", "--format", "table",
        ],
    )
    .code(0)
    .stdout(predicate::str::contains("\u{1b}[31m<script>").not());
    let csv = std::fs::read_to_string(dir.path().join("r.csv")).unwrap();
    assert!(
        !csv.contains(",=HYPERLINK") && !csv.contains(",\"=HYPERLINK"),
        "{csv}"
    );
    assert!(!csv.contains(",@SUM"), "{csv}");
    assert!(!csv.contains('\u{1b}'), "{csv}");
    let html = std::fs::read_to_string(dir.path().join("r.html")).unwrap();
    assert!(!html.contains("<script>alert(1)"), "the approver is text");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
}

/// The README's worked example (Over time, Exceptions register), as it shows it.
#[test]
fn the_readme_example_holds_for_the_csv_and_the_toml_register() {
    const FILE_TIME: &str =
        "date_from_file_time: dated only by the file's modification time, which may be a copy's";
    let stderr = |register: &str, first: &str, second: &str, third: &str| {
        format!(
            "mdc-evidence: warning: exceptions tests/over-time/{register}, {first}: the exception for subscription 0a1e0003-7c2b-4d1e-9f3a-5b6c7d8e9f03 and check wdatp expired on 2026-06-30; its verdict (fail) counts\n\
             mdc-evidence: warning: exceptions tests/over-time/{register}, {second}: this scan has no verdict for subscription 0a1e0009-7c2b-4d1e-9f3a-5b6c7d8e9f09 and check wdatp; not applied\n\
             mdc-evidence: warning: exceptions tests/over-time/{register}, {third}: approved_by is empty; not applied\n\
             mdc-evidence: 6 files read, 0 skipped; 6 subscriptions: 3 pass, 2 fail, 0 conflict, 1 no_evidence; 5 flagged for review\n\
             mdc-evidence: 1 failure accepted by exceptions (not counted for the exit status; --strict counts them)\n"
        )
    };
    for (register, expected) in [
        (
            "exceptions.csv",
            stderr("exceptions.csv", "line 3", "line 4", "line 5"),
        ),
        (
            "exceptions.toml",
            stderr(
                "exceptions.toml",
                "exception 2",
                "exception 3",
                "exception 4",
            ),
        ),
    ] {
        mdc()
            .current_dir(common::root())
            .env("SOURCE_DATE_EPOCH", "1790726400") // 2026-09-30
            .args(["scan", "tests/over-time/2026-q2", "--exceptions"])
            .arg(format!("tests/over-time/{register}"))
            .args(["--format", "table"])
            .assert()
            .code(1)
            .stdout(predicate::str::contains(
                format!("0a1e0002-7c2b-4d1e-9f3a-5b6c7d8e9f02  wdatp  fail         date_from_file_time, exception accepted until 2027-03-31  WDATP is disabled in 1 file; {FILE_TIME}\n\
                 0a1e0003-7c2b-4d1e-9f3a-5b6c7d8e9f03  wdatp  fail         date_from_file_time, exception expired on 2026-06-30      WDATP is disabled in 1 file; {FILE_TIME}\n"),
            ))
            .stderr(expected);
    }
}
