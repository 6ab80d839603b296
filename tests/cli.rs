//! End-to-end tests of the `mdc-evidence` binary: exit codes, both report formats, output
//! files, determinism across thread counts, and a folder mixing good and bad files.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failure is a panic with its message"
)]

mod common;

use std::fs;
use std::path::Path;

use common::{mdc, settings_list, write};
use predicates::prelude::*;
use tempfile::TempDir;

const PASS: &str = "3a0c1f52-7d4e-4b8a-9c6f-2e1d0b9a8c7f";
const FAIL: &str = "4b1d2e63-8e5f-4c9b-8d70-3f2e1c0b9d8e";
const GAP: &str = "5c2e3f74-9f60-4dac-9e81-403f2d1c0e9f";

/// A folder of good and bad evidence across three subscriptions.
fn mixed_folder() -> TempDir {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    write(d, "pass/settings.json", &settings_list(PASS, "true"));
    write(d, "fail/settings.json", &settings_list(FAIL, "false"));
    write(
        d,
        &format!("gap/{GAP}.json"),
        r#"{"value":[{"id":"/subscriptions/"#,
    );
    write(d, "notes.txt", "collected by the cloud team\n");
    write(d, "binary.bin", "\u{0}\u{1}\u{2}\u{3}\u{0}");
    write(d, &format!("{GAP}-wdatp.txt"), "");
    dir
}

#[test]
fn exit_code_is_0_when_every_subscription_passes() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "a.json", &settings_list(PASS, "true"));
    mdc().arg("scan").arg(dir.path()).assert().code(0);
}

#[test]
fn exit_code_is_1_on_fail_and_0_with_exit_zero() {
    let dir = mixed_folder();
    mdc().arg("scan").arg(dir.path()).assert().code(1);
    mdc()
        .args(["scan", "--exit-zero"])
        .arg(dir.path())
        .assert()
        .code(0);
}

#[test]
fn exit_code_is_3_when_nothing_fails_but_evidence_is_missing() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "a.json", &settings_list(PASS, "true"));
    write(
        dir.path(),
        &format!("{GAP}.json"),
        r#"{"error":{"code":"AuthorizationFailed","message":"denied"}}"#,
    );
    mdc().arg("scan").arg(dir.path()).assert().code(3);
}

#[test]
fn an_empty_folder_never_passes() {
    let dir = TempDir::new().unwrap();
    mdc().arg("scan").arg(dir.path()).assert().code(3);
}

#[test]
fn usage_and_fatal_errors_exit_2_and_write_no_report() {
    let dir = TempDir::new().unwrap();
    mdc()
        .args(["scan", "no/such/folder"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::starts_with(
            "mdc-evidence: error: cannot read no/such/folder",
        ));
    let report = dir.path().join("report.txt");
    mdc()
        .arg("scan")
        .arg(dir.path())
        .arg("-o")
        .arg(&report)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("from its extension"));
    assert!(!report.exists());
    mdc().args(["scan", "--include", "[", "."]).assert().code(2);
    mdc().arg("scan").assert().code(2);
}

