use super::*;
use crate::formats::Flag;

const SUB: &str = "3f6c2a1e-8b4d-4c7a-9e2f-5d1b7a9c0e41";

fn setting(name: &str, enabled: &str) -> String {
    format!(
        r#"{{"id":"/subscriptions/{SUB}/providers/Microsoft.Security/settings/{name}","name":"{name}","type":"Microsoft.Security/settings","kind":"DataExportSettings","properties":{{"enabled":{enabled}}}}}"#
    )
}

fn settings_of(parsed: &Parsed) -> (Extent, Vec<Setting>) {
    match &parsed.body {
        Body::Items(items) => match items.as_slice() {
            [Item::Settings { extent, settings }] => (*extent, settings.clone()),
            other => panic!("not one batch of settings: {other:?}"),
        },
        other => panic!("no items: {other:?}"),
    }
}

#[test]
fn compact_list_gives_settings_with_pointers() {
    let text = format!(
        r#"{{"value":[{},{}]}}"#,
        setting("MCAS", "true"),
        setting("WDATP", "false")
    );
    let parsed = parse_document(&text);
    assert_eq!(parsed.format, REST_LIST);
    let (extent, settings) = settings_of(&parsed);
    assert_eq!(extent, Extent::Complete);
    assert_eq!(settings[1].name.as_deref(), Some("WDATP"));
    assert_eq!(settings[1].enabled, Flag::Bool(false));
    assert_eq!(
        settings[1].location,
        Location::Pointer("/value/1/properties/enabled".into())
    );
}

#[test]
fn a_page_with_next_link_is_not_complete() {
    let text = format!(
        r#"{{"value":[{}],"nextLink":"https://management.azure.com/x?$skipToken=1"}}"#,
        setting("MCAS", "true")
    );
    assert_eq!(settings_of(&parse_document(&text)).0, Extent::Page);
    let text = format!(
        r#"{{"value":[{}],"nextLink":null}}"#,
        setting("MCAS", "true")
    );
    assert_eq!(settings_of(&parse_document(&text)).0, Extent::Complete);
}

