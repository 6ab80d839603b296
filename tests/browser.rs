//! The HTML report in a real browser: headless Chromium (Debian's `chromium`) opens it from
//! `file://` with the network disabled, and the page must list the expected subscriptions,
//! hide the rows a filter leaves out, run its script (allowed by its Content Security
//! Policy), log nothing to the console, render as a screenshot and print to PDF.
//!
//! Without Chromium the test says so and passes, unless `MDC_REQUIRE_CHROMIUM=1` (as in CI),
//! when it fails. `MDC_CHROMIUM` names the browser's binary if it is not on the path as
//! `chromium`. The screenshot is written to `target/tmp/html-report.png`;
//! `MDC_UPDATE_SCREENSHOT=1` also copies it to `docs/html-report.png` for the README.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failure is a panic with its message"
)]

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{mdc, settings_list, write};
use tempfile::TempDir;

const PROD: &str = "3a0c1f52-7d4e-4b8a-9c6f-2e1d0b9a8c7f";
const DEV: &str = "4b1d2e63-8e5f-4c9b-8d70-3f2e1c0b9d8e";
const TEST: &str = "5c2e3f74-9f60-4dac-9e81-403f2d1c0e9f";
const STAGE: &str = "6d3f4085-a071-4ebd-8f92-514f3e2d1f60";
const OUTSIDE: &str = "7e405196-b182-4fce-9fa3-6250af3e2071";

/// The browser's binary, or `None` (with the reason printed) when the test cannot run.
fn chromium() -> Option<PathBuf> {
    let candidates: Vec<PathBuf> = match std::env::var_os("MDC_CHROMIUM") {
        Some(path) => vec![PathBuf::from(path)],
        None => ["chromium", "chromium-headless-shell", "chromium-browser"]
            .iter()
            .map(PathBuf::from)
            .collect(),
    };
    let found = candidates.into_iter().find(|binary| {
        std::process::Command::new(binary)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if found.is_none() {
        let message = "headless Chromium not found (apt-get install chromium, or set MDC_CHROMIUM)";
        assert!(
            std::env::var_os("MDC_REQUIRE_CHROMIUM").is_none_or(|v| v != "1"),
            "{message}, and MDC_REQUIRE_CHROMIUM=1"
        );
        eprintln!("skipped: {message}");
    }
    found
}

/// A small evidence folder: a pass, a fail, a conflict, a subscription of the inventory
/// without evidence, one outside the inventory, a file that names no subscription, and a
/// file whose name is markup.
fn evidence() -> TempDir {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    write(
        d,
        "evidence/prod/settings.json",
        &settings_list(PROD, "true"),
    );
    write(
        d,
        "evidence/dev/settings.json",
        &settings_list(DEV, "false"),
    );
    write(d, "evidence/test/monday.json", &settings_list(TEST, "true"));
    write(
        d,
        "evidence/test/friday.json",
        &settings_list(TEST, "false"),
    );
    write(
        d,
        "evidence/<img src=x onerror=alert(1)>.json",
        &settings_list(OUTSIDE, "true"),
    );
    write(
        d,
        "evidence/loose.json",
        r#"{"value":[{"name":"WDATP","kind":"DataExportSettings","properties":{"enabled":false}}]}"#,
    );
    write(
        d,
        "subscriptions.csv",
        &format!(
            "subscription_id,Name\n{PROD},Production\n{DEV},Development\n{TEST},Test\n{STAGE},Staging\n"
        ),
    );
    dir
}

/// Runs the browser on `url` with the network off and `extra` arguments; returns its
/// standard output and error.
fn browse(binary: &Path, url: &str, extra: &[&str]) -> (String, String) {
    let profile = TempDir::new().unwrap();
    let output = assert_cmd::Command::new(binary)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--no-first-run",
            "--no-default-browser-check",
            // No network: every host resolves to nothing, and any proxy use fails.
            "--proxy-server=127.0.0.1:9",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(url)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "chromium failed:\n{stderr}");
    (stdout, stderr)
}

/// The subscription rows of the page as the browser left them: (subscription, hidden).
fn rows(dom: &str) -> Vec<(String, bool)> {
    dom.split("<tr data-verdict=\"")
        .skip(1)
        .map(|rest| {
            let tag = rest.split('>').next().unwrap();
            let id = rest
                .split("<td><code>")
                .nth(1)
                .and_then(|cell| cell.split("</code>").next())
                .unwrap()
                .to_owned();
            (id, tag.contains(" hidden=\"\""))
        })
        .collect()
}

/// The subscriptions of the rows the page shows.
fn visible(dom: &str) -> Vec<String> {
    rows(dom)
        .into_iter()
        .filter(|(_, hidden)| !hidden)
        .map(|(id, _)| id)
        .collect()
}

/// Loads the page with a filter in its address; checks the script ran and logged nothing.
fn dom_with(binary: &Path, page: &Path, fragment: &str) -> String {
    let url = format!("file://{}#{fragment}", page.display());
    let (dom, log) = browse(binary, &url, &["--dump-dom"]);
    assert!(
        dom.contains("data-script=\"ready\""),
        "the page's script did not run:\n{log}"
    );
    let console: Vec<&str> = log.lines().filter(|l| l.contains(":CONSOLE")).collect();
    assert!(console.is_empty(), "console messages: {console:#?}");
    assert!(
        dom.contains("<pre id=\"errors\" role=\"alert\"></pre>"),
        "the page reported errors:\n{dom}"
    );
    // The file named as markup is text in the browser's document too.
    assert!(!dom.contains("<img"));
    assert!(dom.contains("&lt;img src=x onerror=alert(1)&gt;.json"));
    dom
}

/// Scans `evidence` (with its subscriptions list and `extra` options) into `report.html`.
fn html_report(dir: &Path, extra: &[&str]) -> PathBuf {
    mdc()
        .current_dir(dir)
        .args(["scan", "evidence", "--subscriptions", "subscriptions.csv"])
        .args(extra)
        .args(["--exit-zero", "-q", "-o", "report.html"])
        .assert()
        .success();
    dir.join("report.html")
}

#[test]
#[cfg_attr(
    windows,
    ignore = "needs Debian's Chromium, a Linux program: run by the Linux suite"
)]
fn the_html_report_works_in_headless_chromium_offline() {
    let Some(binary) = chromium() else {
        return;
    };
    let dir = evidence();
    let page = html_report(dir.path(), &[]);

    // Unfiltered: every subscription, in report order, none hidden.
    let dom = dom_with(&binary, &page, "");
    let all = rows(&dom);
    let ids: Vec<&str> = all.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, [PROD, DEV, TEST, STAGE, OUTSIDE]);
    assert!(all.iter().all(|(_, hidden)| !hidden));
    assert!(dom.contains("5 of 5 rows shown"));
    assert!(dom.contains("out of scope"));

    // A filter typed in the box (here given in the address) hides every other row.
    let dom = dom_with(&binary, &page, "filter=production");
    assert_eq!(visible(&dom), [PROD]);
    assert!(dom.contains("1 of 5 rows shown"));

    // The verdict filter, alone and with text.
    let dom = dom_with(&binary, &page, "verdict=pass");
    assert_eq!(visible(&dom), [PROD, OUTSIDE]);
    let dom = dom_with(&binary, &page, "verdict=pass&filter=img");
    assert_eq!(visible(&dom), [OUTSIDE]);

    // Sorted by a column, as a click on its header does: by verdict, then report order.
    let dom = dom_with(&binary, &page, "sort=verdict");
    let ids: Vec<String> = rows(&dom).into_iter().map(|(id, _)| id).collect();
    assert_eq!(ids, [TEST, DEV, STAGE, PROD, OUTSIDE]);
    assert!(dom.contains("aria-sort=\"ascending\""));

    // The picture, as the README shows it.
    let shot = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("html-report.png");
    let _ = std::fs::remove_file(&shot);
    let (_, log) = browse(
        &binary,
        &format!("file://{}", page.display()),
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=900,700",
            "--hide-scrollbars",
        ],
    );
    let png = std::fs::read(&shot).unwrap_or_else(|e| panic!("no screenshot ({e}):\n{log}"));
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    if std::env::var_os("MDC_UPDATE_SCREENSHOT").is_some_and(|v| v == "1") {
        std::fs::write(common::root().join("docs/html-report.png"), &png).unwrap();
    }

    // Printed to PDF (the print style: no controls, every row, rows never split).
    let pdf = dir.path().join("report.pdf");
    let (_, log) = browse(
        &binary,
        &format!("file://{}#filter=production", page.display()),
        &[
            &format!("--print-to-pdf={}", pdf.display()),
            "--no-pdf-header-footer",
        ],
    );
    let pdf = std::fs::read(&pdf).unwrap_or_else(|e| panic!("no PDF ({e}):\n{log}"));
    assert!(pdf.starts_with(b"%PDF-"));
}

