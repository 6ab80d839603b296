//! The HTML report end to end: every subscription of the JSON report, no address of any
//! kind, file-derived text escaped, the same bytes whatever the thread count, and an
//! earlier HTML report under a root recognised as such. `tests/browser.rs` opens it in
//! a real browser.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failure is a panic with its message"
)]

mod common;

use common::{fixtures_copy, mdc, settings_list, write};
use tempfile::TempDir;

const PASS: &str = "3a0c1f52-7d4e-4b8a-9c6f-2e1d0b9a8c7f";
#[cfg(unix)]
const FAIL: &str = "4b1d2e63-8e5f-4c9b-8d70-3f2e1c0b9d8e";

/// The subscription rows of an HTML report: (subscription, verdict), in page order.
fn subscription_rows(html: &str) -> Vec<(String, String)> {
    html.split("<tr data-verdict=\"")
        .skip(1)
        .map(|rest| {
            let verdict = rest.split('"').next().unwrap().to_owned();
            let id = rest
                .split("<td><code>")
                .nth(1)
                .and_then(|cell| cell.split("</code>").next())
                .unwrap()
                .to_owned();
            (id, verdict)
        })
        .collect()
}

#[test]
fn the_html_report_of_the_fixtures_lists_every_subscription_of_the_json_report() {
    let copy = fixtures_copy();
    mdc()
        .current_dir(copy.path())
        .args([
            "scan",
            "fixtures/",
            "--exit-zero",
            "-q",
            "-o",
            "r.json",
            "-o",
            "r.html",
        ])
        .assert()
        .success();
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(copy.path().join("r.json")).unwrap()).unwrap();
    let html = std::fs::read_to_string(copy.path().join("r.html")).unwrap();
    let expected: Vec<(String, String)> = json["subscriptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["subscription_id"].as_str().unwrap().to_owned(),
                s["verdict"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(expected.len() > 50, "the fixtures have many subscriptions");
    assert_eq!(subscription_rows(&html), expected);
    // Every observation is a row of its own, and every skipped or unattributed one shows.
    let observations = json["observations"].as_array().unwrap();
    let section = html
        .split("<section id=\"observations\">")
        .nth(1)
        .unwrap()
        .split("</section>")
        .next()
        .unwrap();
    assert_eq!(section.matches("<tr><td>").count(), observations.len());
    let unattributed = observations
        .iter()
        .filter(|o| o["subscription_id"].is_null())
        .count();
    assert!(unattributed > 0);
    let section = html
        .split("<section id=\"unattributed\">")
        .nth(1)
        .unwrap()
        .split("</section>")
        .next()
        .unwrap();
    assert_eq!(section.matches("<tr><td>").count(), unattributed);
    // The fixtures hold URLs (a HAR's requests), yet the page holds no address.
    assert!(!html.contains("http://") && !html.contains("https://"));
    assert!(html.contains("https&#58;//management.azure.com/"));
    assert!(html.ends_with("</html>\n"));
}

// Unix only: the names hold characters Windows forbids in a file name (control
// characters, `|`, `<`, `>`, `"`); tests/windows.rs has the names Windows allows.
#[cfg(unix)]
#[test]
fn a_crafted_file_name_shows_as_text_never_as_markup() {
    let dir = TempDir::new().unwrap();
    let name = "<img src=x onerror=alert(1)>.json";
    write(dir.path(), name, &settings_list(PASS, "true"));
    write(
        dir.path(),
        "notes\"'&.json",
        &settings_list(FAIL, "\"<script>alert(2)</script>\""),
    );
    let output = mdc()
        .args(["scan", "--format", "html", "--exit-zero"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(output.status.success());
    let html = String::from_utf8(output.stdout).unwrap();
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;.json"));
    assert!(html.contains("notes&quot;&#39;&amp;.json"));
    assert!(!html.contains("<img"), "{html}");
    assert!(!html.contains("onerror=alert(1)>"));
    // The one script is the report's own.
    assert_eq!(html.matches("<script").count(), 1);
    assert_eq!(subscription_rows(&html).len(), 2);
}

#[test]
fn html_reports_are_byte_identical_whatever_the_thread_count() {
    let copy = fixtures_copy();
    let run = |threads: &str| {
        mdc()
            .current_dir(copy.path())
            .args([
                "scan",
                "fixtures/",
                "--exit-zero",
                "-q",
                "--format",
                "html",
                "--threads",
                threads,
            ])
            .output()
            .unwrap()
            .stdout
    };
    let one = run("1");
    assert!(one.starts_with(b"<!DOCTYPE html>\n"));
    assert_eq!(one, run("4"), "html differs between --threads 1 and 4");
}

#[test]
fn an_earlier_html_report_under_a_root_is_not_evidence_and_may_be_replaced() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "a.json", &settings_list(PASS, "true"));
    let report = dir.path().join("report.html");
    for _ in 0..2 {
        mdc()
            .args(["scan", "-q"])
            .arg(dir.path())
            .arg("-o")
            .arg(&report)
            .assert()
            .success();
    }
    let output = mdc()
        .args(["scan", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let file = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with("report.html"))
        .unwrap();
    assert_eq!(file["status"], "skipped");
    assert_eq!(
        file["reason"],
        "an earlier report of mdc-evidence, not evidence"
    );
    // An HTML page that is not this tool's is evidence to keep: never replaced.
    std::fs::write(
        &report,
        "<!DOCTYPE html>\n<html><body>portal</body></html>\n",
    )
    .unwrap();
    mdc()
        .args(["scan", "-q"])
        .arg(dir.path())
        .arg("-o")
        .arg(&report)
        .assert()
        .code(2);
}