#[test]
fn wrong_types_are_recorded_not_fatal() {
    let text = format!(
        r#"{{"value":[{},{}]}}"#,
        setting("WDATP", "null"),
        setting("MCAS", r#"{"a":[1]}"#)
    );
    let (_, settings) = settings_of(&parse_document(&text));
    assert_eq!(settings[0].enabled, Flag::Null);
    assert_eq!(settings[1].enabled, Flag::Other("an object"));
    let text = r#"{"value":"nope"}"#;
    assert!(matches!(parse_document(text).body, Body::Unrecognized(_)));
}

#[test]
fn truncated_json_is_malformed_with_its_position() {
    let parsed = parse_document(r#"{"value":[{"id":"/subscriptions/x","#);
    assert_eq!(parsed.format, Format::JSON);
    match parsed.body {
        Body::Malformed(why) => assert!(matches!(why, Reason::TruncatedJson { .. }), "{why}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn duplicate_keys_are_malformed() {
    let parsed = parse_document(r#"{"name":"WDATP","enabled":true,"enabled":false}"#);
    assert!(
        matches!(parsed.body, Body::Malformed(Reason::InvalidJson(ref why)) if why.contains("duplicate")),
        "{parsed:?}"
    );
}

#[test]
fn other_resource_lists_are_not_settings() {
    let text = r#"{"value":[{"id":"/subscriptions/x/providers/Microsoft.Security/pricings/VirtualMachines","name":"VirtualMachines","type":"Microsoft.Security/pricings","properties":{"pricingTier":"Standard"}}]}"#;
    match parse_document(text).body {
        Body::Unrecognized(why) => {
            assert_eq!(
                why,
                Reason::ForeignList("Microsoft.Security/pricings".into())
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn key_styles_name_the_exporter() {
    let ps = r#"[{"Enabled": true, "Id": "/subscriptions/x/providers/Microsoft.Security/settings/WDATP", "Name": "WDATP", "Type": "Microsoft.Security/settings"}]"#;
    let parsed = parse_document(ps);
    assert_eq!(parsed.format, POWERSHELL_JSON);
    assert_eq!(
        settings_of(&parsed).1[0].location,
        Location::Pointer("/0/Enabled".into())
    );
    let az = r#"{"enabled": false, "id": "/subscriptions/x/providers/Microsoft.Security/settings/WDATP", "kind": "DataExportSettings", "name": "WDATP", "type": "Microsoft.Security/settings"}"#;
    let parsed = parse_document(az);
    assert_eq!(parsed.format, AZCLI_JSON);
    assert_eq!(settings_of(&parsed).0, Extent::Single);
}

#[test]
fn jq_stream_of_settings_is_one_listing() {
    let text = format!(
        "{}\n{}\n",
        setting("MCAS", "true"),
        setting("Sentinel", "false")
    );
    let parsed = parse_document(&text);
    assert_eq!(parsed.format, JSON_STREAM);
    let (extent, settings) = settings_of(&parsed);
    assert_eq!(extent, Extent::Listing);
    assert_eq!(
        settings[1].location,
        Location::Pointer("/1/properties/enabled".into())
    );
}

#[test]
fn appended_az_show_objects_are_single_results_not_a_list() {
    let show = |name: &str| {
        format!(
            r#"{{"enabled": true, "id": "/subscriptions/{SUB}/providers/Microsoft.Security/settings/{name}", "name": "{name}"}}"#
        )
    };
    let parsed = parse_document(&format!("{}\n{}\n", show("MCAS"), show("Sentinel")));
    let Body::Items(items) = parsed.body else {
        panic!("{parsed:?}")
    };
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|item| matches!(
        item,
        Item::Settings {
            extent: Extent::Single,
            settings
        } if settings.len() == 1
    )));
}

#[test]
fn resources_with_properties_but_no_enabled_are_not_settings() {
    let text = r#"{"value":[{"name":"Widget","properties":{"colour":"blue"}},{"name":"Gadget","properties":{}}]}"#;
    assert!(
        matches!(parse_document(text).body, Body::Unrecognized(_)),
        "{:?}",
        parse_document(text)
    );
}

#[test]
fn depth_truncated_properties_are_recovered() {
    let text = r#"{"value": [{"id": "/subscriptions/x/providers/Microsoft.Security/settings/WDATP", "name": "WDATP", "properties": "@{enabled=True}"}]}"#;
    let (_, settings) = settings_of(&parse_document(text));
    assert_eq!(settings[0].enabled, Flag::Text("True".into()));
    assert_eq!(
        settings[0].location,
        Location::Pointer("/value/0/properties".into())
    );
    assert!(settings[0].recovered.is_some());
}

#[test]
fn arm_error_names_its_scope() {
    let text = format!(
        r#"{{"error":{{"code":"AuthorizationFailed","message":"The client 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee' cannot read over scope '/subscriptions/{SUB}/providers/Microsoft.Security'"}}}}"#
    );
    let parsed = parse_document(&text);
    assert_eq!(parsed.format, ARM_ERROR);
    match &parsed.body {
        Body::Items(items) => match items.as_slice() {
            [
                Item::CollectionError {
                    scope: IdScope::Subscription(sub),
                    ..
                },
            ] => {
                assert_eq!(sub.as_str(), SUB);
            }
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
}

#[test]
fn json_that_is_no_evidence_then_error_text_gives_the_errors() {
    let text = "{\"value\":[]}\nERROR: (AuthorizationFailed) x over scope /subscriptions/11111111-2222-4333-8444-555555555555\n";
    let parsed = crate::formats::parse(text);
    assert_eq!(parsed.format, crate::formats::error_text::AZCLI_ERROR);
    let Body::Items(items) = parsed.body else {
        panic!("{:?}", parsed.body);
    };
    assert!(
        matches!(
            items.as_slice(),
            [Item::CollectionError {
                scope: IdScope::Subscription(_),
                location: Location::Line(2),
                ..
            }]
        ),
        "{items:?}"
    );
    // Text that is not an error record after it still makes it malformed.
    let parsed = crate::formats::parse("{\"value\":[]}\nsome notes\n");
    assert!(
        matches!(parsed.body, Body::Malformed(_)),
        "{:?}",
        parsed.body
    );
}