/// With an exceptions register, the page shows the approval beside the verdict, and the
/// filter finds a row by its ticket.
#[test]
#[cfg_attr(
    windows,
    ignore = "needs Debian's Chromium, a Linux program: run by the Linux suite"
)]
fn exceptions_show_in_the_browser_and_the_filter_finds_a_ticket() {
    let Some(binary) = chromium() else {
        return;
    };
    let dir = evidence();
    write(
        dir.path(),
        "exceptions.csv",
        &format!(
            "subscription_id,check,justification,approved_by,expires,ticket\n\
             {DEV},wdatp,Dev runs the vendor EDR,CISO J. Doe,2099-12-31,RISK-1042\n"
        ),
    );
    let page = html_report(dir.path(), &["--exceptions", "exceptions.csv"]);
    let dom = dom_with(&binary, &page, "filter=RISK-1042");
    assert_eq!(visible(&dom), [DEV]);
    assert!(dom.contains("<button type=\"button\">exception</button>"));
    assert!(dom.contains(
        "<span class=\"badge exception accepted\">accepted</span> until 2099-12-31<br>approved by CISO J. Doe"
    ));
    // Sorted by the exception column: the row with one comes last (empty cells first).
    let dom = dom_with(&binary, &page, "sort=exception");
    let ids: Vec<String> = rows(&dom).into_iter().map(|(id, _)| id).collect();
    assert_eq!(ids.last().map(String::as_str), Some(DEV));
}
