//! Files where JSON, error text and console output follow one another (`az ... 2>&1` in a
//! loop, a retry after a failed attempt, a table naming its subscriptions): scanned and
//! explained through the binary, each case once found by the differential test.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failure is a panic with its message"
)]

mod common;

use common::{mdc, write};
use serde_json::Value;
use tempfile::TempDir;

const A: &str = "aaaaaaaa-1111-4222-8333-444444444444";
const B: &str = "bbbbbbbb-1111-4222-8333-444444444444";
const C: &str = "cccccccc-1111-4222-8333-444444444444";

/// The JSON report of `scan DIR`.
fn scan(dir: &TempDir) -> Value {
    let output = mdc()
        .arg("scan")
        .arg(dir.path())
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(
        matches!(output.status.code(), Some(0 | 1 | 3)),
        "{output:?}"
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// `explain FILE`'s output.
fn explain(dir: &TempDir, name: &str) -> String {
    let output = mdc()
        .arg("explain")
        .arg(dir.path().join(name))
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).unwrap()
}

/// The WDATP observations of a report: (subscription or "-", outcome, location, detail).
fn wdatp(report: &Value) -> Vec<(String, String, String, String)> {
    report["observations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["check"] == "wdatp")
        .map(|o| {
            (
                o["subscription_id"].as_str().unwrap_or("-").to_owned(),
                o["outcome"].as_str().unwrap().to_owned(),
                o["location"].as_str().unwrap_or("-").to_owned(),
                o["detail"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// The WDATP verdict of `sub`.
fn verdict<'a>(report: &'a Value, sub: &str) -> &'a Value {
    report["subscriptions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["check"] == "wdatp" && v["subscription_id"] == sub)
        .unwrap_or_else(|| panic!("no verdict for {sub}: {report}"))
}

/// az `security setting list -o json` for one subscription, pretty-printed (7 lines).
fn az_list(sub: &str) -> String {
    format!(
        "[\n  {{\n    \"enabled\": true,\n    \"id\": \"/subscriptions/{sub}/providers/Microsoft.Security/settings/WDATP\",\n    \"name\": \"WDATP\"\n  }}\n]\n"
    )
}

fn az_denied(sub: &str) -> String {
    format!(
        "ERROR: (AuthorizationFailed) The client 'auditor@contoso.example' with object id '0f0f0f0f-1111-4222-8333-444444444444' does not have authorization to perform action 'Microsoft.Security/settings/read' over scope '/subscriptions/{sub}' or the scope is invalid.\n"
    )
}

#[test]
fn json_then_error_text_neither_crashes_the_scan_nor_explain() {
    for text in [
        "[true]\nERROR: x\n",
        "[{\"name\":\"WDATP\",\"enabled\":true}]\nERROR: x\n",
        "[true]\nGet-AzSecuritySetting : x\n",
    ] {
        let dir = TempDir::new().unwrap();
        write(dir.path(), "d/f.txt", text);
        let report = scan(&dir);
        assert_eq!(report["files"].as_array().unwrap().len(), 1, "{text}");
        let found = wdatp(&report);
        assert_eq!(found.len(), 1, "{text}: {found:?}");
        assert_eq!(found[0].1, "enabled", "{text}");
        assert!(
            explain(&dir, "d/f.txt").contains("error at line 2"),
            "{text}"
        );
    }
}

#[test]
fn ten_thousand_segments_are_read_in_one_pass() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "f.txt", &"[true]\nERROR: x\n".repeat(10_000));
    write(dir.path(), "g.txt", &"ERROR: x\n[true]\n".repeat(10_000));
    let report = scan(&dir);
    assert_eq!(report["files"].as_array().unwrap().len(), 2);
    assert!(
        report["files"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["status"] == "evaluated"),
        "{}",
        report["files"]
    );
}

#[test]
fn each_document_of_an_az_loop_is_located_from_its_own_line() {
    let dir = TempDir::new().unwrap();
    let text = format!(
        "{}{}{}{}",
        az_denied(C),
        az_list(A),
        az_denied(C),
        az_list(B)
    );
    write(dir.path(), "loop.txt", &text);
    let report = scan(&dir);
    let locations: Vec<(String, String)> = wdatp(&report)
        .into_iter()
        .filter(|o| o.1 == "enabled")
        .map(|o| (o.0, o.2))
        .collect();
    assert_eq!(
        locations,
        [
            (A.to_owned(), "line 2#/0/enabled".to_owned()),
            (B.to_owned(), "line 10#/0/enabled".to_owned())
        ]
    );
    assert_eq!(
        verdict(&report, B)["deciding_location"],
        "line 10#/0/enabled"
    );
    // explain resolves it to the line and column of the value.
    assert!(
        explain(&dir, "loop.txt").contains("line 10#/0/enabled (line 12, column 16)"),
        "{}",
        explain(&dir, "loop.txt")
    );
}

#[test]
fn a_console_tables_subscription_column_decides_over_the_path() {
    let dir = TempDir::new().unwrap();
    let table = |header: &str| {
        format!(
            "\nName  Enabled {header}\n----  ------- {}\nWDATP    True {A}\n\n",
            "-".repeat(header.len())
        )
    };
    write(
        dir.path(),
        &format!("{C}/table.txt"),
        &table("Subscription"),
    );
    write(
        dir.path(),
        &format!("{C}/table-id.txt"),
        &table("SubscriptionId"),
    );
    let report = scan(&dir);
    assert_eq!(verdict(&report, A)["verdict"], "pass");
    let subscriptions: Vec<&str> = report["subscriptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["subscription_id"].as_str().unwrap())
        .collect();
    assert!(!subscriptions.contains(&C), "{subscriptions:?}");
    for o in wdatp(&report) {
        assert_eq!((o.0.as_str(), o.1.as_str()), (A, "enabled"), "{o:?}");
    }
    assert!(
        explain(&dir, &format!("{C}/table.txt"))
            .contains(&format!("subscription: {A} (from the content)"))
    );
}

#[test]
fn a_console_table_of_two_subscriptions_gives_each_its_own_row() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "table.txt",
        &format!(
            "Name  Enabled Subscription\n----  ------- ------------\nWDATP    True {A}\nWDATP   False {B}\n"
        ),
    );
    let report = scan(&dir);
    let found: Vec<(String, String, String)> = wdatp(&report)
        .into_iter()
        .map(|o| (o.0, o.1, o.2))
        .collect();
    assert_eq!(
        found,
        [
            (A.to_owned(), "enabled".to_owned(), "line 3".to_owned()),
            (B.to_owned(), "disabled".to_owned(), "line 4".to_owned())
        ]
    );
    assert_eq!(verdict(&report, A)["verdict"], "pass");
    assert_eq!(verdict(&report, B)["verdict"], "fail");
}

/// Asserts that `sub`'s WDATP verdict is `expected`, flagged `collection_errors` with the
/// reason naming it, and that its observation lists the failed attempt.
fn assert_retry_listed(report: &Value, sub: &str, expected: &str) {
    let v = verdict(report, sub);
    assert_eq!(v["verdict"], expected, "{v}");
    assert!(
        v["flags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "collection_errors"),
        "{v}"
    );
    assert!(
        v["reason"]
            .as_str()
            .unwrap()
            .contains("collection_errors: 1 failed collection beside the deciding evidence"),
        "{v}"
    );
    let detail = wdatp(report).into_iter().find(|o| o.0 == sub).unwrap().3;
    assert!(
        detail.contains("the file also records 1 failed attempt for this subscription"),
        "{detail}"
    );
}

#[test]
fn a_failed_az_call_then_its_retry_is_decided_by_the_retry_and_listed() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "loop.txt",
        &format!("{}{}", az_denied(A), az_list(A)),
    );
    let report = scan(&dir);
    assert_retry_listed(&report, A, "pass");
    // The CSV and the table carry the flag and the reason too.
    for format in ["csv", "table"] {
        let output = mdc()
            .arg("scan")
            .arg(dir.path())
            .args(["--format", format])
            .output()
            .unwrap();
        let text = String::from_utf8(output.stdout).unwrap();
        assert!(
            text.contains("collection_errors: 1 failed collection"),
            "{format}: {text}"
        );
    }
    assert!(explain(&dir, "loop.txt").contains("1 failed attempt for this subscription"));
}

#[test]
fn a_transcript_error_then_connect_then_the_table_lists_the_error() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "transcript.txt",
        &format!(
            "**********************\nWindows PowerShell transcript start\n**********************\n\
             PS C:\\audit> Get-AzSecuritySetting | Select-Object Name,Enabled\n\
             Get-AzSecuritySetting : Run Connect-AzAccount to login.\n\n\
             PS C:\\audit> Connect-AzAccount -Subscription {A}\n\n\
             PS C:\\audit> Get-AzSecuritySetting | Select-Object Name,Enabled\n\n\
             Name  Enabled\n----  -------\nMCAS     True\nWDATP   False\n\n"
        ),
    );
    assert_retry_listed(&scan(&dir), A, "fail");
}

