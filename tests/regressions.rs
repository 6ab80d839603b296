//! Regression tests: inputs that once gave a wrong outcome, each with the outcome it must
//! give. Run through the library's decode -> parse -> evaluate steps, or the binary.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failure is a panic with its message"
)]

use std::time::Duration;

use assert_cmd::Command;
use mdc_evidence::evaluate::{Outcome, evaluate};
use mdc_evidence::parse_bytes;
use tempfile::TempDir;

const A: &str = "56565656-7878-4989-8a0a-131313131313";
const C: &str = "2a2a2a2a-2b2b-4c3c-8d4d-5e5e5e5e5e5e";
const PATH_SUB: &str = "89898989-1212-4343-8565-787878787878";

/// (subscription or "-", outcome) of every observation of `text` found at `path`.
fn outcomes(text: &str, path: &str) -> Vec<(String, Outcome)> {
    let (parsed, _) = parse_bytes(text.as_bytes());
    evaluate(&parsed, path)
        .into_iter()
        .map(|o| {
            (
                o.subscription.map_or("-".to_owned(), |s| s.to_string()),
                o.outcome,
            )
        })
        .collect()
}

fn id(sub: &str, name: &str) -> String {
    format!("/subscriptions/{sub}/providers/Microsoft.Security/settings/{name}")
}

#[test]
fn rows_with_cut_ids_belong_to_the_subscription_the_table_names_not_to_the_path() {
    let text = format!(
        "Enabled Id{pad} Name  Type\n------- --{pad} ----  ----\n  False {} MCAS  x\n   True {}... WDATP x\n",
        id(A, "MCAS"),
        &id(A, "WDATP")[..40],
        pad = " ".repeat(80),
    );
    assert_eq!(
        outcomes(&text, &format!("{PATH_SUB}/table.txt")),
        [(A.to_owned(), Outcome::Enabled)]
    );
}

#[test]
fn completeness_is_judged_per_subscription_not_per_file() {
    let row = |sub: &str, name: &str| {
        format!(
            "True\t{}\tDataExportSettings\t{name}\tMicrosoft.Security/settings\n",
            id(sub, name)
        )
    };
    let text = [row(A, "MCAS"), row(A, "WDATP"), row(C, "MCAS")].concat();
    assert_eq!(
        outcomes(&text, "list.tsv"),
        [
            (C.to_owned(), Outcome::Unrecognized),
            (A.to_owned(), Outcome::Enabled)
        ]
    );
}

#[test]
fn notes_that_look_like_a_cmdlet_do_not_make_a_table_an_error() {
    let text = "Follow-Up: collected by J. Doe\n\nName  Enabled\n----  -------\nWDATP   False\n";
    assert_eq!(
        outcomes(text, &format!("{PATH_SUB}.txt")),
        [(PATH_SUB.to_owned(), Outcome::Disabled)]
    );
}

#[test]
fn a_file_named_on_the_command_line_is_read_even_when_a_walk_excludes_it() {
    let dir = TempDir::new().unwrap();
    std::fs::create_dir(dir.path().join("d")).unwrap();
    std::fs::write(
        dir.path().join("d/a.json"),
        format!(
            r#"{{"id":"{}","name":"WDATP","properties":{{"enabled":true}}}}"#,
            id(A, "WDATP")
        ),
    )
    .unwrap();
    Command::cargo_bin("mdc-evidence")
        .unwrap()
        .current_dir(dir.path())
        .args(["scan", "d", "d/a.json", "--exclude", "*.json", "-q"])
        .assert()
        .code(0);
}

#[cfg(unix)]
#[test]
fn explain_refuses_a_fifo_instead_of_hanging() {
    let dir = TempDir::new().unwrap();
    let fifo = dir.path().join("pipe");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    Command::cargo_bin("mdc-evidence")
        .unwrap()
        .arg("explain")
        .arg(&fifo)
        .timeout(Duration::from_secs(30))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("not a regular file"));
}

#[test]
fn console_colour_codes_do_not_eat_tabs_or_line_ends() {
    let text = format!(
        "\u{1b}[32mTrue\u{1b}[0m\t{}\tDataExportSettings\tWDATP\tMicrosoft.Security/settings\r\n",
        id(A, "WDATP")
    );
    assert_eq!(outcomes(&text, "x.tsv"), [(A.to_owned(), Outcome::Enabled)]);
}
