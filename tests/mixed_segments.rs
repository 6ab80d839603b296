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
