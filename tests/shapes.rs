//! Regression tests for the evidence shapes added after the first release: HAR logs, az
//! `--query` arrays, jq `@tsv` rows, curl's progress meter, cut console cells, PowerShell 7
//! error blocks, Excel "Unicode Text", and files that name subscriptions without settings.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failure is a panic with its message"
)]

use mdc_evidence::formats::{Body, Flag, Item, Location, parse};

const SUB: &str = "0d5c3b7a-94e1-4f26-8a3b-c1e0d9f8a7b6";

fn items(text: &str) -> (String, Vec<Item>) {
    let parsed = parse(text);
    match parsed.body {
        Body::Items(items) => (parsed.format.as_str().to_owned(), items),
        other => panic!("{}: {other:?}", parsed.format),
    }
}

fn har(entries: &str) -> String {
    format!(r#"{{"log":{{"version":"1.2","entries":[{entries}]}}}}"#)
}

fn har_entry(url: &str, status: u16, text: &str) -> String {
    format!(
        r#"{{"request":{{"method":"GET","url":{}}},"response":{{"status":{status},"statusText":"","content":{{"mimeType":"application/json","text":{}}}}}}}"#,
        serde_json::to_string(url).unwrap(),
        serde_json::to_string(text).unwrap()
    )
}

#[test]
fn a_har_settings_call_is_read_and_other_requests_are_ignored() {
    let list = format!(
        r#"{{"value":[{{"id":"/subscriptions/{SUB}/providers/Microsoft.Security/settings/WDATP","name":"WDATP","properties":{{"enabled":true}}}}]}}"#
    );
    let text = har(&[
        har_entry("https://portal.azure.com/api/Portal/GetEarlyUserData", 200, "{}"),
        har_entry(
            &format!("https://management.azure.com/subscriptions/{SUB}/providers/Microsoft.Security/settings?api-version=2022-05-01"),
            200,
            &list,
        ),
    ]
    .join(","));
    let (format, items) = items(&text);
    assert_eq!(format, "har");
    let [Item::Settings { settings, .. }] = items.as_slice() else {
        panic!("{items:?}")
    };
    assert_eq!(settings[0].enabled, Flag::Bool(true));
    assert_eq!(
        settings[0].location,
        Location::Pointer(
            "/log/entries/1/response/content/text#/value/0/properties/enabled".into()
        )
    );
}

#[test]
fn a_failed_har_settings_call_is_a_collection_error_for_the_urls_subscription() {
    let text = har(&har_entry(
        &format!(
            "https://management.azure.com/subscriptions/{SUB}/providers/Microsoft.Security/settings?api-version=2022-05-01"
        ),
        403,
        r#"{"error":{"code":"AuthorizationFailed","message":"denied"}}"#,
    ));
    let (_, items) = items(&text);
    let [
        Item::CollectionError {
            summary,
            scope,
            location,
        },
    ] = items.as_slice()
    else {
        panic!("{items:?}")
    };
    assert!(
        summary.contains("403") && summary.contains("AuthorizationFailed"),
        "{summary}"
    );
    assert!(format!("{scope:?}").contains(SUB), "{scope:?}");
    assert_eq!(
        *location,
        Location::Pointer("/log/entries/0/response/status".into())
    );
}

#[test]
fn a_har_without_a_settings_call_says_so() {
    let parsed = parse(&har(&har_entry("https://portal.azure.com/", 200, "<html>")));
    assert_eq!(parsed.format.as_str(), "har");
    match parsed.body {
        Body::Unrecognized(why) => assert!(why.to_string().contains("HAR"), "{why}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_az_query_array_of_one_boolean_is_a_bare_value_not_a_list() {
    for (text, value) in [("[true]", true), ("[\n  false\n]\n", false)] {
        let (format, items) = items(text);
        assert_eq!(format, "azcli-query");
        assert_eq!(
            items,
            [Item::Scalar {
                value: Flag::Bool(value),
                location: Location::Pointer("/0".into())
            }]
        );
    }
    // Two booleans, or one boolean beside something else, stay what they were.
    assert!(matches!(parse("[true, false]").body, Body::Unrecognized(_)));
}

#[test]
fn jq_tsv_rows_are_a_listing_and_az_tsv_is_not_stolen() {
    let (format, items) = items("MCAS\ttrue\nWDATP\tfalse\n");
    assert_eq!(format, "query-tsv");
    assert!(matches!(
        items.as_slice(),
        [Item::Settings { extent: mdc_evidence::formats::Extent::Listing, settings }] if settings.len() == 2
    ));
    let az = format!(
        "True\t/subscriptions/{SUB}/providers/Microsoft.Security/settings/WDATP\tDataExportSettings\tWDATP\tMicrosoft.Security/settings\n"
    );
    assert_eq!(parse(&az).format.as_str(), "azcli-tsv");
    assert_eq!(
        parse("Name\tEnabled\nWDATP\tTrue\n").format.as_str(),
        "excel-text"
    );
}

#[test]
fn an_az_id_enabled_tsv_loop_is_read_with_names_from_the_ids() {
    let text = format!("/subscriptions/{SUB}/providers/Microsoft.Security/settings/WDATP\ttrue\n");
    let (format, items) = items(&text);
    assert_eq!(format, "query-tsv");
    let [Item::Settings { settings, .. }] = items.as_slice() else {
        panic!("{items:?}")
    };
    assert_eq!(settings[0].name, None);
    assert!(
        settings[0]
            .id
            .as_deref()
            .is_some_and(|id| id.ends_with("/WDATP"))
    );
}

#[test]
fn a_cut_id_or_name_is_never_a_name() {
    // Windows PowerShell 5.1 `Out-File -Encoding ascii` writes the console's '…' as '?'.
    let text = "Enabled Id                                  Name  Type\n\
                ------- --                                  ----  ----\n   \
                True /subscriptions/0d5c3b7a-94e1-4f26-8a3b-c1? WDATP Microsoft.Security/s?\n";
    let (_, items) = items(text);
    let [Item::Settings { settings, .. }] = items.as_slice() else {
        panic!("{items:?}")
    };
    assert_eq!(settings[0].id, None);
    assert_eq!(settings[0].name.as_deref(), Some("WDATP"));
    // A listing whose cut rows may hide WDATP never says it is absent, and says why.
    let dir = std::env::temp_dir().join(format!("mdc-shapes-cut-{}", std::process::id()));
    std::fs::create_dir_all(dir.join(SUB)).unwrap();
    std::fs::write(
        dir.join(SUB).join("table.txt"),
        "Name              Enabled\n----              -------\nMCAS                 True\nWDATP_UNIFIED_SO…    True\nSentinel            False\n",
    )
    .unwrap();
    let report = mdc_evidence::run(&mdc_evidence::config::Config::new(vec![dir.clone()])).unwrap();
    let (_, _, observation) = report.observations().next().unwrap();
    assert_eq!(observation.outcome.as_str(), "malformed");
    assert!(observation.detail.contains("cut"), "{}", observation.detail);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn files_naming_subscriptions_without_settings_say_so() {
    let dir = std::env::temp_dir().join(format!("mdc-shapes-ids-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("terraform.tfstate"),
        format!(
            r#"{{"version":4,"terraform_version":"1.9.5","resources":[{{"type":"azurerm_security_center_setting","instances":[{{"attributes":{{"id":"/subscriptions/{SUB}/providers/Microsoft.Security/settings/WDATP","setting_name":"WDATP","enabled":true}}}}]}}]}}"#
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("ids.txt"),
        format!("/subscriptions/{SUB}/providers/Microsoft.Security/pricings/VirtualMachines\n"),
    )
    .unwrap();
    let report = mdc_evidence::run(&mdc_evidence::config::Config::new(vec![dir.clone()])).unwrap();
    let details: Vec<String> = report
        .observations()
        .map(|(_, _, o)| o.detail.clone())
        .collect();
    assert_eq!(details.len(), 2);
    for detail in details {
        assert!(
            !detail.contains("neither the content nor the path"),
            "{detail}"
        );
        assert!(detail.contains(SUB), "{detail}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}
