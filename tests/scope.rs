//! The client's scope over time: `diff` of two scans given an inventory lists the changes
//! of subscriptions outside it apart (they never make it exit 1 unless asked), and every
//! format names each subscription, says whether the inventory lists it, and names the file
//! behind a verdict whose evidence was lost; `verify --root` shows the paths it checked
//! and the verdicts each changed, missing or new file was evidence for.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failure is a panic with its message"
)]

mod common;

use std::path::Path;

use common::{mdc, settings_list, write};
use serde_json::Value;
use tempfile::TempDir;

const A: &str = "7a7a7a7a-7777-4777-8777-777777777777";
const B: &str = "8b8b8b8b-8888-4888-8888-888888888888";
const C: &str = "9c9c9c9c-9999-4999-8999-999999999999";

/// An inventory of A (`prod`) and C (`ops`): B is outside it.
fn inventory(dir: &Path) {
    write(
        dir,
        "inventory.csv",
        &format!("name,subscription_id\nprod,{A}\nops,{C}\n"),
    );
}

/// Scans `folder` under `dir` with the inventory into `out`.
fn scan(dir: &Path, folder: &str, out: &str) {
    mdc()
        .current_dir(dir)
        .args([
            "scan",
            folder,
            "-q",
            "--exit-zero",
            "--subscriptions",
            "inventory.csv",
        ])
        .args(["-o", out])
        .assert()
        .code(0);
}

fn diff_outputs(dir: &Path, extra: &[&str]) -> (i32, Value, String, String) {
    let output = mdc()
        .current_dir(dir)
        .args([
            "diff", "q1.json", "q2.json", "-o", "d.json", "-o", "d.csv", "-o", "d.md",
        ])
        .args(extra)
        .output()
        .unwrap();
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    let json: Value = serde_json::from_str(&read("d.json")).unwrap();
    let (csv, md) = (read("d.csv"), read("d.md"));
    for name in ["d.json", "d.csv", "d.md"] {
        std::fs::remove_file(dir.join(name)).unwrap();
    }
    (output.status.code().unwrap(), json, csv, md)
}

fn row<'a>(json: &'a Value, subscription: &str) -> &'a Value {
    json["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["subscription_id"] == subscription)
        .unwrap()
}

#[test]
fn an_out_of_scope_regression_is_listed_apart_and_exits_zero_unless_asked() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    inventory(d);
    for (quarter, b) in [("q1", "true"), ("q2", "false")] {
        write(d, &format!("{quarter}/a.json"), &settings_list(A, "true"));
        write(d, &format!("{quarter}/b.json"), &settings_list(B, b));
        write(d, &format!("{quarter}/c.json"), &settings_list(C, "true"));
        scan(d, quarter, &format!("{quarter}.json"));
    }
    let (code, json, csv, md) = diff_outputs(d, &[]);
    assert_eq!(code, 0, "an out-of-scope regression alone exits 0");
    assert_eq!(json["needs_action"], false);
    assert_eq!(json["changes"]["regressed"], 0);
    assert_eq!(json["out_of_scope"]["regressed"], 1);
    let b = row(&json, B);
    assert_eq!(
        (&b["change"], &b["in_inventory"], &b["out_of_scope"]),
        (
            &Value::from("regressed"),
            &Value::from(false),
            &Value::from(true)
        )
    );
    let a = row(&json, A);
    assert_eq!(
        (
            &a["subscription_name"],
            &a["in_inventory"],
            &a["out_of_scope"]
        ),
        (
            &Value::from("prod"),
            &Value::from(true),
            &Value::from(false)
        )
    );
    // CSV: the name, in_inventory and out_of_scope columns.
    let mut lines = csv.lines();
    assert!(
        lines.next().unwrap().starts_with(
            "subscription_id,subscription_name,in_inventory,out_of_scope,check,change,"
        )
    );
    assert!(csv.contains(&format!("\r\n{A},prod,true,false,wdatp,unchanged,")));
    assert!(csv.contains(&format!("\r\n{B},,false,true,wdatp,regressed,pass,fail,")));
    // Markdown: no "Regressed" section in scope, the row in a section of its own.
    assert!(!md.contains("**Needs action**"), "{md}");
    assert!(!md.contains("## Regressed"), "{md}");
    let apart = md.split("## Outside the inventory (1)").nth(1).expect(&md);
    assert!(
        apart.contains(&format!(
            "| regressed | {B} |  | no | wdatp | pass | fail |"
        )),
        "{md}"
    );
    assert!(md.contains("| regressed | 0 | 1 |"), "{md}");

    // A later scan of a folder holding these outputs knows them for its own.
    for (name, contents) in [("d.csv", &csv), ("d.md", &md)] {
        write(d, &format!("q2/{name}"), contents);
    }
    mdc()
        .current_dir(d)
        .args(["diff", "q1.json", "q2.json", "-q", "-o", "q2/d.json"])
        .assert()
        .code(0);
    scan(d, "q2", "q3.json");
    let q3: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("q3.json")).unwrap()).unwrap();
    for name in ["q2/d.csv", "q2/d.md", "q2/d.json"] {
        let file = q3["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == name)
            .unwrap();
        assert_eq!(
            file["reason"], "an earlier report of mdc-evidence, not evidence",
            "{name}"
        );
    }
    for name in ["d.csv", "d.md", "d.json"] {
        std::fs::remove_file(d.join("q2").join(name)).unwrap();
    }

    // Asked to, the same change makes diff exit 1.
    let (code, json, _, md) = diff_outputs(d, &["--fail-on-out-of-scope"]);
    assert_eq!(code, 1);
    assert_eq!(json["needs_action"], true);
    assert!(md.contains("**Needs action**"), "{md}");
}