#[test]
fn a_har_403_then_200_is_decided_by_the_200_and_lists_the_403() {
    let dir = TempDir::new().unwrap();
    let name = "portal_settings-list-403-then-200-after-role-activation_chrome.har";
    std::fs::copy(
        common::root().join("fixtures/har").join(name),
        dir.path().join(name),
    )
    .unwrap();
    let sub = "2b4d6f8a-1c3e-4a5b-9d7f-0e2c4a6b8d0f";
    assert_retry_listed(&scan(&dir), sub, "pass");
    let explained = explain(&dir, name);
    assert!(
        explained.contains("(the first at /log/entries/0/response/status"),
        "{explained}"
    );
}

#[test]
fn a_failed_attempt_whose_retry_decides_nothing_is_reported_as_the_failure() {
    let dir = TempDir::new().unwrap();
    let mcas = format!(
        "[{{\"enabled\": true, \"id\": \"/subscriptions/{A}/providers/Microsoft.Security/settings/MCAS\", \"name\": \"MCAS\"}}]\n"
    );
    write(dir.path(), "loop.txt", &format!("{}{mcas}", az_denied(A)));
    let report = scan(&dir);
    let v = verdict(&report, A);
    assert_eq!(v["verdict"], "no_evidence");
    let reason = v["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("no file decides WDATP: 1 collection_error; AuthorizationFailed"),
        "{reason}"
    );
}

