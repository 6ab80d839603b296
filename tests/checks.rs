//! Checks as data, end to end: the built-in checks and their CIS control ids, `--check`,
//! `--benchmark`, a user's checks file with a setting rule and a query rule, and an ad-hoc
//! `--query` that decides like the built-in check it mirrors.

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

const A: &str = "7a7a7a7a-1111-4111-8111-111111111111";
const B: &str = "7b7b7b7b-2222-4222-8222-222222222222";
const C: &str = "7c7c7c7c-3333-4333-8333-333333333333";

/// A complete REST list of `sub`'s settings: (name, enabled).
fn rest_list(sub: &str, settings: &[(&str, bool)]) -> String {
    let value: Vec<Value> = settings
        .iter()
        .map(|(name, enabled)| {
            serde_json::json!({
                "id": format!("/subscriptions/{sub}/providers/Microsoft.Security/settings/{name}"),
                "name": name,
                "type": "Microsoft.Security/settings",
                "properties": {"enabled": enabled}
            })
        })
        .collect();
    serde_json::json!({ "value": value }).to_string()
}

/// Evidence for three subscriptions: MCAS on (A), off (B), absent from a complete list (C).
fn evidence() -> TempDir {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "a.json",
        &rest_list(A, &[("MCAS", true), ("WDATP", true)]),
    );
    write(
        dir.path(),
        "b.json",
        &rest_list(B, &[("MCAS", false), ("WDATP", true)]),
    );
    write(
        dir.path(),
        "c.json",
        &rest_list(C, &[("Sentinel", true), ("WDATP", false)]),
    );
    dir
}