#[test]
fn when_the_reports_disagree_the_newest_row_decides_the_scope() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    // Last quarter B was in scope and C was not; this quarter the client dropped B.
    write(
        d,
        "old.csv",
        &format!("name,subscription_id\nprod,{A}\nbuild,{B}\n"),
    );
    write(d, "new.csv", &format!("name,subscription_id\nprod,{A}\n"));
    write(d, "q1/a.json", &settings_list(A, "true"));
    write(d, "q1/b.json", &settings_list(B, "true"));
    write(d, "q1/c.json", &settings_list(C, "true"));
    write(d, "q2/a.json", &settings_list(A, "true"));
    write(d, "q2/b.json", &settings_list(B, "false"));
    for (quarter, inventory) in [("q1", "old.csv"), ("q2", "new.csv")] {
        mdc()
            .current_dir(d)
            .args([
                "scan",
                quarter,
                "-q",
                "--exit-zero",
                "--subscriptions",
                inventory,
            ])
            .args(["-o", &format!("{quarter}.json")])
            .assert()
            .code(0);
    }
    let (code, json, _, _) = diff_outputs(d, &[]);
    let b = row(&json, B);
    assert_eq!(
        (&b["change"], &b["in_inventory"]),
        (&Value::from("regressed"), &Value::from(false))
    );
    assert_eq!(b["old"]["in_inventory"], true);
    assert_eq!(
        b["subscription_name"], "build",
        "the old report's name, the new one has none"
    );
    let c = row(&json, C);
    assert_eq!(
        (&c["change"], &c["out_of_scope"]),
        (&Value::from("gone"), &Value::from(true))
    );
    assert_eq!(code, 0, "{json}");
}

#[test]
fn names_in_inventory_and_the_lost_evidence_are_in_every_format() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    inventory(d);
    write(d, "q1/a.json", &settings_list(A, "true"));
    write(d, "q1/c.json", &settings_list(C, "true"));
    write(d, "q2/a.json", &settings_list(A, "true"));
    scan(d, "q1", "q1.json");
    scan(d, "q2", "q2.json");
    let (code, json, csv, md) = diff_outputs(d, &[]);
    assert_eq!(code, 1, "evidence lost in scope needs action");
    let c = row(&json, C);
    assert_eq!(c["change"], "evidence_lost");
    assert_eq!(c["subscription_name"], "ops");
    assert_eq!(c["in_inventory"], true);
    assert_eq!(c["old"]["evidence"][0]["path"], "q1/c.json");
    assert_eq!(c["old"]["deciding_file"], "q1/c.json");
    let line = csv.lines().find(|l| l.starts_with(C)).unwrap();
    assert!(
        line.starts_with(&format!(
            "{C},ops,true,false,wdatp,evidence_lost,pass,no_evidence,"
        )),
        "{line}"
    );
    assert!(line.contains("q1/c.json (sha256 "), "{line}");
    let lost = md.split("## Evidence lost (1)").nth(1).expect(&md);
    let lost_row = lost.lines().find(|l| l.contains(C)).unwrap();
    assert!(
        lost_row.starts_with(&format!(
            "| {C} | ops | yes | wdatp | pass | no_evidence | was q1/c.json (sha256 "
        )),
        "{lost_row}"
    );
}

