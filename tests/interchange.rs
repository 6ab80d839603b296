//! The interchange reports (OCSF, OSCAL) of the fixtures against the official schemas
//! vendored in `tests/schemas/` (test data only: nothing is fetched), and their stability:
//! the same evidence gives the same bytes and the same ids, whatever the thread count.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failure is a panic with its message"
)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use common::{EPOCH, fixtures_copy, mdc, root};
use serde_json::Value;

fn schema(relative: &str) -> Value {
    let text = std::fs::read_to_string(root().join("tests/schemas").join(relative)).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// A draft-07 validator that checks formats too (`date-time`, `uri-reference`).
fn validator(schema: &Value) -> jsonschema::Validator {
    jsonschema::draft7::options()
        .should_validate_formats(true)
        .build(schema)
        .unwrap()
}

fn errors(validator: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// Scans `dir/fixtures` with `args`, writing `report` there; returns its bytes.
fn scan(dir: &Path, report: &str, args: &[&str]) -> Vec<u8> {
    let out = dir.join(report);
    mdc()
        .current_dir(dir)
        .args(["scan", "fixtures", "--exit-zero", "-o"])
        .arg(&out)
        .args(args)
        .assert()
        .success();
    std::fs::read(out).unwrap()
}

fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap()
}

#[test]
fn every_ocsf_finding_of_the_fixtures_validates_against_the_compliance_finding_schema() {
    let validator = validator(&schema("ocsf/compliance_finding-1.8.0.schema.json"));
    let dir = fixtures_copy();
    for args in [&[][..], &["--check", "all"][..]] {
        let findings = json(&scan(dir.path(), "r.ocsf.json", args));
        let findings = findings.as_array().unwrap();
        assert!(findings.len() > 50, "{} findings", findings.len());
        for finding in findings {
            let errors = errors(&validator, finding);
            assert!(errors.is_empty(), "{errors:#?}\nin {finding:#}");
        }
    }
}

#[test]
fn the_ocsf_schema_rejects_what_a_finding_must_not_be() {
    // The vendored schema is strict enough to fail: a wrong class, a missing required
    // attribute, an unknown attribute.
    let validator = validator(&schema("ocsf/compliance_finding-1.8.0.schema.json"));
    let dir = fixtures_copy();
    let findings = json(&scan(dir.path(), "r.ocsf.json", &[]));
    let good = findings[0].clone();
    assert!(validator.is_valid(&good));
    let mut wrong_class = good.clone();
    wrong_class["class_uid"] = 2004.into();
    let mut no_compliance = good.clone();
    no_compliance.as_object_mut().unwrap().remove("compliance");
    let mut unknown = good.clone();
    unknown["compliance"]["verdict"] = "pass".into();
    let mut bad_status = good;
    bad_status["compliance"]["status_id"] = 7.into();
    for bad in [wrong_class, no_compliance, unknown, bad_status] {
        assert!(!validator.is_valid(&bad), "{bad:#}");
    }
}

#[test]
fn ocsf_findings_carry_the_verdict_the_control_and_the_evidence() {
    let dir = fixtures_copy();
    let report = json(&scan(dir.path(), "r.json", &[]));
    let findings = json(&scan(dir.path(), "r.ocsf.json", &[]));
    let findings = findings.as_array().unwrap();
    let subscriptions = report["subscriptions"].as_array().unwrap();
    assert_eq!(findings.len(), subscriptions.len());
    let sha256: BTreeMap<&str, &str> = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| Some((f["path"].as_str()?, f["sha256"].as_str()?)))
        .collect();
    let mut seen = BTreeSet::new();
    for (finding, row) in findings.iter().zip(subscriptions) {
        assert_eq!(finding["class_uid"], 2003);
        assert_eq!(finding["category_uid"], 2);
        assert_eq!(finding["type_uid"], 200_301);
        assert_eq!(finding["activity_id"], 1);
        assert_eq!(finding["metadata"]["version"], "1.8.0");
        assert_eq!(finding["time"], 1_764_288_000_000_i64, "{}", EPOCH.1);
        assert_eq!(finding["cloud"]["provider"], "Azure");
        assert_eq!(finding["cloud"]["account"]["uid"], row["subscription_id"]);
        assert_eq!(finding["unmapped"]["check"], row["check"]);
        let status = match row["verdict"].as_str().unwrap() {
            "pass" => 1,
            "fail" => 3,
            "no_evidence" | "conflict" => 2,
            other => panic!("verdict {other}"),
        };
        assert_eq!(finding["compliance"]["status_id"], status, "{row:#}");
        assert_eq!(finding["compliance"]["status_detail"], row["reason"]);
        assert_eq!(finding["compliance"]["control"], row["control"]);
        let evidences = finding["evidences"].as_array().map_or(&[][..], |e| e);
        let paths: Vec<&Value> = evidences.iter().map(|e| &e["file"]["path"]).collect();
        let expected: Vec<&Value> = row["observations"].as_array().unwrap().iter().collect();
        assert_eq!(paths, expected);
        for evidence in evidences {
            let path = evidence["file"]["path"].as_str().unwrap();
            assert_eq!(evidence["file"]["hashes"][0]["algorithm_id"], 3);
            assert_eq!(evidence["file"]["hashes"][0]["value"], sha256[path]);
        }
        assert!(seen.insert(finding["finding_info"]["uid"].as_str().unwrap().to_owned()));
    }
    let verdicts: BTreeSet<&str> = subscriptions
        .iter()
        .filter_map(|s| s["verdict"].as_str())
        .collect();
    assert_eq!(
        verdicts,
        BTreeSet::from(["conflict", "fail", "no_evidence", "pass"]),
        "the fixtures cover every verdict"
    );
}