#[test]
fn every_observation_of_a_jsonc_file_says_comments_were_ignored() {
    let dir = TempDir::new().unwrap();
    let setting = |sub: &str, name: &str| {
        format!(
            "{{\"enabled\": true, \"id\": \"/subscriptions/{sub}/providers/Microsoft.Security/settings/{name}\", \"name\": \"{name}\"}}"
        )
    };
    // A whole list without WDATP (absent), one other setting alone (unrecognized), and a
    // WDATP whose value is null (malformed).
    write(
        dir.path(),
        "absent.jsonc",
        &format!(
            "// az security setting list -o json\n[{}, {}]\n",
            setting(A, "MCAS"),
            setting(A, "Sentinel")
        ),
    );
    write(
        dir.path(),
        "single.jsonc",
        &format!("/* az security setting show */\n[{}]\n", setting(B, "MCAS")),
    );
    write(
        dir.path(),
        "null.jsonc",
        &format!(
            "// checked by hand\n[{}]\n",
            setting(C, "WDATP").replace("true", "null")
        ),
    );
    let report = scan(&dir);
    // In path order: absent, null, single.
    let outcomes: Vec<(String, String)> = wdatp(&report)
        .into_iter()
        .map(|o| {
            assert!(
                o.3.contains(
                    "read from JSON with comments: the // and /* */ comments were ignored"
                ),
                "{o:?}"
            );
            (o.0, o.1)
        })
        .collect();
    assert_eq!(
        outcomes,
        [
            (A.to_owned(), "absent".to_owned()),
            (C.to_owned(), "malformed".to_owned()),
            (B.to_owned(), "unrecognized".to_owned())
        ]
    );
}

#[test]
fn a_long_run_of_lines_opening_json_after_error_text_is_read_in_linear_time() {
    // Each line opens an array that runs to the end: reading each from its own line was
    // quadratic (minutes for this file); the command's time limit catches a regression.
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "e.txt",
        &format!("ERROR: x\n{}", "[\n".repeat(200_000)),
    );
    let report = scan(&dir);
    assert_eq!(wdatp(&report).len(), 1);
    assert_eq!(wdatp(&report)[0].1, "collection_error");
}

