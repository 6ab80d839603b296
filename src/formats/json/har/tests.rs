use super::*;

#[test]
fn the_settings_call_is_the_list_or_one_setting() {
    let base = "https://management.azure.com/subscriptions/6b1f0c2d-3e4a-4b5c-8d6e-7f8091a2b3c4/providers/Microsoft.Security/settings";
    assert!(is_settings_call(&format!("{base}?api-version=2022-05-01")));
    assert!(is_settings_call(&format!(
        "{base}/WDATP?api-version=2022-05-01"
    )));
    assert!(!is_settings_call(&format!("{base}/WDATP/extra")));
    assert!(!is_settings_call(
        "https://management.azure.com/subscriptions/x/providers/Microsoft.Security/pricings?api-version=2024-01-01"
    ));
    assert!(!is_settings_call(
        "https://management.azure.com/subscriptions/x/providers/Microsoft.Security/settingsX"
    ));
}

const A: &str = "6b1f0c2d-3e4a-4b5c-8d6e-7f8091a2b3c4";
const B: &str = "2c7d9e1f-4a5b-4c6d-9e8f-0a1b2c3d4e5f";

fn settings_url(sub: &str) -> String {
    format!(
        "https://management.azure.com/subscriptions/{sub}/providers/Microsoft.Security/settings?api-version=2022-05-01"
    )
}

fn list(sub: &str, wdatp: bool) -> serde_json::Value {
    let setting = |name: &str, enabled: bool| {
        serde_json::json!({
            "id": format!("/subscriptions/{sub}/providers/Microsoft.Security/settings/{name}"),
            "name": name,
            "type": "Microsoft.Security/settings",
            "kind": "DataExportSettings",
            "properties": {"enabled": enabled}
        })
    };
    serde_json::json!({"value": [setting("MCAS", true), setting("WDATP", wdatp)]})
}

/// A HAR log of one entry: a POST to the batch endpoint with `requests`, answered with
/// `responses`.
fn batch_har(requests: &serde_json::Value, responses: &serde_json::Value) -> String {
    serde_json::json!({"log": {"entries": [{
        "request": {
            "method": "POST",
            "url": "https://management.azure.com/batch?api-version=2020-06-01",
            "postData": {"mimeType": "application/json", "text": requests.to_string()}
        },
        "response": {
            "status": 200,
            "statusText": "",
            "content": {"mimeType": "application/json", "text": responses.to_string()}
        }
    }]}})
    .to_string()
}

fn items(text: &str) -> Vec<Item> {
    match super::super::parse_document(text).body {
        Body::Items(items) => items,
        other => panic!("{other:?}"),
    }
}

#[test]
fn batches_and_their_settings_requests_are_recognised() {
    assert!(is_batch_call(
        "https://management.azure.com/batch?api-version=2020-06-01"
    ));
    assert!(is_batch_call("https://management.azure.com/Batch/"));
    assert!(!is_batch_call(
        "https://management.azure.com/subscriptions/x/batch2"
    ));
    assert!(!is_batch_call("https://management.azure.com/batch/x"));
    assert!(!is_batch_call("batch"));
}

#[test]
fn a_batch_response_is_read_per_request_by_position() {
    let requests = serde_json::json!({"requests": [
        {"httpMethod": "GET", "url": settings_url(A)},
        {"httpMethod": "GET", "url": "https://management.azure.com/subscriptions/x/providers/Microsoft.Security/pricings?api-version=2024-01-01"},
        {"httpMethod": "GET", "url": settings_url(B)}
    ]});
    let responses = serde_json::json!({"responses": [
        {"httpStatusCode": 200, "content": list(A, true)},
        {"httpStatusCode": 200, "content": {"value": []}},
        {"httpStatusCode": 200, "content": list(B, false)}
    ]});
    let items = items(&batch_har(&requests, &responses));
    let [
        Item::Settings {
            extent,
            settings: a,
        },
        Item::Settings { settings: b, .. },
    ] = items.as_slice()
    else {
        panic!("{items:?}")
    };
    assert_eq!(*extent, crate::formats::Extent::Complete);
    assert_eq!(
        a[1].location,
        Location::Pointer(
            "/log/entries/0/response/content/text#/responses/0/content/value/1/properties/enabled"
                .into()
        )
    );
    assert_eq!(a[1].subscription.as_deref(), Some(A));
    assert_eq!(b[1].enabled, crate::formats::Flag::Bool(false));
    assert_eq!(
        b[1].location,
        Location::Pointer(
            "/log/entries/0/response/content/text#/responses/2/content/value/1/properties/enabled"
                .into()
        )
    );
    assert_eq!(b[1].subscription.as_deref(), Some(B));
}