#[test]
fn the_oscal_document_of_the_fixtures_validates_against_the_assessment_results_schema() {
    let validator = validator(&schema("oscal/oscal_assessment-results_schema.json"));
    let dir = fixtures_copy();
    for args in [
        &[][..],
        &["--check", "all"][..],
        &["--benchmark", "cis-azure-2.0.0"][..],
    ] {
        let document = json(&scan(dir.path(), "r.oscal.json", args));
        let errors = errors(&validator, &document);
        assert!(errors.is_empty(), "{args:?}: {errors:#?}");
    }
}

#[test]
fn the_oscal_schema_rejects_what_the_document_must_not_be() {
    let validator = validator(&schema("oscal/oscal_assessment-results_schema.json"));
    let dir = fixtures_copy();
    let good = json(&scan(dir.path(), "r.oscal.json", &[]));
    assert!(validator.is_valid(&good));
    let result = "/assessment-results/results/0";
    let mut bad_state = good.clone();
    bad_state
        .pointer_mut(&format!("{result}/findings/0/target/status/state"))
        .map(|v| *v = "passed".into())
        .unwrap();
    let mut no_import = good.clone();
    no_import["assessment-results"]
        .as_object_mut()
        .unwrap()
        .remove("import-ap");
    let mut bad_uuid = good.clone();
    bad_uuid["assessment-results"]["uuid"] = "not-a-uuid".into();
    // Formats are checked too: a space is not allowed in a URI reference.
    let mut bad_href = good.clone();
    bad_href["assessment-results"]["back-matter"]["resources"][1]["rlinks"][0]["href"] =
        "evidence/a b.json".into();
    let mut bad_token = good;
    bad_token
        .pointer_mut(&format!("{result}/findings/0/target/target-id"))
        .map(|v| *v = "8.1.3.3".into())
        .unwrap();
    for bad in [bad_state, no_import, bad_uuid, bad_href, bad_token] {
        assert!(!validator.is_valid(&bad));
    }
}

