//! One record giving one setting two values, XML an XML parser rejects, and HAR batches
//! whose requests share a name: each reproduction scanned end to end with the binary.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failure is a panic with its message"
)]

mod common;

use common::{mdc, write};
use tempfile::TempDir;

const S: &str = "11111111-2222-4333-8444-555555555555";
const B: &str = "22222222-3333-4444-8555-666666666666";

fn id(sub: &str) -> String {
    format!("/subscriptions/{sub}/providers/Microsoft.Security/settings/WDATP")
}

/// A REST settings list of `sub` with WDATP's `enabled` set to `enabled`.
fn rl(sub: &str, enabled: bool) -> serde_json::Value {
    serde_json::json!({"value": [{"id": id(sub), "name": "WDATP",
        "type": "Microsoft.Security/settings", "properties": {"enabled": enabled}}]})
}

/// The observation rows (`subscription_id`, outcome, location, detail) of a scan of one
/// file, with the scan's exit code.
fn scan(name: &str, text: &str, args: &[&str]) -> (Vec<[String; 4]>, i32) {
    let dir = TempDir::new().unwrap();
    write(dir.path(), name, text);
    let output = mdc()
        .args(["scan", "--rows", "observations"])
        .args(args)
        .arg(dir.path().join(name))
        .output()
        .unwrap();
    let mut reader = csv::Reader::from_reader(output.stdout.as_slice());
    let headers = reader.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let columns = ["subscription_id", "outcome", "location", "detail"].map(column);
    let rows = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            columns.map(|c| r[c].to_owned())
        })
        .collect();
    (rows, output.status.code().unwrap())
}

/// Asserts that a scan of `text` gives one `malformed` observation whose detail holds
/// every one of `wanted`, and no passing exit code.
fn assert_malformed(name: &str, text: &str, wanted: &[&str]) {
    let (rows, code) = scan(name, text, &[]);
    let [[_, outcome, _, detail]] = rows.as_slice() else {
        panic!("{rows:?}")
    };
    assert_eq!(outcome, "malformed", "{detail}");
    for w in wanted {
        assert!(detail.contains(w), "{w:?} not in {detail}");
    }
    assert_ne!(code, 0);
}

#[test]
fn json_keys_differing_only_in_case_are_malformed() {
    let text = format!(
        r#"[{{"enabled":true,"Enabled":false,"Id":"{}","Name":"WDATP"}}]"#,
        id(S)
    );
    assert_malformed(
        "ps.json",
        &text,
        &[r#"duplicate key: "enabled" (true) and "Enabled" (false)"#],
    );
}

#[test]
fn a_csv_column_named_twice_is_malformed() {
    let text = format!(
        "#TYPE Microsoft.Azure.Commands.Security.Models.Settings.PSSecurityDataExportSetting\r\n\"Name\",\"Enabled\",\"Enabled\",\"Id\"\r\n\"WDATP\",\"True\",\"False\",\"{}\"\r\n",
        id(S)
    );
    assert_malformed(
        "export.csv",
        &text,
        &[r#""Enabled" is "True" at line 3 and "Enabled" is "False" at line 3"#],
    );
}

#[test]
fn a_format_list_property_listed_twice_is_malformed() {
    let text = format!(
        "\nEnabled : True\nId      : {}\nName    : WDATP\nType    : Microsoft.Security/settings\nEnabled : False\n\n",
        id(S)
    );
    assert_malformed(
        "list.txt",
        &text,
        &[r#""Enabled" is "True" at line 2 and "Enabled" is "False" at line 6"#],
    );
}

fn clixml(enabled: &str) -> String {
    format!(
        "<Objs Version=\"1.1.0.1\" xmlns=\"http://schemas.microsoft.com/powershell/2004/04\">\n  <Obj RefId=\"0\">\n    <TN RefId=\"0\">\n      <T>Microsoft.Azure.Commands.Security.Models.Settings.PSSecurityDataExportSetting</T>\n    </TN>\n    <Props>\n      {enabled}\n      <S N=\"Id\">{}</S>\n      <S N=\"Name\">WDATP</S>\n    </Props>\n  </Obj>\n</Objs>\n",
        id(S)
    )
}

#[test]
fn a_clixml_property_written_twice_is_malformed() {
    assert_malformed(
        "settings.xml",
        &clixml(r#"<B N="Enabled">false</B><B N="Enabled">true</B>"#),
        &[r#""Enabled" is "false" at line 7 and "Enabled" is "true" at line 7"#],
    );
}

#[test]
fn clixml_an_xml_parser_rejects_is_malformed() {
    for (enabled, why) in [
        (
            r#"<B N="Enabled">tr&bogus;ue</B>"#,
            "the entity &bogus; is not defined",
        ),
        (r#"<B N="Enabled">true&#0;</B>"#, "&#0; is invalid"),
        (
            r#"<B N="Enabled" N="Enabled">true</B>"#,
            "duplicated attribute",
        ),
    ] {
        assert_malformed("settings.xml", &clixml(enabled), &["invalid CLIXML", why]);
    }
}

fn settings_url(sub: &str) -> String {
    format!(
        "https://management.azure.com/subscriptions/{sub}/providers/Microsoft.Security/settings?api-version=2022-05-01"
    )
}

#[test]
fn a_har_batch_whose_requests_share_a_name_reads_every_response() {
    let requests = serde_json::json!({"requests": [
        {"httpMethod": "GET", "name": "same", "url": settings_url(S)},
        {"httpMethod": "GET", "name": "same", "url": settings_url(B)}
    ]});
    let responses = serde_json::json!({"responses": [
        {"name": "same", "httpStatusCode": 200, "content": rl(S, true)},
        {"name": "same", "httpStatusCode": 200, "content": rl(B, false)}
    ]});
    let har = serde_json::json!({"log": {"entries": [{
        "request": {"method": "POST", "url": "https://management.azure.com/batch?api-version=2020-06-01",
            "postData": {"mimeType": "application/json", "text": requests.to_string()}},
        "response": {"status": 200, "statusText": "",
            "content": {"mimeType": "application/json", "text": responses.to_string()}}
    }]}});
    let (rows, code) = scan("portal.har", &har.to_string(), &[]);
    let seen: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|[sub, outcome, location, _]| (sub.as_str(), outcome.as_str(), location.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            (
                S,
                "enabled",
                "/log/entries/0/response/content/text#/responses/0/content/value/0/properties/enabled"
            ),
            (
                B,
                "disabled",
                "/log/entries/0/response/content/text#/responses/1/content/value/0/properties/enabled"
            ),
        ]
    );
    assert_eq!(code, 1);
}

#[test]
fn a_query_on_a_har_runs_on_its_settings_bodies() {
    let har = serde_json::json!({"log": {"entries": [{
        "request": {"method": "GET", "url": settings_url(S)},
        "response": {"status": 200, "content": {"text": rl(S, true).to_string()}}
    }]}});
    let (rows, code) = scan(
        "portal.har",
        &har.to_string(),
        &[
            "--query",
            r#"$.value[?@.name=="WDATP"].properties.enabled"#,
            "--expect",
            "true",
        ],
    );
    let [[sub, outcome, location, detail]] = rows.as_slice() else {
        panic!("{rows:?}")
    };
    assert_eq!(
        (sub.as_str(), outcome.as_str(), location.as_str()),
        (
            S,
            "enabled",
            "/log/entries/0/response/content/text#/value/0/properties/enabled"
        ),
        "{detail}"
    );
    assert_eq!(code, 0);
}