#[test]
fn an_error_before_a_switch_by_name_and_the_rows_after_it_are_one_unattributed_observation() {
    // Found by the `examine` fuzz target: an error naming no scope, then a switch to a
    // subscription by name, then a table: nothing places either, so both are the one
    // unattributed observation of the file, the error its outcome.
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "switch.txt",
        "Get-Az: \n> Connect-AzAccount s\nName Enabled\n-  ---\nMC \n",
    );
    let observations = wdatp(&scan(&dir));
    assert_eq!(observations.len(), 1, "{observations:?}");
    let (sub, outcome, location, detail) = &observations[0];
    assert_eq!(
        (sub.as_str(), outcome.as_str(), location.as_str()),
        ("-", "collection_error", "line 1")
    );
    assert!(
        detail.contains("named otherwise than by its id")
            && detail.contains("before any context switch, and the path names no subscription"),
        "{detail}"
    );
}

#[test]
fn json_that_is_no_evidence_then_an_error_keeps_the_error() {
    // `{"value":[]}` (no evidence) then the error for a subscription: the error is its
    // collection_error, as in the other order, never a malformed file losing the error.
    for first in [
        "{\"value\":[]}\n",
        "{\"value\":[]}\n\n",
        "{\n  \"user\": {}\n}\n",
    ] {
        let dir = TempDir::new().unwrap();
        write(dir.path(), "loop.txt", &format!("{first}{}", az_denied(A)));
        let report = scan(&dir);
        let observations = wdatp(&report);
        let line = first.lines().count() + 1;
        assert_eq!(
            observations
                .iter()
                .map(|(s, o, l, _)| (s.as_str(), o.as_str(), l.clone()))
                .collect::<Vec<_>>(),
            vec![(A, "collection_error", format!("line {line}"))],
            "{first:?}"
        );
        assert_eq!(report["files"][0]["format"], "azcli-error");
        assert_eq!(verdict(&report, A)["verdict"], "no_evidence");
    }
}

#[test]
fn an_error_naming_no_scope_in_a_loop_over_several_subscriptions_is_unattributed() {
    let dir = TempDir::new().unwrap();
    let text = format!("{}ERROR: Something went wrong\n{}", az_list(A), az_list(B));
    write(dir.path(), "loop.txt", &text);
    let observations = wdatp(&scan(&dir));
    let unattributed: Vec<_> = observations.iter().filter(|o| o.0 == "-").collect();
    assert_eq!(unattributed.len(), 1, "{observations:?}");
    assert_eq!(unattributed[0].1, "collection_error");
    assert_eq!(unattributed[0].2, "line 8");
    assert_eq!(observations.len(), 3, "{observations:?}");
}

#[test]
fn a_console_table_naming_a_column_twice_is_malformed() {
    // Found by the differential test: `Enabled` twice with two values was read as the
    // first, True.
    for header in ["Name  Enabled enabled", "Name  Enabled Enabled"] {
        let dir = TempDir::new().unwrap();
        write(
            dir.path(),
            &format!("{A}.txt"),
            &format!("\n{header}\n----  ------- -------\nWDATP    True   False\n\n"),
        );
        let report = scan(&dir);
        let observations = wdatp(&report);
        assert_eq!(observations.len(), 1, "{observations:?}");
        assert_eq!(observations[0].1, "malformed");
        assert!(
            observations[0].3.contains("\"True\" at line 4")
                && observations[0].3.contains("\"False\" at line 4"),
            "{observations:?}"
        );
        assert_eq!(verdict(&report, A)["verdict"], "no_evidence");
    }
}

#[test]
fn a_bare_query_array_after_error_text_decides_at_its_own_line() {
    // az `--query "[?name=='WDATP'].enabled"` output after the error of an earlier call:
    // once dropped in one composition; `enabled`/`disabled` at `line N#/0`.
    for (text, outcome, location) in [
        (format!("{}[true]\n", az_denied(A)), "enabled", "line 2#/0"),
        (
            "ERROR: something\n[false]\n".to_owned(),
            "disabled",
            "line 2#/0",
        ),
        (
            "Get-AzSecuritySetting : denied\n\n[\n  false\n]\n".to_owned(),
            "disabled",
            "line 3#/0",
        ),
        (format!("[true]\n{}", az_denied(A)), "enabled", "/0"),
    ] {
        let dir = TempDir::new().unwrap();
        write(dir.path(), &format!("{A}.txt"), &text);
        let observations = wdatp(&scan(&dir));
        assert_eq!(observations.len(), 1, "{text:?}: {observations:?}");
        let (sub, got, at, _) = &observations[0];
        assert_eq!(
            (sub.as_str(), got.as_str(), at.as_str()),
            (A, outcome, location),
            "{text:?}"
        );
    }
}