#[test]
fn oscal_links_observations_findings_and_hashed_evidence() {
    let dir = fixtures_copy();
    let report = json(&scan(dir.path(), "r.json", &[]));
    let document = json(&scan(dir.path(), "r.oscal.json", &[]));
    let ar = &document["assessment-results"];
    assert_eq!(ar["metadata"]["oscal-version"], "1.2.1");
    assert_eq!(ar["metadata"]["last-modified"], EPOCH.1);
    let result = &ar["results"][0];
    assert_eq!(result["start"], EPOCH.1);
    let observations = result["observations"].as_array().unwrap();
    assert_eq!(
        observations.len(),
        report["observations"].as_array().unwrap().len()
    );
    let resources: BTreeMap<String, &Value> = ar["back-matter"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (format!("#{}", r["uuid"].as_str().unwrap()), r))
        .collect();
    assert!(resources.contains_key(ar["import-ap"]["href"].as_str().unwrap()));
    for (observation, row) in observations
        .iter()
        .zip(report["observations"].as_array().unwrap())
    {
        assert_eq!(observation["methods"], serde_json::json!(["TEST"]));
        let resource = resources[observation["relevant-evidence"][0]["href"]
            .as_str()
            .unwrap()];
        assert_eq!(resource["rlinks"][0]["hashes"][0]["algorithm"], "SHA-256");
        assert_eq!(resource["rlinks"][0]["hashes"][0]["value"], row["sha256"]);
        let collected = row["collected_at"].as_str().unwrap_or(EPOCH.1);
        assert_eq!(observation["collected"], collected);
    }
    let uuids: BTreeSet<&str> = observations
        .iter()
        .map(|o| o["uuid"].as_str().unwrap())
        .collect();
    assert_eq!(
        uuids.len(),
        observations.len(),
        "observation UUIDs are unique"
    );
    let findings = result["findings"].as_array().unwrap();
    let subscriptions = report["subscriptions"].as_array().unwrap();
    assert_eq!(findings.len(), subscriptions.len());
    for (finding, row) in findings.iter().zip(subscriptions) {
        let state = if row["verdict"] == "pass" {
            "satisfied"
        } else {
            "not-satisfied"
        };
        assert_eq!(finding["target"]["status"]["state"], state, "{row:#}");
        assert_eq!(finding["target"]["type"], "objective-id");
        let control = row["control"].as_str().unwrap();
        assert!(
            finding["target"]["target-id"]
                .as_str()
                .unwrap()
                .ends_with(&format!("_{control}")),
            "{finding:#}"
        );
        if matches!(row["verdict"].as_str(), Some("no_evidence" | "conflict")) {
            assert!(finding["target"]["status"]["remarks"].is_string());
        }
        for related in finding["related-observations"]
            .as_array()
            .map_or(&[][..], |r| r)
        {
            assert!(uuids.contains(related["observation-uuid"].as_str().unwrap()));
        }
    }
}

#[test]
fn interchange_reports_are_byte_identical_across_runs_and_thread_counts() {
    let dir = fixtures_copy();
    for report in ["r.ocsf.json", "r.oscal.json"] {
        let one = scan(dir.path(), report, &["--threads", "1"]);
        let again = scan(dir.path(), report, &["--threads", "1"]);
        let four = scan(dir.path(), report, &["--threads", "4"]);
        assert!(!one.is_empty());
        assert_eq!(one, again, "{report} differs between two runs");
        assert_eq!(one, four, "{report} differs between --threads 1 and 4");
    }
}

