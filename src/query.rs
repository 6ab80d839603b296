//! `JSONPath` checks: the JSON documents of a file, and what a check's compiled query finds
//! in them.
//!
//! Only JSON evidence answers a query: the top-level documents of a JSON file (addressed
//! `/N` when a file holds several one after another), the body of an HTTP capture
//! (`body#`) and the settings responses of a HAR log (`/log/entries/N/response/content/
//! text#`). A match's normalized path becomes a JSON pointer into the decoded document,
//! like every other location. Matches are given to the subscription of the setting they sit
//! in (the one whose location shares the longest part of their pointer); a match outside
//! every setting belongs to the one subscription the file's content names, or to none.

use serde_json::Value;

use crate::attribute::{Attributed, Group};
use crate::evaluate::Outcome;
use crate::formats::{Extent, Format, Location, http, json, jsonc, yaml};

/// One JSON document of a file, and the pointer prefix that addresses it.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// What a pointer into this document starts with (`""`, `/1`, `body#`).
    pub prefix: String,
    /// The document.
    pub value: Value,
}

/// The JSON documents of a file read as `format`, where its evidence is: the top-level
/// documents of a JSON file, the body of an HTTP capture's final response (`body#`), the JSON
/// in an `Invoke-AzRestMethod` object's `Content` (`/Content#`), the 200 body of a REST
/// documentation example, the settings responses of a HAR log (`/log/entries/N/response/
/// content/text#`); none for other shapes or unreadable JSON.
#[must_use]
pub fn documents(text: &str, format: Format) -> Vec<Document> {
    if format == json::HAR {
        return har_documents(text);
    }
    let (json_text, prefix) = if format == http::HTTP_CAPTURE {
        (http::final_body(text), "body#")
    } else if json::PARSER.formats.contains(&format) {
        (text, "")
    } else if format == yaml::AZCLI_YAML {
        // YAML is read into the same tree as JSON; pointers address the YAML document.
        // Within the same bounds as the parser: nesting depth, and nodes with aliases
        // expanded.
        let text = text.trim_start_matches('\u{feff}');
        return yaml::value(text)
            .map(|value| {
                vec![Document {
                    prefix: String::new(),
                    value,
                }]
            })
            .unwrap_or_default();
    } else {
        return Vec::new();
    };
    let read = |text: &str| -> Option<Vec<Value>> {
        serde_json::Deserializer::from_str(text)
            .into_iter::<Value>()
            .collect::<Result<_, _>>()
            .ok()
    };
    // JSON with comments is read with its comments blanked out, as the parser reads it.
    let values = read(json_text).or_else(|| jsonc::strip(json_text).and_then(|t| read(&t)));
    let Some(values) = values else {
        return Vec::new();
    };
    let several = values.len() > 1;
    values
        .into_iter()
        .enumerate()
        .filter_map(|(index, value)| {
            let pointer = if several {
                format!("{prefix}/{index}")
            } else {
                prefix.to_owned()
            };
            embedded(pointer, value, format)
        })
        .collect()
}

/// The documents of a HAR log: the body of each successful settings call
/// (`/log/entries/N/response/content/text#`), and of a batch, the content of each response
/// that answers one of its settings requests (`...text#/responses/K/content`), as the
/// parser reads them; never the log itself, whose other requests are not evidence.
fn har_documents(text: &str) -> Vec<Document> {
    let mut documents = Vec::new();
    for body in json::settings_bodies(text) {
        let Ok(value) = serde_json::from_str::<Value>(&body.text) else {
            continue;
        };
        match body.answers {
            None => documents.push(Document {
                prefix: body.prefix,
                value,
            }),
            Some(answers) => {
                for k in answers {
                    let pointer = format!("/responses/{k}/content");
                    if let Some(content) = value.pointer(&pointer) {
                        documents.push(Document {
                            prefix: format!("{}{pointer}", body.prefix),
                            value: content.clone(),
                        });
                    }
                }
            }
        }
    }
    documents
}

/// The evidence inside a document that wraps it, or the document itself.
fn embedded(pointer: String, value: Value, format: Format) -> Option<Document> {
    if format == json::INVOKE_AZRESTMETHOD {
        let content = value.get("Content")?.as_str()?;
        let inner = serde_json::from_str(content).ok()?;
        return Some(Document {
            prefix: format!("{pointer}/Content#"),
            value: inner,
        });
    }
    if format == json::REST_DOC_EXAMPLE {
        let body = value.pointer("/responses/200/body")?.clone();
        return Some(Document {
            prefix: format!("{pointer}/responses/200/body"),
            value: body,
        });
    }
    Some(Document {
        prefix: pointer,
        value,
    })
}

/// One place a query matched, and the value there.
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    /// A JSON pointer into the decoded file.
    pub pointer: String,
    /// The value found.
    pub value: Value,
}

/// Every match of `query` in `documents`, in document order.
#[must_use]
pub fn find(documents: &[Document], query: &jsonpath_rust::parser::model::JpQuery) -> Vec<Match> {
    let mut found = Vec::new();
    for document in documents {
        let Ok(matches) = jsonpath_rust::query::js_path_process(query, &document.value) else {
            continue;
        };
        for m in matches {
            let value = m.val.clone();
            let pointer = format!("{}{}", document.prefix, pointer_of(&m.path));
            found.push(Match { pointer, value });
        }
    }
    found
}

