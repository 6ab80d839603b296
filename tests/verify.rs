//! `mdc-evidence verify`: a report checked against its evidence, in place and moved.

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

const A: &str = "7a7a7a7a-7777-4777-8777-777777777777";
const B: &str = "8b8b8b8b-8888-4888-8888-888888888888";

/// A folder `ev` with two evidence files and a JSON report of it written inside it.
fn scanned() -> TempDir {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        &format!("ev/{A}.json"),
        &settings_list(A, "true"),
    );
    write(
        dir.path(),
        &format!("ev/b/{B}.json"),
        &settings_list(B, "false"),
    );
    mdc()
        .current_dir(dir.path())
        .args(["scan", "ev", "-o", "ev/report.json", "-q"])
        .assert()
        .code(1);
    dir
}

fn verify(dir: &TempDir, args: &[&str]) -> assert_cmd::assert::Assert {
    mdc()
        .current_dir(dir.path())
        .arg("verify")
        .args(args)
        .assert()
}

#[test]
fn untouched_evidence_verifies_and_the_report_itself_is_not_new() {
    let dir = scanned();
    verify(&dir, &["ev/report.json"]).code(0).stdout("").stderr(
        "mdc-evidence: verify: 2 files in the report: 2 unchanged, 0 changed, 0 missing; 0 new; \
         re-derived: 0 differences\n",
    );
}

#[test]
fn a_changed_a_missing_and_a_new_file_break_the_chain() {
    let dir = scanned();
    write(
        dir.path(),
        &format!("ev/{A}.json"),
        &settings_list(A, "false"),
    );
    std::fs::remove_file(dir.path().join(format!("ev/b/{B}.json"))).unwrap();
    write(dir.path(), "ev/late.txt", "true\n");
    let output = verify(&dir, &["ev/report.json", "--format", "json"]).code(1);
    let report: Value = serde_json::from_slice(&output.get_output().stdout).unwrap();
    let state = |path: &str| {
        report["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == path)
            .unwrap_or_else(|| panic!("{path} not in {report:#}"))["state"]
            .clone()
    };
    assert_eq!(state(&format!("ev/{A}.json")), "changed");
    assert_eq!(state(&format!("ev/b/{B}.json")), "missing");
    assert_eq!(state("ev/late.txt"), "new");
    assert_eq!(report["intact"], false);
    assert_eq!(report["summary"]["unchanged"], 0);
    // The text view lists what broke, one line each.
    verify(&dir, &["ev/report.json"])
        .code(1)
        .stdout(predicate::str::contains(format!(
            "changed    ev/{A}.json: sha256 "
        )))
        .stdout(predicate::str::contains(format!(
            "missing    ev/b/{B}.json\n"
        )))
        .stdout(predicate::str::contains("new        ev/late.txt\n"))
        .stderr(predicate::str::contains(
            "2 files in the report: 0 unchanged, 1 changed, 1 missing; 1 new",
        ));
}

#[test]
fn a_moved_folder_verifies_with_root() {
    let dir = scanned();
    std::fs::rename(dir.path().join("ev"), dir.path().join("elsewhere")).unwrap();
    verify(&dir, &["elsewhere/report.json"])
        .code(2)
        .stderr(predicate::str::contains("give --root"));
    verify(
        &dir,
        &[
            "elsewhere/report.json",
            "--root",
            "elsewhere",
            "--format",
            "csv",
        ],
    )
    .code(0)
    .stdout(predicate::str::starts_with(
        "path,state,recorded_sha256,recorded_size,sha256,size,note,report_path,verdicts\r\n",
    ))
    .stdout(predicate::str::contains(format!(
        "\nelsewhere/{A}.json,unchanged,"
    )))
    .stdout(predicate::str::contains(format!(",ev/{A}.json,\r\n")));
    verify(
        &dir,
        &["elsewhere/report.json", "--root", "a", "--root", "b"],
    )
    .code(2)
    .stderr(predicate::str::contains("give --root once for each"));
}

#[test]
fn a_report_it_cannot_read_is_a_usage_error_naming_why() {
    let dir = scanned();
    let text = std::fs::read_to_string(dir.path().join("ev/report.json")).unwrap();
    write(
        dir.path(),
        "future.json",
        &text.replacen("\"schema_version\": 2", "\"schema_version\": 9", 1),
    );
    verify(&dir, &["future.json"]).code(2).stderr(
        predicate::str::contains("has schema_version 9")
            .and(predicate::str::contains("reads 1 and 2")),
    );
    write(
        dir.path(),
        "other.json",
        r#"{"schema_version": 2, "tool": {"name": "prowler"}}"#,
    );
    verify(&dir, &["other.json"])
        .code(2)
        .stderr(predicate::str::contains(
            "is not a JSON report of mdc-evidence",
        ));
    verify(&dir, &[&format!("ev/{A}.json")])
        .code(2)
        .stderr(predicate::str::contains(
            "is not a JSON report of mdc-evidence",
        ));
    verify(&dir, &["nothing.json"])
        .code(2)
        .stderr(predicate::str::contains("cannot read report nothing.json"));
}

/// The issue's own check, on a copy of the bundled fixtures: intact, then one byte
/// changed, then one file added.
#[test]
fn the_fixtures_verify_then_one_changed_byte_and_one_new_file_are_named() {
    let dir = common::fixtures_copy();
    mdc()
        .current_dir(dir.path())
        .args(["scan", "fixtures", "-q", "--exit-zero", "-o", "r.json"])
        .assert()
        .code(0);
    mdc()
        .current_dir(dir.path())
        .args(["verify", "r.json"])
        .assert()
        .code(0)
        .stdout("")
        .stderr(predicate::str::contains(
            " 0 changed, 0 missing; 0 new; re-derived: 0 differences\n",
        ));
    let changed = dir
        .path()
        .join("fixtures/rest-setting/get-wdatp-enabled.json");
    let mut bytes = std::fs::read(&changed).unwrap();
    let at = bytes.iter().position(|&b| b == b't').unwrap();
    bytes[at] = b'T';
    std::fs::write(&changed, bytes).unwrap();
    mdc()
        .current_dir(dir.path())
        .args(["verify", "r.json"])
        .assert()
        .code(1)
        .stdout(predicate::str::starts_with(
            "changed    fixtures/rest-setting/get-wdatp-enabled.json: sha256 ",
        ))
        .stderr(predicate::str::contains(
            " 1 changed, 0 missing; 0 new; re-derived: ",
        ));
    write(dir.path(), "fixtures/late-addition.json", "{}");
    mdc()
        .current_dir(dir.path())
        .args(["verify", "r.json"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "new        fixtures/late-addition.json: not evidence: ",
        ))
        .stderr(predicate::str::contains(
            " 1 changed, 0 missing; 1 new; re-derived: ",
        ));
}