#[test]
fn finding_ids_stay_when_the_evidence_around_them_changes() {
    // The same subscription and check keep their finding uid when other files come and go.
    let dir = fixtures_copy();
    let uids = |bytes: &[u8]| -> BTreeMap<(String, String), String> {
        json(bytes)
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    (
                        f["cloud"]["account"]["uid"].as_str().unwrap().to_owned(),
                        f["unmapped"]["check"].as_str().unwrap().to_owned(),
                    ),
                    f["finding_info"]["uid"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let all = uids(&scan(dir.path(), "r.ocsf.json", &[]));
    let some = uids(&scan(
        dir.path(),
        "r.ocsf.json",
        &["--exclude", "**/rest-list/**"],
    ));
    assert!(some.len() < all.len());
    for (key, uid) in &some {
        if let Some(before) = all.get(key) {
            assert_eq!(before, uid, "{key:?}");
        }
    }
}

#[test]
fn format_names_and_extensions_pick_the_interchange_writers() {
    let dir = fixtures_copy();
    let ocsf = mdc()
        .current_dir(dir.path())
        .args(["scan", "fixtures", "--exit-zero", "--format", "ocsf"])
        .output()
        .unwrap()
        .stdout;
    assert_eq!(ocsf, scan(dir.path(), "x.OCSF.JSON", &[]));
    let oscal = mdc()
        .current_dir(dir.path())
        .args(["scan", "fixtures", "--exit-zero", "--format", "oscal"])
        .output()
        .unwrap()
        .stdout;
    // The same document, but for the command line its result describes.
    let without_command_line = |bytes: &[u8]| {
        let mut document = json(bytes);
        let result = &mut document["assessment-results"]["results"][0];
        assert!(
            result["description"]
                .as_str()
                .unwrap()
                .contains("Command line: `")
        );
        result["description"] = Value::Null;
        document
    };
    assert_eq!(
        without_command_line(&oscal),
        without_command_line(&scan(dir.path(), "x.oscal.json", &[]))
    );
    // A plain .json is still the JSON report.
    assert!(json(&scan(dir.path(), "x.json", &[]))["schema_version"].is_number());
}

#[test]
fn earlier_interchange_reports_under_a_root_are_not_read_as_evidence() {
    let dir = fixtures_copy();
    let fixtures = dir.path().join("fixtures");
    scan(dir.path(), "fixtures/old.ocsf.json", &[]);
    scan(dir.path(), "fixtures/old.oscal.json", &[]);
    let report = json(&scan(dir.path(), "r.json", &[]));
    for name in ["old.ocsf.json", "old.oscal.json"] {
        let path = format!("fixtures/{name}");
        let file = report["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == path.as_str())
            .unwrap_or_else(|| panic!("{path} not listed"));
        assert_eq!(file["status"], "skipped", "{file:#}");
        assert!(fixtures.join(name).is_file());
    }
}

// Unix only: the names hold characters Windows forbids in a file name (control
// characters, `|`, `<`, `>`, `"`); tests/windows.rs has the names Windows allows.
#[cfg(unix)]
#[test]
fn hostile_file_names_and_user_controls_still_validate() {
    // A file name with a line break, spaces, a colon, `%` and markup; a user check whose
    // control id is no OSCAL token.
    let dir = tempfile::TempDir::new().unwrap();
    let sub = "6f1c9d3e-2b4a-4c8e-9f0a-1b2c3d4e5f60";
    common::write(
        dir.path(),
        &format!("evidence/{sub}/we:ird\n <img src=x onerror=alert(1)> 100%.json"),
        &common::settings_list(sub, "false"),
    );
    common::write(
        dir.path(),
        "checks.toml",
        "[[check]]\nid = \"9-mcas\"\nsetting = \"MCAS\"\n\n[check.controls]\n\"cis-azure-2.0.0\" = \"2.1 21 (a)\"\n",
    );
    let ocsf_validator = validator(&schema("ocsf/compliance_finding-1.8.0.schema.json"));
    let oscal_validator = validator(&schema("oscal/oscal_assessment-results_schema.json"));
    for args in [&[][..], &["--checks-file", "checks.toml"][..]] {
        for (report, validator) in [
            ("r.ocsf.json", &ocsf_validator),
            ("r.oscal.json", &oscal_validator),
        ] {
            let out = dir.path().join(report);
            mdc()
                .current_dir(dir.path())
                .args(["scan", "evidence", "--exit-zero", "-o"])
                .arg(&out)
                .args(args)
                .assert()
                .success();
            let value = json(&std::fs::read(&out).unwrap());
            let instances: Vec<&Value> = match value.as_array() {
                Some(findings) => findings.iter().collect(),
                None => vec![&value],
            };
            assert!(!instances.is_empty());
            for instance in instances {
                let errors = errors(validator, instance);
                assert!(errors.is_empty(), "{report} {args:?}: {errors:#?}");
            }
        }
    }
}

#[test]
fn findings_with_an_exception_still_validate() {
    let ocsf = validator(&schema("ocsf/compliance_finding-1.8.0.schema.json"));
    let oscal = validator(&schema("oscal/oscal_assessment-results_schema.json"));
    let dir = tempfile::TempDir::new().unwrap();
    let failing = "8b8b8b8b-8888-4888-8888-888888888888";
    common::write(
        dir.path(),
        "ev/b.json",
        &common::settings_list(failing, "false"),
    );
    common::write(
        dir.path(),
        "exceptions.csv",
        &format!(
            "subscription_id,check,justification,approved_by,expires,ticket\n\
             {failing},wdatp,\"Vendor EDR; <b>approved</b>\",\"J. Doe\",2026-03-31,RISK-1\n"
        ),
    );
    mdc()
        .current_dir(dir.path())
        .args(["scan", "ev", "--exceptions", "exceptions.csv"])
        .args(["-o", "r.ocsf.json", "-o", "r.oscal.json"])
        .assert()
        .code(0);
    let findings = json(&std::fs::read(dir.path().join("r.ocsf.json")).unwrap());
    for finding in findings.as_array().unwrap() {
        let errors = errors(&ocsf, finding);
        assert!(errors.is_empty(), "{errors:#?}");
        assert!(
            finding["comment"]
                .as_str()
                .unwrap()
                .starts_with("exception accepted")
        );
    }
    let document = json(&std::fs::read(dir.path().join("r.oscal.json")).unwrap());
    let errors = errors(&oscal, &document);
    assert!(errors.is_empty(), "{errors:#?}");
}
