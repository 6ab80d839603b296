use super::*;
use jsonpath_rust::parser::model::JpQuery;
use jsonpath_rust::query::js_path_process;

#[test]
fn normalized_paths_become_json_pointers() {
    assert_eq!(
        pointer_of("$['value'][1]['properties']['enabled']"),
        "/value/1/properties/enabled"
    );
    assert_eq!(pointer_of("$['a/b']['c~d']['it\\'s']"), "/a~1b/c~0d/it's");
    assert_eq!(pointer_of("$"), "");
}

#[test]
fn a_har_log_documents_are_its_settings_responses() {
    let list = r#"{"value":[{"name":"WDATP","properties":{"enabled":true}}]}"#;
    let url = "https://management.azure.com/subscriptions/x/providers/Microsoft.Security/settings";
    let batch = serde_json::json!({"requests": [
        {"name": "p", "url": "https://management.azure.com/subscriptions/x/providers/Microsoft.Security/pricings"},
        {"name": "s", "url": url}
    ]});
    let answers = format!(
        r#"{{"responses":[{{"name":"p","httpStatusCode":200,"content":{{"value":[{{"name":"WDATP","properties":{{"enabled":false}}}}]}}}},{{"name":"s","httpStatusCode":200,"content":{list}}}]}}"#
    );
    let har = serde_json::json!({"log": {"entries": [
        {"request": {"url": url}, "response": {"status": 200, "content": {"text": list}}},
        {"request": {"url": "https://management.azure.com/batch", "postData": {"text": batch.to_string()}},
         "response": {"status": 200, "content": {"text": answers}}}
    ]}})
    .to_string();
    let documents = documents(&har, json::HAR);
    let prefixes: Vec<&str> = documents.iter().map(|d| d.prefix.as_str()).collect();
    assert_eq!(
        prefixes,
        [
            "/log/entries/0/response/content/text#",
            "/log/entries/1/response/content/text#/responses/1/content"
        ]
    );
    let query =
        jsonpath_rust::parser::parse_json_path("$.value[?@.name==\"WDATP\"].properties.enabled")
            .unwrap();
    let found = find(&documents, &query).unwrap();
    assert_eq!(
        found.iter().map(|m| m.pointer.as_str()).collect::<Vec<_>>(),
        [
            "/log/entries/0/response/content/text#/value/0/properties/enabled",
            "/log/entries/1/response/content/text#/responses/1/content/value/0/properties/enabled"
        ]
    );
    assert!(found.iter().all(|m| m.value == Value::Bool(true)));
}

#[test]
fn a_query_finds_its_value_with_a_pointer() {
    let text = r#"{"value":[{"name":"MCAS","properties":{"enabled":true}},{"name":"WDATP","properties":{"enabled":false}}]}"#;
    let documents = documents(text, json::REST_LIST);
    let query =
        jsonpath_rust::parser::parse_json_path("$.value[?@.name==\"MCAS\"].properties.enabled")
            .unwrap();
    let found = find(&documents, &query).unwrap();
    assert_eq!(
        found,
        [Match {
            pointer: "/value/0/properties/enabled".into(),
            value: Value::Bool(true)
        }]
    );
}

/// What the library alone finds, pointers and values, for comparison.
fn library(documents: &[Document], query: &JpQuery) -> Vec<Match> {
    let mut found = Vec::new();
    for d in documents {
        for m in js_path_process(query, &d.value).unwrap() {
            found.push(Match {
                pointer: format!("{}{}", d.prefix, pointer_of(&m.path)),
                value: m.val.clone(),
            });
        }
    }
    found
}

#[test]
fn descendant_queries_find_what_the_library_finds_in_its_order() {
    let text = r#"{"value":[{"name":"MCAS","properties":{"enabled":true,"a/b":{"enabled":1}}},{"name":"WDATP","properties":{"enabled":false},"list":[{"enabled":null},[{"name":"x"}]]}],"enabled":"top"}
{"enabled":2}"#;
    let documents = documents(text, json::JSON_STREAM);
    assert_eq!(documents.len(), 2);
    for q in [
        "$..enabled",
        "$..*",
        "$..name",
        "$.value..enabled",
        "$..properties.enabled",
        "$..[0]",
        "$..['name','enabled']",
        "$.value[1]..*",
        "$..[?@.name==\"WDATP\"].properties.enabled",
        "$.value[?@..enabled].name",
    ] {
        let query = jsonpath_rust::parser::parse_json_path(q).unwrap();
        let mine = find(&documents, &query).unwrap();
        let mut theirs = library(&documents, &query);
        if q.contains(',') {
            // Several selectors: RFC 9535 orders by node, then selector; the library
            // by selector, then node.
            let mut sorted = mine.clone();
            sorted.sort_by(|a, b| a.pointer.cmp(&b.pointer));
            theirs.sort_by(|a, b| a.pointer.cmp(&b.pointer));
            assert_eq!(sorted, theirs, "{q}");
        } else {
            assert_eq!(mine, theirs, "{q}");
        }
        assert!(!mine.is_empty(), "{q}");
    }
}

#[test]
fn a_descendant_query_past_its_budget_is_refused() {
    // 120 nested levels over 20,000 numbers: `$..*` matches values whose nodes add up
    // to 120 times the numbers, past ten times the nodes plus 100,000.
    let depth = 120;
    let text = format!(
        "{}[{}]{}",
        "[".repeat(depth - 1),
        vec!["1"; 20_000].join(","),
        "]".repeat(depth - 1)
    );
    let documents = documents(&text, json::AZCLI_JSON);
    assert_eq!(documents.len(), 1);
    let query = jsonpath_rust::parser::parse_json_path("$..*").unwrap();
    let why = find(&documents, &query).unwrap_err();
    assert!(
        why.starts_with("the query costs more than its budget"),
        "{why}"
    );
    // Visiting every node is within it; it is what the matches hold that is not.
    let query = jsonpath_rust::parser::parse_json_path("$..[19999]").unwrap();
    assert_eq!(find(&documents, &query).unwrap().len(), 1);
    let query = jsonpath_rust::parser::parse_json_path("$..[?@==1]").unwrap();
    assert!(
        find(&documents, &query)
            .unwrap_err()
            .starts_with("the query costs")
    );
}