#[test]
fn verify_with_root_shows_the_paths_checked_and_the_verdicts_each_file_was_evidence_for() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    write(d, "ev/a.json", &settings_list(A, "true"));
    write(d, "ev/b.json", &settings_list(B, "false"));
    write(d, "ev/keep.json", &settings_list(C, "true"));
    mdc()
        .current_dir(d)
        .args(["scan", "ev", "-q", "--exit-zero", "-o", "r.json"])
        .assert()
        .code(0);
    std::fs::rename(d.join("ev"), d.join("moved")).unwrap();
    std::fs::remove_file(d.join("moved/a.json")).unwrap();
    write(d, "moved/b.json", &settings_list(B, "true"));
    write(d, "moved/new.json", &settings_list(A, "false"));
    let run = |format: &str| {
        let output = mdc()
            .current_dir(d)
            .args([
                "verify", "r.json", "--root", "moved", "-q", "--format", format,
            ])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{format}");
        String::from_utf8(output.stdout).unwrap()
    };
    let text = run("text");
    let expected = format!(
        "missing    moved/a.json\n           in the report as ev/a.json\n           evidence for {A} wdatp (pass, decided)\n"
    );
    assert!(text.starts_with(&expected), "{text}");
    assert!(text.contains("changed    moved/b.json: "), "{text}");
    assert!(
        text.contains(&format!("evidence for {B} wdatp (fail, decided)\n")),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "new        moved/new.json\n           now evidence for {A} wdatp (fail, decided)\n"
        )),
        "{text}"
    );
    assert!(
        !text.contains("keep.json"),
        "an unchanged file is not in the text: {text}"
    );

    let json: Value = serde_json::from_str(&run("json")).unwrap();
    assert_eq!(json["roots"], serde_json::json!(["moved"]));
    assert_eq!(json["report_roots"], serde_json::json!(["ev"]));
    let file = |path: &str| {
        json["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == path)
            .expect(path)
            .clone()
    };
    let missing = file("moved/a.json");
    assert_eq!(missing["report_path"], "ev/a.json");
    assert_eq!(
        missing["verdicts"],
        serde_json::json!([{"subscription_id": A, "check": "wdatp", "verdict": "pass", "decided": true}])
    );
    assert_eq!(file("moved/b.json")["verdicts"][0]["verdict"], "fail");
    assert_eq!(file("moved/new.json")["verdicts"][0]["verdict"], "fail");
    assert!(file("moved/keep.json").get("verdicts").is_none());

    let csv = run("csv");
    assert!(
        csv.starts_with(
            "path,state,recorded_sha256,recorded_size,sha256,size,note,report_path,verdicts\r\n"
        ),
        "{csv}"
    );
    assert!(
        csv.contains(&format!(",ev/a.json,\"{A} wdatp (pass, decided)\"\r\n")),
        "{csv}"
    );
    assert!(
        !csv.contains("\r\nev/"),
        "no row shows the old root's path as its path: {csv}"
    );

    // A report that cannot be re-derived is checked file by file: the same paths and the
    // report's verdicts (a new file's are unknown).
    let report = std::fs::read_to_string(d.join("r.json")).unwrap();
    let version = format!("\"version\": \"{}\"", env!("CARGO_PKG_VERSION"));
    assert!(report.contains(&version));
    write(
        d,
        "r.json",
        &report.replacen(&version, "\"version\": \"0.0.0\"", 1),
    );
    let text = run("text");
    assert!(text.starts_with(&expected), "{text}");
    assert!(text.contains("new        moved/new.json\n"), "{text}");
    assert!(!text.contains("now evidence for"), "{text}");
}

#[test]
fn a_verdict_a_file_only_fed_is_named_without_decided() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    write(d, "ev/a1.json", &settings_list(A, "true"));
    write(d, "ev/a2.json", &settings_list(A, "true"));
    mdc()
        .current_dir(d)
        .args(["scan", "ev", "-q", "--exit-zero", "-o", "r.json"])
        .assert()
        .code(0);
    std::fs::remove_file(d.join("ev/a2.json")).unwrap();
    let output = mdc()
        .current_dir(d)
        .args(["verify", "r.json", "-q"])
        .output()
        .unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.starts_with(&format!(
            "missing    ev/a2.json\n           evidence for {A} wdatp (pass)\n"
        )),
        "{text}"
    );
}