#[test]
fn json_report_has_every_documented_field() {
    let dir = mixed_folder();
    let output = mdc()
        .args(["scan", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["schema_version"], 2);
    assert_eq!(report["tool"]["name"], "mdc-evidence");
    assert_eq!(report["tool"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(report["run"]["generated_at"], "2025-11-28T00:00:00Z");
    for key in [
        "files_seen",
        "files_read",
        "files_skipped",
        "observations",
        "outcomes",
        "verdicts",
    ] {
        assert!(report["summary"].get(key).is_some(), "summary.{key}");
    }
    assert_eq!(report["summary"]["files_read"], 6);
    let subs = report["subscriptions"].as_array().unwrap();
    let ids: Vec<_> = subs
        .iter()
        .map(|s| s["subscription_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [PASS, FAIL, GAP], "sorted by id");
    for s in subs {
        for key in ["verdict", "reason", "observations"] {
            assert!(s.get(key).is_some(), "subscription.{key}");
        }
    }
    let observations = report["observations"].as_array().unwrap();
    assert_eq!(
        observations.len(),
        5,
        "one per file here, but the note, which is not evidence"
    );
    assert_eq!(report["summary"]["not_evidence"], 1);
    for o in observations {
        for key in [
            "path",
            "format",
            "subscription_id",
            "subscription_source",
            "outcome",
            "enabled",
            "location",
            "detail",
        ] {
            assert!(o.get(key).is_some(), "observation.{key}");
        }
    }
    let paths: Vec<_> = observations
        .iter()
        .map(|o| o["path"].as_str().unwrap())
        .collect();
    let mut sorted = paths.clone();
    sorted.sort_unstable();
    assert_eq!(paths, sorted, "observations sorted by path");
    let pass = observations
        .iter()
        .find(|o| o["path"].as_str().unwrap().ends_with("pass/settings.json"))
        .unwrap();
    assert_eq!(pass["outcome"], "enabled");
    assert_eq!(pass["enabled"], true);
    assert_eq!(pass["location"], "/value/1/properties/enabled");
    assert_eq!(pass["subscription_source"], "content");
}

#[test]
fn a_folder_mixing_good_and_bad_files_reports_every_file_with_a_reason() {
    let dir = mixed_folder();
    let output = mdc()
        .args(["scan", "--rows", "observations", "--exit-zero"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(output.status.success());
    let mut reader = csv::Reader::from_reader(output.stdout.as_slice());
    let header = reader.headers().unwrap().clone();
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let outcome_of = |suffix: &str| {
        let row = rows
            .iter()
            .find(|r| r[column("path")].ends_with(suffix))
            .unwrap_or_else(|| panic!("{suffix}"));
        let cell = |name: &str| row[column(name)].to_owned();
        (cell("subscription_id"), cell("outcome"), cell("detail"))
    };
    assert_eq!(outcome_of("pass/settings.json").1, "enabled");
    assert_eq!(outcome_of("fail/settings.json").1, "disabled");
    let truncated = outcome_of(&format!("gap/{GAP}.json"));
    assert_eq!(
        (truncated.0.as_str(), truncated.1.as_str()),
        (GAP, "malformed")
    );
    assert!(truncated.2.contains("truncated"), "{}", truncated.2);
    // A note in no evidence shape that names no subscription is not evidence: counted
    // apart, never an observation.
    assert!(
        rows.iter()
            .all(|r| !r[column("path")].ends_with("notes.txt")),
        "notes.txt is not evidence"
    );
    assert_eq!(outcome_of("binary.bin").1, "malformed");
    assert_eq!(
        outcome_of(&format!("{GAP}-wdatp.txt")).1,
        "collection_error"
    );
    assert_eq!(rows.len(), 5);
    let stderr = String::from_utf8(output.stderr).unwrap();
    for counted in [
        "6 files read",
        "3 subscriptions",
        "1 file not evidence",
        "1 unattributed observation",
    ] {
        assert!(stderr.contains(counted), "{stderr}");
    }
}

#[test]
fn csv_report_has_one_row_per_subscription_by_default() {
    let dir = mixed_folder();
    mdc()
        .arg("scan")
        .arg(dir.path())
        .assert()
        .code(1)
        .stdout(predicate::str::starts_with(
            "subscription_id,subscription_name,check,control,verdict,flags,reason,\
             deciding_file,deciding_value,deciding_location,collected_at,collected_from,in_inventory,files,paths,\
             exception,exception_expires,exception_approved_by,exception_ticket,exception_justification\r\n",
        ))
        .stdout(predicate::str::contains(format!(
            "{PASS},,wdatp,8.1.3.3,pass,date_from_file_time,"
        )))
        .stdout(predicate::str::contains(format!(
            "{FAIL},,wdatp,8.1.3.3,fail,"
        )))
        .stdout(predicate::str::contains(format!(
            "{GAP},,wdatp,8.1.3.3,no_evidence,"
        )));
}

#[test]
fn reports_are_byte_identical_whatever_the_thread_count() {
    let dir = mixed_folder();
    for format in ["json", "jsonl", "csv", "table"] {
        let run = |threads: &str| {
            mdc()
                .args([
                    "scan",
                    "--exit-zero",
                    "--rows",
                    "observations",
                    "--format",
                    format,
                    "--threads",
                    threads,
                ])
                .arg(dir.path())
                .output()
                .unwrap()
                .stdout
        };
        let one = run("1");
        assert!(!one.is_empty());
        assert_eq!(one, run("4"), "{format} differs between --threads 1 and 4");
    }
}

#[test]
fn output_files_follow_their_extension_and_stdout_stays_empty() {
    let dir = mixed_folder();
    let out = TempDir::new().unwrap();
    let json = out.path().join("report.json");
    let csv = out.path().join("report.csv");
    mdc()
        .arg("scan")
        .arg(dir.path())
        .arg("-o")
        .arg(&json)
        .arg("-o")
        .arg(&csv)
        .arg("--quiet")
        .assert()
        .code(1)
        .stdout("")
        .stderr("");
    let report: serde_json::Value = serde_json::from_slice(&fs::read(&json).unwrap()).unwrap();
    assert_eq!(report["schema_version"], 2);
    assert!(
        fs::read_to_string(&csv)
            .unwrap()
            .starts_with("subscription_id,subscription_name,check,control,verdict")
    );
}

#[test]
fn paths_are_shown_as_reached_from_the_root_argument() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "evidence/prod/a.json",
        &settings_list(PASS, "true"),
    );
    mdc()
        .current_dir(dir.path())
        .args(["scan", "--rows", "observations", "evidence/"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "\r\nevidence/prod/a.json,rest-list,",
        ));
}

#[test]
fn include_and_exclude_globs_match_below_the_root() {
    let dir = mixed_folder();
    let output = mdc()
        .args([
            "scan",
            "--format",
            "json",
            "--include",
            "*.json",
            "--exclude",
            "fail/*",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let read: Vec<_> = report["observations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            o["path"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(read, [format!("{GAP}.json"), "settings.json".to_owned()]);
    let files = report["files"].as_array().unwrap();
    assert_eq!(files.len(), 6, "skipped files stay in the manifest");
    let excluded = files
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with("fail/settings.json"))
        .unwrap();
    assert_eq!(excluded["status"], "skipped");
    assert_eq!(excluded["reason"], "excluded by --exclude fail/*");
}

#[cfg(unix)]
#[test]
fn symlinks_are_listed_but_not_followed_unless_asked() {
    let dir = TempDir::new().unwrap();
    let target = TempDir::new().unwrap();
    write(target.path(), "a.json", &settings_list(PASS, "true"));
    std::os::unix::fs::symlink(target.path().join("a.json"), dir.path().join("link.json")).unwrap();
    mdc()
        .args(["scan", "--format", "json"])
        .arg(dir.path())
        .assert()
        .code(3)
        .stdout(predicate::str::contains("symbolic link not followed"));
    mdc()
        .args(["scan", "--follow-symlinks"])
        .arg(dir.path())
        .assert()
        .code(0);
}

#[test]
fn help_documents_the_exit_codes() {
    mdc()
        .args(["scan", "--help"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "3  evidence incomplete: no fail or conflict, but some subscription has no evidence",
        ));
}

#[test]
fn a_pattern_that_matches_nothing_is_warned_about_and_a_reported_path_matches() {
    let dir = mixed_folder();
    let reported = format!("{}/notes.txt", dir.path().display());
    mdc()
        .arg("scan")
        .arg(dir.path())
        .args([
            "--exclude",
            "nothing-here",
            "--exclude",
            &reported,
            "--exit-zero",
        ])
        .assert()
        .code(0)
        .stderr(predicate::str::contains(
            "warning: --exclude nothing-here matched no file",
        ))
        .stderr(predicate::str::contains("1 skipped"));
}

#[test]
fn a_folder_where_the_subcommand_goes_gets_a_hint() {
    let dir = mixed_folder();
    mdc()
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("did you mean: mdc-evidence scan"));
}

#[test]
fn format_none_prints_only_the_summary_and_keeps_the_exit_status() {
    let dir = mixed_folder();
    mdc()
        .args(["scan", "--format", "none"])
        .arg(dir.path())
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicate::str::contains("subscriptions:"));
    // A file report still goes where -o says.
    let out = TempDir::new().unwrap();
    let report = out.path().join("r.json");
    mdc()
        .args(["scan", "--format", "none", "-o", "-", "-o"])
        .arg(&report)
        .arg(dir.path())
        .assert()
        .code(1)
        .stdout("");
    assert!(
        fs::read_to_string(&report)
            .unwrap()
            .contains("\"subscriptions\"")
    );
    // A file without an extension says how to get no report.
    mdc()
        .args(["scan", "-o", "/dev/null"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--format none"));
}

/// The lines of `explain`'s output for `path`.
fn explained(path: &std::path::Path) -> Vec<String> {
    let output = mdc().arg("explain").arg(path).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn explain_shows_a_number_as_written_with_the_line_and_column_of_each_pointer() {
    let dir = TempDir::new().unwrap();
    let text = format!(
        "{{\"value\": [\n  {{\"id\": \"/subscriptions/{PASS}/providers/Microsoft.Security/settings/WDATP\",\n   \"name\": \"WDATP\", \"type\": \"Microsoft.Security/settings\",\n   \"properties\": {{\"enabled\": 1}}}},\n  {{\"name\": \"MCAS\", \"type\": \"Microsoft.Security/settings\", \"properties\": {{\"enabled\": {{\"on\":\n true}}}}}}\n]}}\n"
    );
    write(dir.path(), "n.json", &text);
    let lines = explained(&dir.path().join("n.json"));
    let at = |prefix: &str| {
        lines
            .iter()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("{prefix:?} in {lines:#?}"))
            .clone()
    };
    assert_eq!(at("settings"), "settings (2 entries, a complete list):");
    assert_eq!(
        at(" * WDATP"),
        " * WDATP                                enabled = 1          at /value/0/properties/enabled (line 4, column 30)"
    );
    assert_eq!(
        at(" * MCAS"),
        " * MCAS                                 enabled = {\"on\": true} at /value/1/properties/enabled (line 5, column 85)"
    );
    assert_eq!(
        at("  location:"),
        "  location:     /value/0/properties/enabled (line 4, column 30)"
    );
    assert_eq!(
        at("  why:"),
        "  why:          WDATP enabled: the value is a number, neither true nor false"
    );
}

#[test]
fn explain_counts_in_the_singular_and_the_plural() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "one.txt", "x");
    let lines = explained(&dir.path().join("one.txt"));
    assert_eq!(lines[1], "size:      1 byte");
    write(
        dir.path(),
        "single.json",
        r#"{"name":"WDATP","type":"Microsoft.Security/settings","properties":{"enabled":true}}"#,
    );
    let lines = explained(&dir.path().join("single.json"));
    assert_eq!(lines[1], "size:      83 bytes");
    assert_eq!(lines[8], "settings (1 entry, a single setting):");
    let many: Vec<String> = (0..201)
        .map(|i| {
            format!(
                r#"{{"name":"S{i}","type":"Microsoft.Security/settings","properties":{{"enabled":true}}}}"#
            )
        })
        .collect();
    write(
        dir.path(),
        "many.json",
        &format!(r#"{{"value":[{}]}}"#, many.join(",")),
    );
    let lines = explained(&dir.path().join("many.json"));
    assert_eq!(lines[8], "settings (201 entries, a complete list):");
    assert!(
        lines.contains(&"   … and 1 entry more not shown".to_owned()),
        "{lines:#?}"
    );
}

#[test]
fn explain_shows_a_clixml_number_as_written() {
    let dir = TempDir::new().unwrap();
    let fixture = common::root().join(
        "fixtures/powershell-clixml/ps7-get-azsecuritysetting_export-clixml_wdatp-disabled_utf8-bom.xml",
    );
    let text = fs::read_to_string(fixture).unwrap().replacen(
        r#"<B N="Enabled">false</B>"#,
        r#"<I32 N="Enabled">1</I32>"#,
        1,
    );
    write(dir.path(), "n.xml", &text);
    let lines = explained(&dir.path().join("n.xml"));
    assert!(
        lines.contains(
            &" * Sentinel                             enabled = 1          at line 20".to_owned()
        ),
        "{lines:#?}"
    );
}

// Unix only: the names hold characters Windows forbids in a file name (control
// characters, `|`, `<`, `>`, `"`); tests/windows.rs has the names Windows allows.
#[cfg(unix)]
#[test]
fn explain_never_echoes_terminal_control_characters() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "a\u{1b}]0;x\u{7}.json",
        r#"{"name":"WDATP\u001b[2J","type":"Microsoft.Security/settings","properties":{"enabled":"\u001b[31mTrue\u0007"}}"#,
    );
    let output = mdc()
        .arg("explain")
        .arg(dir.path().join("a\u{1b}]0;x\u{7}.json"))
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        !stdout.contains(|c: char| c.is_control() && c != '\n'),
        "{stdout}"
    );
    assert!(stdout.contains("a\u{fffd}]0;x\u{fffd}.json"), "{stdout}");
    let setting = format!(
        "   {:<36} enabled = \"\u{fffd}[31mTrue\u{fffd}\" at /properties/enabled (line 1, column 87)\n",
        "WDATP\u{fffd}[2J"
    );
    assert!(stdout.contains(&setting), "{stdout}");
}

/// A small folder for the table: a pass and a fail in the inventory, a subscription
/// outside it, and a file that names no subscription.
fn table_folder() -> TempDir {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    write(d, "ev/pass/settings.json", &settings_list(PASS, "true"));
    write(d, "ev/fail/settings.json", &settings_list(FAIL, "false"));
    write(d, "ev/other/settings.json", &settings_list(GAP, "true"));
    write(
        d,
        "ev/loose.json",
        r#"{"name":"WDATP","type":"Microsoft.Security/settings","properties":{"enabled":false}}"#,
    );
    write(
        d,
        "inventory.csv",
        &format!("\"Name\",\"Id\"\r\n\"本番 prod\",\"{PASS}\"\r\n\"dev\",\"{FAIL}\"\r\n"),
    );
    dir
}

#[test]
fn table_aligns_columns_by_display_width_and_ends_with_the_summary() {
    let dir = table_folder();
    let output = mdc()
        .current_dir(dir.path())
        .args([
            "scan",
            "--format",
            "table",
            "ev",
            "--subscriptions",
            "inventory.csv",
        ])
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let expected = format!(
        "\
subscription                          name       check  verdict  flags                reason
{PASS}  本番 prod  wdatp  pass     date_from_file_time  WDATP is enabled in 1 file; date_from_file_time: dated only by the file's modification time, which may be a copy's
{FAIL}  dev        wdatp  fail     date_from_file_time  WDATP is disabled in 1 file; date_from_file_time: dated only by the file's modification time, which may be a copy's

not in the inventory (out of scope):
{GAP}             wdatp  pass     date_from_file_time  WDATP is enabled in 1 file; date_from_file_time: dated only by the file's modification time, which may be a copy's

unattributed observations (no subscription):
path           check  outcome   detail
ev/loose.json  wdatp  disabled  unattributed: neither the content nor the path names a subscription; WDATP enabled is false

4 files read, 0 skipped; 2 in scope: 1 pass, 1 fail, 0 conflict, 0 no_evidence; 1 out of scope; 2 flagged for review; 1 unattributed observation (1 with a value)
"
    );
    assert_eq!(String::from_utf8(output.stdout).unwrap(), expected);
}

#[test]
fn table_has_no_escape_codes_off_a_terminal_or_with_no_color() {
    let dir = table_folder();
    for no_color in [None, Some("1")] {
        let mut cmd = mdc();
        cmd.args(["scan", "--format", "table"]).arg(dir.path());
        match no_color {
            Some(value) => cmd.env("NO_COLOR", value),
            None => cmd.env_remove("NO_COLOR"),
        };
        let stdout = String::from_utf8(cmd.output().unwrap().stdout).unwrap();
        assert!(stdout.contains("wdatp  fail"), "{stdout}");
        assert!(!stdout.contains('\u{1b}'), "{stdout:?}");
    }
}

// Unix only: the names hold characters Windows forbids in a file name (control
// characters, `|`, `<`, `>`, `"`); tests/windows.rs has the names Windows allows.
#[cfg(unix)]
#[test]
fn table_escapes_a_file_name_holding_escape_codes_and_is_never_read_as_evidence() {
    let dir = table_folder();
    write(
        dir.path(),
        "ev/\u{1b}[31mred\u{7}.json",
        r#"{"name":"WDATP","type":"Microsoft.Security/settings","properties":{"enabled":true}}"#,
    );
    let output = mdc()
        .current_dir(dir.path())
        .args(["scan", "--format", "table", "ev"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        !stdout.contains(|c: char| c.is_control() && c != '\n'),
        "{stdout:?}"
    );
    assert!(
        stdout.contains("\nev/\u{fffd}[31mred\u{fffd}.json  wdatp  enabled "),
        "{stdout}"
    );
    // A table saved in the folder is recognised as this tool's and skipped, not read.
    fs::write(dir.path().join("ev/table.txt"), &stdout).unwrap();
    let again = mdc()
        .current_dir(dir.path())
        .args(["scan", "--format", "json", "ev"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    let table = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "ev/table.txt")
        .unwrap();
    assert_eq!(table["status"], "skipped", "{table}");
    assert_eq!(
        table["reason"], "an earlier report of mdc-evidence, not evidence",
        "{table}"
    );
}

/// A folder of `copies` copies of the fixtures: a scan long enough (over a second in a
/// debug build) to show a progress bar on a terminal.
fn long_scan_folder(copies: usize) -> TempDir {
    let fixtures = common::fixtures_copy();
    let dir = TempDir::new().unwrap();
    for i in 0..copies {
        for entry in walkdir::WalkDir::new(fixtures.path()) {
            let entry = entry.unwrap();
            let target = dir
                .path()
                .join(format!("c{i}"))
                .join(entry.path().strip_prefix(fixtures.path()).unwrap());
            if entry.file_type().is_dir() {
                fs::create_dir_all(&target).unwrap();
            } else {
                fs::copy(entry.path(), &target).unwrap();
            }
        }
    }
    dir
}

/// How many files are under `dir`.
fn files_in(dir: &Path) -> usize {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter(|e| e.as_ref().is_ok_and(|e| e.file_type().is_file()))
        .count()
}

#[test]
fn off_a_terminal_standard_error_holds_only_the_summary_line_even_on_a_long_scan() {
    let dir = long_scan_folder(30);
    let total = files_in(dir.path());
    let started = std::time::Instant::now();
    let output = mdc()
        .args(["scan", "--format", "none"])
        .arg(dir.path())
        .output()
        .unwrap();
    let took = started.elapsed();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.starts_with(&format!("mdc-evidence: {total} files read, 0 skipped;"))
            && stderr.ends_with('\n'),
        "{stderr:?} (the scan took {took:?})"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr:?}");
    assert!(!stderr.contains(['\r', '\x1b']), "{stderr:?}");
}

#[test]
fn on_a_terminal_a_long_scan_shows_a_progress_bar_cleared_before_the_summary() {
    // `script` (util-linux) gives the binary a terminal; without it, nothing to check.
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("note: script (util-linux) is not installed: the terminal check is skipped");
        return;
    }
    let dir = long_scan_folder(30);
    let total = files_in(dir.path());
    let binary = assert_cmd::cargo::cargo_bin("mdc-evidence");
    let run = |quiet: &str| {
        let command = format!(
            "{} scan --format none {quiet} {}",
            binary.display(),
            dir.path().display()
        );
        let started = std::time::Instant::now();
        let output = std::process::Command::new("script")
            .args(["-qec", &command, "/dev/null"])
            .env("SOURCE_DATE_EPOCH", common::EPOCH.0)
            .output()
            .unwrap();
        (
            String::from_utf8_lossy(&output.stdout).into_owned(),
            started.elapsed(),
        )
    };
    let (shown, took) = run("");
    let summary = shown
        .rfind(&format!("mdc-evidence: {total} files read"))
        .unwrap_or_else(|| panic!("{shown:?}"));
    eprintln!("the scan on a terminal took {took:?}");
    if took > std::time::Duration::from_millis(1500) {
        // Long enough for the bar: it counted files, then was cleared (erase the line).
        let thousands = format!("{},{:03}", total / 1000, total % 1000);
        assert!(
            shown.contains(&format!("/{thousands} files, ")),
            "{shown:?}"
        );
        assert!(shown[..summary].ends_with("\x1b[2K"), "{shown:?}");
    }
    assert!(!shown[summary..].contains("files, "), "{shown:?}");
    let (quiet, _) = run("--quiet");
    assert!(!quiet.contains("files, "), "{quiet:?}");
}