/// A normalized path (`$['value'][1]['properties']['enabled']`) as a JSON pointer
/// (`/value/1/properties/enabled`, RFC 6901 escapes).
#[must_use]
pub fn pointer_of(normalized: &str) -> String {
    let mut pointer = String::new();
    let mut rest = normalized.strip_prefix('$').unwrap_or(normalized);
    while let Some(open) = rest.strip_prefix('[') {
        let (segment, after) = if let Some(quoted) = open.strip_prefix('\'') {
            // A name: up to the closing quote, with `\'` and `\\` escaped.
            let mut name = String::new();
            let mut chars = quoted.char_indices();
            let mut end = quoted.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, escaped)) = chars.next() {
                            name.push(escaped);
                        }
                    }
                    '\'' => {
                        end = i;
                        break;
                    }
                    c => name.push(c),
                }
            }
            let after = quoted.get(end + 1..).unwrap_or_default();
            (name, after.strip_prefix(']').unwrap_or(after))
        } else {
            let close = open.find(']').unwrap_or(open.len());
            (
                open.get(..close).unwrap_or_default().to_owned(),
                open.get(close + 1..).unwrap_or_default(),
            )
        };
        pointer.push('/');
        pointer.push_str(&segment.replace('~', "~0").replace('/', "~1"));
        rest = after;
    }
    pointer
}

/// The pointer of the object a setting was read from: its location less the key that held
/// `enabled` (`/value/1/properties/enabled` is the setting at `/value/1`).
fn element_of(location: &str) -> &str {
    ["/properties/enabled", "/properties", "/enabled", "/Enabled"]
        .iter()
        .find_map(|suffix| location.strip_suffix(suffix))
        .unwrap_or(location)
}

/// Whether `pointer` is `element` or inside it.
fn is_inside(pointer: &str, element: &str) -> bool {
    pointer
        .strip_prefix(element)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// Gives each match to a placed group of the file: the group of the setting whose object it
/// is in (the innermost), else the only attributed group, else `None`.
#[must_use]
pub fn assign(matches: &[Match], placed: &[Attributed<'_>]) -> Vec<Option<usize>> {
    let attributed: Vec<usize> = placed
        .iter()
        .enumerate()
        .filter(|(_, p)| p.subscription.is_some())
        .map(|(i, _)| i)
        .collect();
    matches
        .iter()
        .map(|m| {
            let holder = placed
                .iter()
                .enumerate()
                .flat_map(|(i, p)| {
                    p.group
                        .settings
                        .iter()
                        .filter_map(move |(s, _, _)| match &s.location {
                            Location::Pointer(location) => Some((element_of(location), i)),
                            Location::Line(_) => None,
                        })
                })
                .filter(|(element, _)| is_inside(&m.pointer, element))
                .max_by_key(|(element, _)| element.len());
            match (holder, attributed.as_slice()) {
                (Some((_, i)), _) => Some(i),
                (None, [only]) => Some(*only),
                (None, _) => None,
            }
        })
        .collect()
}

/// What a group's matches say about a query check expecting `expect`.
#[must_use]
pub fn decide(
    group: &Group<'_>,
    matches: &[&Match],
    expect: &Value,
) -> (Outcome, Option<bool>, Option<Location>, String) {
    if let Some(first) = matches.first() {
        let equal = first.value == *expect;
        if let Some(other) = matches.iter().find(|m| (m.value == *expect) != equal) {
            return (
                Outcome::Malformed,
                None,
                Some(Location::Pointer(first.pointer.clone())),
                format!(
                    "{} matches of the query disagree: {} at {}, {} at {}",
                    matches.len(),
                    first.value,
                    first.pointer,
                    other.value,
                    other.pointer
                ),
            );
        }
        let (outcome, word) = if equal {
            (Outcome::Enabled, "the expected value")
        } else {
            (Outcome::Disabled, "not the expected value")
        };
        return (
            outcome,
            Some(equal),
            Some(Location::Pointer(first.pointer.clone())),
            format!(
                "the query finds {} ({word} {expect}){}",
                first.value,
                if matches.len() > 1 {
                    format!("; {} matches agree", matches.len())
                } else {
                    String::new()
                }
            ),
        );
    }
    if group
        .settings
        .iter()
        .any(|(s, _, _)| s.recovered == Some(json::TRUNCATED_NOTE))
    {
        return (
            Outcome::Unrecognized,
            None,
            None,
            "the query matches nothing in a depth-truncated Windows PowerShell 5.1 export, \
             whose values sit inside \"@{...}\" strings a query cannot read"
                .to_owned(),
        );
    }
    if group.settings.is_empty()
        && let Some((summary, location)) = group.errors.first()
    {
        return (
            Outcome::CollectionError,
            None,
            Some((*location).clone()),
            format!(
                "the collection failed: {}",
                crate::escape::excerpt(summary, 400)
            ),
        );
    }
    let extent = |wanted: Extent| group.settings.iter().any(|(_, e, _)| *e == wanted);
    if extent(Extent::Complete) {
        return (
            Outcome::Absent,
            None,
            None,
            "the query matches nothing in a complete settings list".to_owned(),
        );
    }
    if extent(Extent::Page) {
        return (
            Outcome::CollectionError,
            None,
            None,
            "the query matches nothing on one page of a paged list (nextLink set): it may \
             match on a page that was not saved"
                .to_owned(),
        );
    }
    (
        Outcome::Unrecognized,
        None,
        None,
        "the query matches nothing in this evidence, which is not a complete list".to_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let url =
            "https://management.azure.com/subscriptions/x/providers/Microsoft.Security/settings";
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
        let query = jsonpath_rust::parser::parse_json_path(
            "$.value[?@.name==\"WDATP\"].properties.enabled",
        )
        .unwrap();
        let found = find(&documents, &query);
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
        let found = find(&documents, &query);
        assert_eq!(
            found,
            [Match {
                pointer: "/value/0/properties/enabled".into(),
                value: Value::Bool(true)
            }]
        );
    }
}