fn verdicts(dir: &TempDir, args: &[&str]) -> Vec<(String, String, String)> {
    let output = mdc()
        .args(["scan", "-q", "--exit-zero", "--format", "json"])
        .args(args)
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    report["subscriptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["subscription_id"].as_str().unwrap().to_owned(),
                s["check"].as_str().unwrap().to_owned(),
                s["verdict"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn the_checks_command_names_wdatp_at_every_benchmark_version() {
    let output = mdc().args(["checks", "--format", "json"]).output().unwrap();
    assert!(output.status.success());
    let listing: Value = serde_json::from_slice(&output.stdout).unwrap();
    let wdatp = listing["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "wdatp")
        .unwrap();
    for (version, control) in [
        ("1.3.0", "2.9"),
        ("1.4.0", "2.9"),
        ("1.5.0", "2.4.2"),
        ("2.0.0", "2.1.22"),
        ("2.1.0", "2.1.21"),
        ("3.0.0", "3.1.3.3"),
        ("4.0.0", "9.1.3.3"),
        ("5.0.0", "8.1.3.3"),
        ("6.0.0", "8.1.3.3"),
    ] {
        assert_eq!(
            wdatp["controls"][format!("cis-azure-{version}")],
            control,
            "{version}"
        );
    }
    let ids: Vec<&str> = listing["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "wdatp",
            "mcas",
            "wdatp-unified-solution",
            "wdatp-linux",
            "sentinel"
        ]
    );
    let text = mdc().arg("checks").output().unwrap();
    assert!(String::from_utf8_lossy(&text.stdout).contains("az security setting update"));
}

#[test]
fn a_query_decides_like_the_check_it_mirrors_on_rest_lists() {
    let dir = evidence();
    let by_check: Vec<(String, String)> = verdicts(&dir, &["--check", "mcas"])
        .into_iter()
        .map(|(sub, _, verdict)| (sub, verdict))
        .collect();
    let by_query: Vec<(String, String)> = verdicts(
        &dir,
        &[
            "--query",
            "$.value[?@.name==\"MCAS\"].properties.enabled",
            "--expect",
            "true",
        ],
    )
    .into_iter()
    .map(|(sub, _, verdict)| (sub, verdict))
    .collect();
    assert_eq!(
        by_check,
        [
            (A.to_owned(), "pass".to_owned()),
            (B.to_owned(), "fail".to_owned()),
            (C.to_owned(), "fail".to_owned())
        ]
    );
    assert_eq!(by_query, by_check);
}

#[test]
fn an_unterminated_query_is_a_usage_error_naming_the_position() {
    mdc()
        .arg("scan")
        .arg(evidence().path())
        .args(["--query", "$.value[?@.name==\"MCAS\"", "--expect", "true"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicates::str::contains("1:"))
        .stderr(predicates::str::contains("invalid JSONPath"));
}

#[test]
fn a_users_checks_file_with_a_setting_rule_and_a_query_rule() {
    let dir = evidence();
    let checks = TempDir::new().unwrap();
    write(
        checks.path(),
        "checks.toml",
        r#"
[[check]]
id = "sentinel-sync"
title = "Alerts are synchronised with Microsoft Sentinel"
setting = "Sentinel"
absent = "fail"

[[check]]
id = "mcas-by-query"
query = '$.value[?@.name=="MCAS"].properties.enabled'
expect = true
"#,
    );
    let file = checks.path().join("checks.toml");
    let found = verdicts(&dir, &["--checks-file", file.to_str().unwrap()]);
    assert_eq!(
        found,
        [
            (A.into(), "sentinel-sync".into(), "fail".into()),
            (A.into(), "mcas-by-query".into(), "pass".into()),
            (B.into(), "sentinel-sync".into(), "fail".into()),
            (B.into(), "mcas-by-query".into(), "fail".into()),
            (C.into(), "sentinel-sync".into(), "pass".into()),
            (C.into(), "mcas-by-query".into(), "fail".into()),
        ]
    );
    write(
        checks.path(),
        "bad.toml",
        "[[check]]\nid = \"x\"\nsetting = \n",
    );
    mdc()
        .arg("scan")
        .arg(dir.path())
        .arg("--checks-file")
        .arg(checks.path().join("bad.toml"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("line 3"));
}

#[test]
fn the_benchmark_picks_the_control_id_reports_show() {
    let dir = evidence();
    let report = |args: &[&str]| -> Value {
        let output = mdc()
            .args(["scan", "-q", "--exit-zero", "--format", "json"])
            .args(args)
            .arg(dir.path())
            .output()
            .unwrap();
        serde_json::from_slice(&output.stdout).unwrap()
    };
    assert_eq!(report(&[])["subscriptions"][0]["control"], "8.1.3.3");
    assert_eq!(
        report(&["--benchmark", "cis-azure-2.0.0"])["subscriptions"][0]["control"],
        "2.1.22"
    );
    mdc()
        .arg("scan")
        .arg(dir.path())
        .args(["--benchmark", "cis-azure-9.9.9"])
        .assert()
        .code(2);
    mdc()
        .arg("scan")
        .arg(dir.path())
        .args(["--check", "nope"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("unknown check"));
}

/// A REST list body of one subscription with MCAS and WDATP on.
fn body(sub: &str) -> String {
    rest_list(sub, &[("MCAS", true), ("WDATP", true)])
}

#[test]
fn a_query_reads_the_evidence_inside_wrappers_and_captures() {
    let dir = TempDir::new().unwrap();
    let invoke = serde_json::json!({"StatusCode": 200, "Method": "GET", "Content": body(A)});
    write(dir.path(), "invoke.json", &invoke.to_string());
    let example = serde_json::json!({
        "parameters": {},
        "responses": {"200": {"body": serde_json::from_str::<Value>(&body(B)).unwrap()}}
    });
    write(dir.path(), "example.json", &example.to_string());
    write(
        dir.path(),
        "curl.txt",
        &format!(
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\n{}",
            body(C)
        ),
    );
    let query = [
        "--query",
        "$.value[?@.name==\"MCAS\"].properties.enabled",
        "--expect",
        "true",
    ];
    for (_, check, verdict) in verdicts(&dir, &query) {
        assert_eq!((check.as_str(), verdict.as_str()), ("query", "pass"));
    }
    assert_eq!(verdicts(&dir, &query).len(), 3);
}

#[test]
fn a_query_on_a_depth_truncated_export_decides_nothing_rather_than_absent() {
    let dir = TempDir::new().unwrap();
    let mut list: Value = serde_json::from_str(&body(A)).unwrap();
    for setting in list["value"].as_array_mut().unwrap() {
        setting["properties"] = Value::String("@{enabled=True}".into());
    }
    write(dir.path(), "ps51.json", &list.to_string());
    let found = verdicts(
        &dir,
        &[
            "--query",
            "$.value[?@.name==\"MCAS\"].properties.enabled",
            "--expect",
            "true",
        ],
    );
    assert_eq!(found, [(A.into(), "query".into(), "no_evidence".into())]);
}

#[test]
fn a_query_match_in_a_top_level_array_belongs_to_its_own_setting() {
    let dir = TempDir::new().unwrap();
    let row = |sub: &str, name: &str, enabled: bool| {
        format!(
            "{{\"enabled\": {enabled}, \"id\": \"/subscriptions/{sub}/providers/Microsoft.Security/settings/{name}\", \"name\": \"{name}\"}}"
        )
    };
    let text = format!(
        "[{}, {}, {}, {}]",
        row(A, "MCAS", true),
        row(A, "WDATP", true),
        row(B, "MCAS", false),
        row(B, "WDATP", true)
    );
    write(dir.path(), "az.json", &text);
    let found = verdicts(
        &dir,
        &[
            "--query",
            "$[?@.name==\"MCAS\"].enabled",
            "--expect",
            "true",
        ],
    );
    assert_eq!(
        found,
        [
            (A.into(), "query".into(), "pass".into()),
            (B.into(), "query".into(), "fail".into())
        ]
    );
}

#[test]
fn checks_file_ids_are_unique_and_never_a_built_in_in_another_case() {
    let dir = evidence();
    let files = TempDir::new().unwrap();
    write(
        files.path(),
        "twice.toml",
        "[[check]]\nid = \"mine\"\nsetting = \"MCAS\"\n\n[[check]]\nid = \"Mine\"\nsetting = \"WDATP\"\n",
    );
    write(
        files.path(),
        "case.toml",
        "[[check]]\nid = \"WDATP\"\nsetting = \"WDATP\"\npasses_when = false\n",
    );
    for (file, says) in [("twice.toml", "defined twice"), ("case.toml", "built-in")] {
        mdc()
            .arg("scan")
            .arg(dir.path())
            .arg("--checks-file")
            .arg(files.path().join(file))
            .assert()
            .code(2)
            .stderr(predicates::str::contains(says));
    }
}

#[test]
fn the_checks_command_prints_no_escape_sequences_from_a_checks_file() {
    let files = TempDir::new().unwrap();
    write(
        files.path(),
        "esc.toml",
        "[[check]]\nid = \"esc\"\ntitle = \"\\u001b]0;pwned\\u0007\\u001b[2J title\"\nsetting = \"MCAS\"\n",
    );
    let output = mdc()
        .arg("checks")
        .arg("--checks-file")
        .arg(files.path().join("esc.toml"))
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(!output.stdout.contains(&0x1b), "raw ESC printed");
}
