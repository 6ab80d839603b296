//! Nothing forged may pass: `-o` never replaces an input of the run, `verify` re-derives a
//! report from its evidence and names every edited row, and `diff` never calls a
//! regression nothing.

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

const A: &str = "11111111-2222-4333-8444-555555555555";
const B: &str = "21111111-2222-4333-8444-555555555555";

/// `ev/` with a passing and a failing subscription, and the run's other inputs beside it.
fn evidence() -> TempDir {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "ev/a.json", &settings_list(A, "true"));
    write(dir.path(), "ev/b.json", &settings_list(B, "false"));
    write(
        dir.path(),
        "exc.csv",
        &format!(
            "subscription_id,check,justification,approved_by,expires\n{B},wdatp,accepted,ciso,2099-01-01\n"
        ),
    );
    write(dir.path(), "subs.csv", &format!("{A}\n{B}\n"));
    write(
        dir.path(),
        "acct.json",
        &format!(r#"[{{"id":"{A}","name":"one"}},{{"id":"{B}","name":"two"}}]"#),
    );
    // TOML whatever its name: a name `-o` accepts, to show it is refused as an input.
    write(
        dir.path(),
        "checks.json",
        "[[check]]\nid = \"mcas\"\ntitle = \"MCAS\"\nsetting = \"MCAS\"\nabsent = \"fail\"\n",
    );
    dir
}

fn read(dir: &TempDir, name: &str) -> Vec<u8> {
    std::fs::read(dir.path().join(name)).unwrap()
}

#[test]
fn an_output_onto_any_input_of_the_run_is_refused_before_anything_is_written() {
    let dir = evidence();
    for (flag, input, named) in [
        (
            "--exceptions",
            "exc.csv",
            "the exceptions register of this run",
        ),
        ("--subscriptions", "subs.csv", "the inventory of this run"),
        ("--subscriptions", "acct.json", "the inventory of this run"),
        (
            "--checks-file",
            "checks.json",
            "the checks file of this run",
        ),
    ] {
        let before = read(&dir, input);
        // The same name, another spelling of it, and a second output beside it: refused
        // whole, with exit 2, and the input keeps its bytes.
        for output in [
            input.to_owned(),
            format!("./{input}"),
            format!("ev/../{input}"),
        ] {
            mdc()
                .current_dir(dir.path())
                .args(["scan", "ev", flag, input, "-o", "other.json", "-o", &output])
                .assert()
                .code(2)
                .stderr(
                    predicate::str::contains(format!("cannot write report {output}"))
                        .and(predicate::str::contains(named))
                        .and(predicate::str::contains("an input is never an output")),
                );
            assert_eq!(read(&dir, input), before, "{flag} {input} -o {output}");
            assert!(!dir.path().join("other.json").exists());
        }
    }
}

#[cfg(unix)]
#[test]
fn an_input_reached_by_a_link_is_still_an_input() {
    let dir = evidence();
    let before = read(&dir, "exc.csv");
    std::os::unix::fs::symlink("exc.csv", dir.path().join("link.csv")).unwrap();
    std::fs::hard_link(dir.path().join("exc.csv"), dir.path().join("hard.csv")).unwrap();
    for (input, output) in [
        ("link.csv", "exc.csv"),
        ("hard.csv", "exc.csv"),
        ("exc.csv", "hard.csv"),
    ] {
        mdc()
            .current_dir(dir.path())
            .args(["scan", "ev", "--exceptions", input, "-o", output])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("an input is never an output"));
        assert_eq!(read(&dir, "exc.csv"), before);
    }
}

#[test]
fn diff_never_writes_over_a_report_it_compares() {
    let dir = evidence();
    mdc()
        .current_dir(dir.path())
        .args(["scan", "ev", "-q", "-o", "old.json", "-o", "new.json"])
        .assert()
        .code(1);
    let before = read(&dir, "old.json");
    for output in ["old.json", "./old.json", "ev/../old.json"] {
        mdc()
            .current_dir(dir.path())
            .args(["diff", "old.json", "new.json", "-o", output])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(
                "one of the reports compared (OLD)",
            ));
        assert_eq!(read(&dir, "old.json"), before);
    }
}

fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap()
}

/// `old/` where A passes and `new/` where it fails, each scanned to a report with the
/// extra arguments given.
fn two_collections(old_args: &[&str], new_args: &[&str]) -> TempDir {
    let dir = evidence();
    write(dir.path(), "old/a.json", &settings_list(A, "true"));
    write(dir.path(), "new/a.json", &settings_list(A, "false"));
    write(
        dir.path(),
        "edr.toml",
        "[[check]]\nid = \"edr\"\ntitle = \"EDR\"\nsetting = \"WDATP\"\nabsent = \"fail\"\n\
         controls = { \"cis-azure-6.0.0\" = \"8.1.3.3\" }\n\
         [[check]]\nid = \"edr-too\"\ntitle = \"EDR again\"\nsetting = \"wdatp\"\nabsent = \"fail\"\n\
         controls = { \"cis-azure-6.0.0\" = \"8.1.3.3\" }\n",
    );
    for (folder, args) in [("old", old_args), ("new", new_args)] {
        mdc()
            .current_dir(dir.path())
            .args(["scan", folder, "-q", "--exit-zero", "-o"])
            .arg(format!("{folder}.json"))
            .args(args)
            .assert()
            .code(0);
    }
    dir
}

#[test]
fn a_check_renamed_in_a_checks_file_is_compared_and_its_regression_counts() {
    // Old ran the built-in wdatp; new the same setting and control as `edr`.
    let dir = two_collections(&[], &["--checks-file", "edr.toml", "--check", "edr"]);
    let output = mdc()
        .current_dir(dir.path())
        .args(["diff", "old.json", "new.json", "--format", "json"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "check edr of new.json is check wdatp of old.json under another id (the same \
             setting wdatp (passes when true) and control 8.1.3.3): their rows are compared",
        ))
        .stderr(predicate::str::contains("1 regressed"))
        .get_output()
        .stdout
        .clone();
    let diff = json(&output);
    let rows = diff["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{diff:#}");
    assert_eq!(rows[0]["change"], "regressed");
    assert_eq!(rows[0]["check"], "edr");
    assert_eq!(rows[0]["renamed_from"], "wdatp");
    assert_eq!(rows[0]["compared"], true);
    assert_eq!(diff["needs_action"], true);
    mdc()
        .current_dir(dir.path())
        .args(["diff", "old.json", "new.json", "--format", "markdown"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("**Needs action**"))
        .stdout(predicate::str::contains(format!(
            "| {A} | edr (was wdatp) | pass | fail |"
        )));
}

#[test]
fn an_appeared_failing_row_needs_action_whatever_the_check_ids() {
    // Two new checks read the same setting with the same control: which one is the old
    // check is ambiguous, so nothing is paired; the failing rows still count.
    let dir = two_collections(
        &[],
        &[
            "--checks-file",
            "edr.toml",
            "--check",
            "edr",
            "--check",
            "edr-too",
        ],
    );
    mdc()
        .current_dir(dir.path())
        .args(["diff", "old.json", "new.json", "--format", "markdown"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("**Needs action**"))
        .stdout(predicate::str::contains("Nothing regressed").not())
        .stderr(predicate::str::contains("2 appeared (2 failing)"))
        .stderr(predicate::str::contains("under another id").not());
}