#[test]
fn a_batch_response_is_matched_by_name_and_failures_are_scoped_to_the_request() {
    let requests = serde_json::json!({"requests": [
        {"httpMethod": "GET", "name": "n-a", "url": settings_url(A)},
        {"httpMethod": "GET", "name": "n-b", "url": settings_url(B)}
    ]});
    let responses = serde_json::json!({"responses": [
        {"name": "n-b", "httpStatusCode": 403, "content": {"error": {
            "code": "AuthorizationFailed", "message": "The client 'x' does not have authorization"}}},
        {"name": "n-a", "httpStatusCode": 200, "content": list(A, true)}
    ]});
    let items = items(&batch_har(&requests, &responses));
    let [
        Item::Settings { settings, .. },
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
        settings[1]
            .location
            .to_string()
            .contains("#/responses/1/content/")
    );
    assert!(summary.contains("AuthorizationFailed"), "{summary}");
    assert_eq!(
        *scope,
        IdScope::Subscription(crate::subscription::SubscriptionId::parse(B).unwrap())
    );
    assert_eq!(
        *location,
        Location::Pointer(
            "/log/entries/0/response/content/text#/responses/0/httpStatusCode".into()
        )
    );
}

#[test]
fn requests_sharing_a_name_are_matched_by_position() {
    let requests = serde_json::json!({"requests": [
        {"httpMethod": "GET", "name": "same", "url": settings_url(A)},
        {"httpMethod": "GET", "name": "same", "url": settings_url(B)}
    ]});
    let responses = serde_json::json!({"responses": [
        {"name": "same", "httpStatusCode": 200, "content": list(A, true)},
        {"name": "same", "httpStatusCode": 200, "content": list(B, false)}
    ]});
    let found = items(&batch_har(&requests, &responses));
    let [
        Item::Settings { settings: a, .. },
        Item::Settings { settings: b, .. },
    ] = found.as_slice()
    else {
        panic!("{found:?}")
    };
    assert_eq!(a[1].subscription.as_deref(), Some(A));
    assert_eq!(b[1].subscription.as_deref(), Some(B));
    assert_eq!(b[1].enabled, crate::formats::Flag::Bool(false));
    assert!(
        b[1].location.to_string().contains("#/responses/1/content/"),
        "{}",
        b[1].location
    );
    // A name another request of the batch (not a settings one) shares is no match
    // either.
    let requests = serde_json::json!({"requests": [
        {"name": "x", "url": "https://management.azure.com/subscriptions/x/providers/Microsoft.Security/pricings"},
        {"name": "x", "url": settings_url(B)}
    ]});
    let responses = serde_json::json!({"responses": [
        {"name": "x", "httpStatusCode": 200, "content": list(A, true)},
        {"name": "x", "httpStatusCode": 200, "content": list(B, false)}
    ]});
    let found = items(&batch_har(&requests, &responses));
    let [Item::Settings { settings, .. }] = found.as_slice() else {
        panic!("{found:?}")
    };
    assert_eq!(settings[1].enabled, crate::formats::Flag::Bool(false));
}

#[test]
fn a_response_answering_two_requests_is_ambiguous_and_reported_for_the_second() {
    let requests = serde_json::json!({"requests": [
        {"name": "x", "url": settings_url(A)},
        {"url": settings_url(B)}
    ]});
    let responses = serde_json::json!({"responses": [
        {"name": "y", "httpStatusCode": 200, "content": {"value": []}},
        {"name": "x", "httpStatusCode": 200, "content": list(A, true)}
    ]});
    let found = items(&batch_har(&requests, &responses));
    let [
        Item::Settings { settings, .. },
        Item::CollectionError { summary, scope, .. },
    ] = found.as_slice()
    else {
        panic!("{found:?}")
    };
    assert_eq!(settings[1].subscription.as_deref(), Some(A));
    assert!(
        summary.contains("answers both its settings requests 0 and 1"),
        "{summary}"
    );
    assert_eq!(
        *scope,
        IdScope::Subscription(crate::subscription::SubscriptionId::parse(B).unwrap())
    );
}

#[test]
fn an_unreadable_response_beside_evidence_is_a_collection_error_for_its_subscription() {
    let requests = serde_json::json!({"requests": [
        {"url": settings_url(A)},
        {"url": settings_url(B)}
    ]});
    let responses = serde_json::json!({"responses": [
        {"httpStatusCode": 200, "content": list(A, true)}
    ]});
    let found = items(&batch_har(&requests, &responses));
    let [
        Item::Settings { .. },
        Item::CollectionError {
            summary,
            scope,
            location,
        },
    ] = found.as_slice()
    else {
        panic!("{found:?}")
    };
    assert!(
        summary.contains("without a response for its settings request 1"),
        "{summary}"
    );
    assert_eq!(
        *scope,
        IdScope::Subscription(crate::subscription::SubscriptionId::parse(B).unwrap())
    );
    assert_eq!(
        *location,
        Location::Pointer("/log/entries/0/response/content/text".into())
    );
}

#[test]
fn a_batch_without_the_response_of_its_settings_request_says_so() {
    let requests = serde_json::json!({"requests": [{"url": settings_url(A)}]});
    let responses = serde_json::json!({"responses": []});
    let parsed = super::super::parse_document(&batch_har(&requests, &responses));
    let Body::Malformed(why) = parsed.body else {
        panic!("{parsed:?}")
    };
    assert!(
        why.to_string()
            .contains("without a response for its settings request 0"),
        "{why}"
    );
}

#[test]
fn a_failed_batch_fails_each_settings_request_it_carried() {
    let requests =
        serde_json::json!({"requests": [{"url": settings_url(A)}, {"url": settings_url(B)}]});
    let error = serde_json::json!({"error": {"code": "ExpiredAuthenticationToken", "message": "The access token expired."}});
    let text = batch_har(&requests, &error).replace("\"status\":200", "\"status\":401");
    let items = items(&text);
    assert_eq!(items.len(), 2, "{items:?}");
    for (item, sub) in items.iter().zip([A, B]) {
        let Item::CollectionError {
            summary,
            scope,
            location,
        } = item
        else {
            panic!("{items:?}")
        };
        assert!(
            summary.contains("HTTP 401") && summary.contains("ExpiredAuthenticationToken"),
            "{summary}"
        );
        assert_eq!(
            *scope,
            IdScope::Subscription(crate::subscription::SubscriptionId::parse(sub).unwrap())
        );
        assert_eq!(
            *location,
            Location::Pointer("/log/entries/0/response/status".into())
        );
    }
}

fn get_har(text: &str, encoding: &str) -> String {
    serde_json::json!({"log": {"entries": [{
        "request": {"method": "GET", "url": settings_url(A)},
        "response": {"status": 200, "content": {"text": text, "encoding": encoding}}
    }]}})
    .to_string()
}

#[test]
fn a_base64_body_is_decoded_and_read() {
    let body = list(A, true).to_string();
    let encoded = base64::engine::general_purpose::STANDARD.encode(body.as_bytes());
    let items = items(&get_har(&encoded, "base64"));
    let [Item::Settings { settings, .. }] = items.as_slice() else {
        panic!("{items:?}")
    };
    assert_eq!(settings[1].enabled, crate::formats::Flag::Bool(true));
    assert_eq!(
        settings[1].location,
        Location::Pointer(
            "/log/entries/0/response/content/text#/value/1/properties/enabled".into()
        )
    );
    assert_eq!(settings[1].recovered, Some(BASE64_NOTE));
}

#[test]
fn a_body_that_is_not_base64_is_malformed_and_says_why() {
    let parsed = super::super::parse_document(&get_har("{not base64!}", "base64"));
    let Body::Malformed(why) = parsed.body else {
        panic!("{parsed:?}")
    };
    let why = why.to_string();
    assert!(
        why.contains("HAR entry 0 is base64-encoded but not valid base64 ("),
        "{why}"
    );
    let encoded = base64::engine::general_purpose::STANDARD.encode(b"hello");
    let parsed = super::super::parse_document(&get_har(&encoded, "base64"));
    assert!(
        matches!(&parsed.body, Body::Malformed(why) if why.to_string().contains("not JSON once decoded")),
        "{parsed:?}"
    );
}
